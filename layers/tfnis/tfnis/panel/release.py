"""The release: staged periods in, the researcher-facing panel out (part files, risk report, data package).

A library function: the pipeline (tfnis.pipeline.release) lists and reads ResearchBucket staging/ and writes
what this returns; nothing here touches AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tfnis.panel.derive import derive_families, derive_individuals
from tfnis.panel.parquet import part_files

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.panel.protect import PanelRisk
    from tfnis.panel.reference import ReleasedReference


@dataclass(frozen=True)
class PanelPolicy:
    """DisclosureK, PanelMaxSuppressionShare and ExtractArea."""

    k: int = 5
    max_suppression: float = 0.25
    area: str = ""


@dataclass(frozen=True)
class ReleasedPanel:
    families: pd.DataFrame
    individuals: pd.DataFrame
    risk: PanelRisk
    area: str = ""
    reference: ReleasedReference | None = None  # the matched outcomes of national datasets, released with it

    def parts(self) -> dict[str, bytes]:
        """Every part file by its key: extract/<table>/period_end=…/la_code=…/part-0.parquet, and the reference
        tables' under extract/reference/."""
        out: dict[str, bytes] = {}
        for table, frame in (("families", self.families), ("individuals", self.individuals)):
            out |= {f"extract/{name}": body for name, body in part_files(shuffled(frame), table, self.area).items()}
        return out | (self.reference.parts() if self.reference is not None else {})


def release_panel(
    families: pd.DataFrame,
    individuals: pd.DataFrame,
    policy: PanelPolicy,
    reference: dict[str, pd.DataFrame] | None = None,
) -> ReleasedPanel:
    """The panel of every staged period, protected across periods, and the staged reference outcomes (dataset →
    person_key, period_end, outcomes) of the people it releases, protected jointly with it (tfnis.panel.reference).
    Raises DisclosureRefused when K would need more than policy.max_suppression of the panel's quasi-identifier
    cells at every level."""
    from tfnis.panel.protect import protect_panel
    from tfnis.panel.reference import release_reference

    fam = derive_families(families)
    ind = derive_individuals(individuals, policy.area)
    protected = protect_panel(fam, ind, k=policy.k, max_suppression=policy.max_suppression, area=policy.area)
    outcomes = release_reference(reference, protected.individuals, k=policy.k, area=policy.area) if reference else None
    return ReleasedPanel(protected.families, protected.individuals, protected.risk, policy.area, outcomes)


def shuffled(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a CSPRNG order (the panel is sorted by key while it is derived)."""
    from tfnis.anonymise.extract import shuffled as csprng_shuffled

    return csprng_shuffled(frame)
