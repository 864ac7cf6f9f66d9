"""The risk report written beside each extract: what disclosure control measured, did and cost.

JSON (the record) and a short HTML page (for the research data team). Counts and shares only: no value of any
record, so the report can be read by anyone who may read the extract's metadata.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from tfnis.disclosure.control import ProtectedTable


class SensitiveMeasure(BaseModel):
    model_config = ConfigDict(frozen=True)

    measure: str
    min_l: int
    records_with_l_1: int
    records_homogeneous_positive: int


class TableRisk(BaseModel):
    model_config = ConfigDict(frozen=True)

    table: str
    records: int
    fixed: tuple[str, ...]
    quasi_identifiers: tuple[str, ...]
    generalisation_level: int
    levels_tried: tuple[tuple[int, float], ...]  # (level, share of cells that level needed suppressed)
    k_before: int
    k_after: int
    k_distribution_before: dict[str, int]
    k_distribution_after: dict[str, int]
    records_suppressed: int
    cells_suppressed: int
    cells_suppressed_share: float
    cells_suppressed_by_column: dict[str, int]
    classes_before: int
    classes_after: int
    l_diversity: tuple[SensitiveMeasure, ...]

    @classmethod
    def of(cls, protected: ProtectedTable) -> TableRisk:
        suppression = protected.suppression
        return cls(
            table=protected.rules.table,
            records=len(protected.frame),
            fixed=protected.rules.fixed,
            quasi_identifiers=tuple(protected.rules.present(protected.frame)),
            generalisation_level=protected.level,
            levels_tried=tuple((lv, round(share, 6)) for lv, share in protected.levels_tried),
            k_before=protected.k_before,
            k_after=protected.k_after,
            k_distribution_before=protected.distribution(after=False),
            k_distribution_after=protected.distribution(after=True),
            records_suppressed=suppression.records,
            cells_suppressed=suppression.cells,
            cells_suppressed_share=round(suppression.share_of_cells(), 6),
            cells_suppressed_by_column=suppression.cells_by_column(),
            classes_before=_classes(protected.sizes_before),
            classes_after=_classes(protected.sizes_after),
            l_diversity=tuple(SensitiveMeasure(measure=m, **vars(r)) for m, r in sorted(protected.sensitive.items())),
        )


class HouseholdRisk(BaseModel):
    model_config = ConfigDict(frozen=True)

    households: int
    member_identifiers: tuple[str, ...]
    unique_share_before: float
    unique_share_after: float
    households_suppressed: int  # households whose members' identifiers were blanked further for household k


class RiskReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    report: str = "tfnis disclosure risk of a research extract"
    k: int
    max_suppression_share: float
    area: str
    tables: tuple[TableRisk, ...]
    households: HouseholdRisk

    def to_json(self) -> dict[str, object]:
        return self.model_dump(mode="json")

    def html(self) -> str:
        """The short HTML page (Jinja2, autoescaped)."""
        from tfnis.reports import render_page

        return render_page("extract_risk.html", report=self)


def _classes(sizes: object) -> int:
    import pandas as pd

    assert isinstance(sizes, pd.Series)
    return int((1.0 / sizes).sum().round()) if len(sizes) else 0
