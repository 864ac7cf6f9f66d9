"""The research panel as the comparison reads it: extract/families/ and extract/individuals/, hive-partitioned
by period_end and la_code (docs/research.md), one row per family (or person) and period.

The comparison needs from families: family_key, period_end, ever_supported, months_since_support_start
(negative before support started, null for a family never supported) and the outcomes; from individuals:
family_key, period_end, the eligibility flags and the outcomes. Any cell may be null (not recorded, or
suppressed by disclosure control); rows are dropped only from the comparisons whose cells they lack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

TABLES = ("families", "individuals")
FAMILY_NEEDS = ("family_key", "period_end", "ever_supported", "months_since_support_start")
INDIVIDUAL_NEEDS = ("family_key", "period_end")


class ExtractUnreadable(ValueError):
    """The extract is missing, not a panel, or lacks a column the comparison needs (the message says which)."""


@dataclass(frozen=True)
class Panel:
    families: pd.DataFrame
    individuals: pd.DataFrame
    # reference_<dataset> → its family roll-up (extract/reference/<dataset>_families/): family_key, period_end,
    # persons_matched and the sum of each count outcome over the family's matched members
    reference: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def period_ends(self) -> list[str]:
        return sorted(self.families["period_end"].astype(str).unique())


def read_panel(root: Path) -> Panel:
    """Both tables of the extract under root (the folder holding families/ and individuals/)."""
    root = Path(root)
    if not root.is_dir():
        raise ExtractUnreadable(f"{root} is not a folder")
    families = _read_table(root, "families")
    missing = [c for c in FAMILY_NEEDS if c not in families.columns]
    if missing:
        raise ExtractUnreadable(f"{root / 'families'} has no column {', '.join(missing)}: is it the research panel?")
    individuals = _read_table(root, "individuals")
    missing = [c for c in INDIVIDUAL_NEEDS if c not in individuals.columns]
    if missing:
        raise ExtractUnreadable(f"{root / 'individuals'} has no column {', '.join(missing)}")
    return Panel(families, individuals, read_reference(root))


def read_reference(root: Path) -> dict[str, pd.DataFrame]:
    """The family roll-up of each reference dataset the extract holds (none: an empty dict)."""
    found = {}
    for folder in sorted((Path(root) / "reference").glob("*_families")):
        if any(folder.glob("**/*.parquet")):
            found[f"reference_{folder.name.removesuffix('_families')}"] = _read_table(folder.parent, folder.name)
    return found


def _read_table(root: Path, table: str) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.dataset as ds

    folder = root / table
    if not any(folder.glob("**/*.parquet")):
        raise ExtractUnreadable(
            f"no parquet files under {folder} (expected {table}/period_end=YYYY-MM-DD/la_code=…/part-*.parquet)"
        )
    try:
        dataset = ds.dataset(folder, format="parquet", partitioning="hive")
        frame = dataset.to_table().to_pandas(types_mapper=_nullable)
    except (pa.ArrowException, OSError) as error:
        raise ExtractUnreadable(f"cannot read {folder}: {type(error).__name__}: {error}") from None
    for column in ("period_end", "la_code", "family_key"):
        if column in frame.columns:
            frame[column] = frame[column].astype(str)
    return frame


def _nullable(arrow_type):  # type: ignore[no-untyped-def]
    """Arrow integers and booleans to pandas' nullable dtypes, so a null stays null (not NaN or object)."""
    import pandas as pd
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return pd.Int64Dtype()
    if pa.types.is_boolean(arrow_type):
        return pd.BooleanDtype()
    return None


def write_panel(panel: Panel, root: Path) -> None:
    """Write both tables in the extract's layout (used by tests and the bench for panels built here)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for table, frame in (("families", panel.families), ("individuals", panel.individuals)):
        for (period_end, la_code), part in frame.groupby(["period_end", "la_code"], sort=True, observed=True):
            folder = Path(root) / table / f"period_end={period_end}" / f"la_code={la_code}"
            folder.mkdir(parents=True, exist_ok=True)
            body = part.drop(columns=["period_end", "la_code"]).reset_index(drop=True)
            pq.write_table(pa.Table.from_pandas(body, preserve_index=False), folder / "part-0.parquet")
