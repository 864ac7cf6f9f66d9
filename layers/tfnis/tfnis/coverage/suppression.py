"""Small-number suppression of figures outside the council's own report (DATA_SPEC.md: fewer than 10).

Primary: a figure whose numerator or denominator is 1 to threshold-1 is suppressed; numerator, denominator
and percent are blanked. Zero is NOT suppressed: a zero says "this item was not recorded" (the very gap
coverage exists to show) and a zero numerator over a shown denominator singles nobody out; a zero
denominator has no percent anyway.

Secondary (complementary), because a suppressed cell must not be recoverable by subtraction:
- within one report, the parts of a partition (status_*, framework_*, problems_* all add up to `families`):
  if exactly one part is suppressed, the smallest other part (non-zero first) is suppressed too;
- across councils, when the national (ENGLAND) total of a figure is shown: if exactly one council's figure is
  suppressed, the council with the smallest other denominator (non-zero first) is suppressed too.
Both rules are repeated until nothing changes, since one can trigger the other.
Not protected: complements of a single figure (e.g. families *without* an eviction), which describe
recording or the absence of an issue rather than a small group with one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from tfnis.coverage.figures import CoverageFigure

if TYPE_CHECKING:
    import pandas as pd

THRESHOLD = 10
NATIONAL = "ENGLAND"  # la_code of the national total rows
PARTITIONS: tuple[str, ...] = ("status_", "framework_", "problems_")


def primary_mask(numerator: pd.Series, denominator: pd.Series, threshold: int = THRESHOLD) -> pd.Series:
    """True where a count is small but not zero."""
    small = numerator.between(1, threshold - 1) | denominator.between(1, threshold - 1)
    return small.fillna(False).astype(bool)


def suppression_mask(table: pd.DataFrame, threshold: int = THRESHOLD) -> pd.Series:
    """Which rows of a figures table (la_code, period_end, id, numerator, denominator) to suppress."""
    import pandas as pd

    mask = primary_mask(table["numerator"], table["denominator"], threshold)
    partition = pd.Series(pd.NA, index=table.index, dtype="string")
    for prefix in PARTITIONS:
        partition = partition.mask(table["id"].str.startswith(prefix), prefix)
    national = table["la_code"] == NATIONAL
    while True:
        # Within a report: the parts of one partition.
        # (Columns are assigned from the selected rows only: assigning a Series to an empty frame adopts its index.)
        in_part = partition.notna().to_numpy()
        parts = table.loc[in_part].assign(part=partition[in_part], hidden=mask[in_part], last=False)
        chosen = _second_cells(parts, ["la_code", "period_end", "part"], "numerator")
        # Across councils, where the national total of a figure is shown. The total itself is hidden only
        # when no other council is left to hide (a table of one council).
        shown = table.loc[national & ~mask, ["period_end", "id"]]
        keys = pd.MultiIndex.from_frame(table[["period_end", "id"]])
        in_shown = keys.isin(pd.MultiIndex.from_frame(shown))
        rows = table.loc[in_shown].assign(hidden=mask[in_shown], last=national[in_shown])
        chosen = chosen.union(_second_cells(rows, ["period_end", "id"], "denominator"))
        chosen = chosen[~mask.loc[chosen].to_numpy()]
        if chosen.empty:
            return mask
        mask.loc[chosen] = True


def _second_cells(rows: pd.DataFrame, by: list[str], size: str) -> pd.Index:
    """For each group with exactly one hidden row, the index of the visible row to hide with it.

    Rows flagged `last` are chosen only when nothing else is visible; then the smallest non-zero `size`.
    """
    hidden = rows.groupby(by, dropna=False)["hidden"].transform("sum")
    candidates = rows[(hidden == 1) & ~rows["hidden"]]
    if candidates.empty:
        return candidates.index
    value = candidates[size].astype("Int64").fillna(0)
    ordered = candidates.assign(_zero=value == 0, _size=value).sort_values(["last", "_zero", "_size"], kind="stable")
    return ordered.groupby(by, dropna=False).head(1).index


def apply_suppression(table: pd.DataFrame, threshold: int = THRESHOLD) -> pd.DataFrame:
    """The table with suppressed rows blanked (numerator, denominator, percent <NA>) and flagged."""
    import pandas as pd

    mask = suppression_mask(table, threshold) | table.get("suppressed", False)
    out = table.copy()
    out["numerator"] = out["numerator"].astype("Int64").mask(mask, pd.NA)
    out["denominator"] = out["denominator"].astype("Int64").mask(mask, pd.NA)
    out["percent"] = out["percent"].astype("Float64").mask(mask, pd.NA)
    out["suppressed"] = mask.astype(bool)
    return out


def suppress(
    figures: list[CoverageFigure] | tuple[CoverageFigure, ...], threshold: int = THRESHOLD
) -> list[CoverageFigure]:
    """The figures of one report as they may leave the council: small numbers and complements blanked."""
    import pandas as pd

    table = pd.DataFrame(
        {
            "la_code": "",
            "period_end": "",
            "id": pd.Series([f.id for f in figures], dtype="string"),
            "numerator": pd.Series([f.numerator for f in figures], dtype="Int64"),
            "denominator": pd.Series([f.denominator for f in figures], dtype="Int64"),
        }
    )
    mask = suppression_mask(table, threshold).to_numpy()
    return [
        replace(f, numerator=None, denominator=None, percent=None, suppressed=True) if hide or f.suppressed else f
        for f, hide in zip(figures, mask, strict=True)
    ]
