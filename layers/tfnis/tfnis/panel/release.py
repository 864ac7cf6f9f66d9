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

    def parts(self) -> dict[str, bytes]:
        """Every part file by its key: extract/<table>/period_end=…/la_code=…/part-0.parquet."""
        out: dict[str, bytes] = {}
        for table, frame in (("families", self.families), ("individuals", self.individuals)):
            out |= {f"extract/{name}": body for name, body in part_files(shuffled(frame), table, self.area).items()}
        return out


def release_panel(families: pd.DataFrame, individuals: pd.DataFrame, policy: PanelPolicy) -> ReleasedPanel:
    """The panel of every staged period, protected across periods. Raises DisclosureRefused when K would
    need more than policy.max_suppression of the panel's quasi-identifier cells at every level."""
    from tfnis.panel.protect import protect_panel

    fam = derive_families(families)
    ind = derive_individuals(individuals, policy.area)
    protected = protect_panel(fam, ind, k=policy.k, max_suppression=policy.max_suppression, area=policy.area)
    return ReleasedPanel(protected.families, protected.individuals, protected.risk, policy.area)


def shuffled(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in a CSPRNG order (the panel is sorted by key while it is derived)."""
    from tfnis.anonymise.extract import shuffled as csprng_shuffled

    return csprng_shuffled(frame)
