"""The panel's risk report (extract/risk/panel.json and .html): k, l and household uniqueness before and after
the release, per period and across periods, and what the release cost. Counts and shares only, no value.

"Before" is the staged data as the per-period control left it (each period k-anonymous on its own, values as
staged); "after" is what researchers read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from tfnis.disclosure.measures import class_sizes, household_uniqueness

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.panel.protect import Rules

WITHIN = ["la_code", "period_end"]
MEMBERS: tuple[str, ...] = ("relation_in_family", "sex", "age_band", "ethnic_group")


class Figures(BaseModel):
    """k and the shares of unique and below-K records (entities across periods, rows per period)."""

    model_config = ConfigDict(frozen=True)

    k: int
    unique_share: float
    below_k_share: float


class Sensitive(BaseModel):
    model_config = ConfigDict(frozen=True)

    measure: str
    per_period_min_l: int
    per_period_l_1_share: float  # rows whose class (council, period, quasi-identifiers) holds one value
    across_periods_min_l: int
    across_periods_l_1_share: float  # entities whose class holds one value of "ever positive"


class TableRisk(BaseModel):
    model_config = ConfigDict(frozen=True)

    table: str
    quasi_identifiers: tuple[str, ...]
    entities_before: int
    entities_after: int
    rows_before: int
    rows_after: int
    entities_cut_to_first_council: int
    entities_left_out: int
    generalisation_level: int
    levels_tried: tuple[tuple[int, float], ...]
    cells_suppressed: int
    cells_suppressed_share: float
    cells_suppressed_by_column: dict[str, int]
    across_periods_before: Figures
    across_periods_after: Figures
    per_period_before: Figures
    per_period_after: Figures
    sensitive_after: tuple[Sensitive, ...]
    sensitive_before: tuple[Sensitive, ...]


class HouseholdFigures(BaseModel):
    model_config = ConfigDict(frozen=True)

    per_period_unique_share_before: float
    per_period_unique_share_after: float
    across_periods_unique_share_before: float
    across_periods_unique_share_after: float
    enforced: bool = False  # measured and reported, not enforced (docs/disclosure.md "Households")


class PanelRisk(BaseModel):
    model_config = ConfigDict(frozen=True)

    report: str = "tfnis disclosure risk of the research panel"
    k: int
    max_suppression_share: float
    tables: tuple[TableRisk, ...]
    households: HouseholdFigures

    @classmethod
    def of(cls, *, k: int, max_suppression: float, families: TableOutcome, individuals: TableOutcome) -> PanelRisk:
        return cls(
            k=k, max_suppression_share=max_suppression, tables=(families.risk(k), individuals.risk(k)),
            households=household_figures(families, individuals),
        )  # fmt: skip

    def to_json(self) -> dict[str, object]:
        return self.model_dump(mode="json")

    def html(self) -> str:
        from tfnis.reports import render_page

        return render_page("panel_risk.html", report=self)


@dataclass(frozen=True)
class TableOutcome:
    rules: Rules
    before: pd.DataFrame
    after: pd.DataFrame
    level: int
    levels_tried: tuple[tuple[int, float], ...]
    blanked: pd.DataFrame
    entities_cut: int
    entities_left_out: int

    def risk(self, k: int) -> TableRisk:
        entity, qis = self.rules.entity, [c for c in self.rules.quasi_identifiers if c in self.after.columns]
        cells = int(self.blanked.to_numpy().sum())
        return TableRisk(
            table=self.rules.table, quasi_identifiers=tuple(qis),
            entities_before=int(self.before[entity].nunique()), entities_after=int(self.after[entity].nunique()),
            rows_before=len(self.before), rows_after=len(self.after),
            entities_cut_to_first_council=self.entities_cut, entities_left_out=self.entities_left_out,
            generalisation_level=self.level, levels_tried=tuple((lv, round(s, 6)) for lv, s in self.levels_tried),
            cells_suppressed=cells, cells_suppressed_share=round(cells / max(self.blanked.size, 1), 6),
            cells_suppressed_by_column={str(c): int(v) for c, v in self.blanked.sum().items()},
            across_periods_before=across(self.before, entity, qis, k),
            across_periods_after=across(self.after, entity, qis, k),
            per_period_before=figures(class_sizes(self.before, [*WITHIN, *qis]), k),
            per_period_after=figures(class_sizes(self.after, [*WITHIN, *qis]), k),
            sensitive_before=sensitive(self.before, entity, qis, self.rules.sensitive),
            sensitive_after=sensitive(self.after, entity, qis, self.rules.sensitive),
        )  # fmt: skip


def figures(sizes: pd.Series, k: int) -> Figures:
    if not len(sizes):
        return Figures(k=0, unique_share=0.0, below_k_share=0.0)
    return Figures(
        k=int(sizes.min()), unique_share=round(float((sizes == 1).mean()), 6),
        below_k_share=round(float((sizes < k).mean()), 6),
    )  # fmt: skip


def across(frame: pd.DataFrame, entity: str, qis: list[str], k: int) -> Figures:
    from tfnis.panel.protect import panel_sizes

    return figures(panel_sizes(frame, entity, qis), k)


def sensitive(frame: pd.DataFrame, entity: str, qis: list[str], measures: dict[str, Any]) -> tuple[Sensitive, ...]:
    """Distinct l-diversity per period (rows) and across periods (entities, on 'ever positive')."""
    from tfnis.disclosure.measures import class_codes
    from tfnis.panel.protect import patterns

    table = patterns(frame, entity, qis)
    codes = class_codes(table, ["trajectory", *qis])
    out = []
    row_codes = class_codes(frame, [*WITHIN, *qis])
    for measure, negative in measures.items():
        if measure not in frame.columns or not frame[measure].notna().any():
            continue
        recorded = frame[measure].notna()
        row_l = row_codes.map(frame[measure].groupby(row_codes.to_numpy()).nunique(dropna=True))[recorded]
        positive = (frame[measure].astype(object) != negative).astype(float).where(recorded)
        ever = positive.groupby(frame[entity].to_numpy(), sort=False).max().reindex(table.index)
        entity_l = codes.map(ever.groupby(codes.to_numpy()).nunique(dropna=True)).to_numpy()[ever.notna().to_numpy()]
        out.append(
            Sensitive(
                measure=measure, per_period_min_l=int(row_l.min()),
                per_period_l_1_share=round(float((row_l == 1).mean()), 6),
                across_periods_min_l=int(entity_l.min()) if len(entity_l) else 0,
                across_periods_l_1_share=round(float((entity_l == 1).mean()), 6) if len(entity_l) else 0.0,
            )
        )  # fmt: skip
    return tuple(out)


def household_figures(families: TableOutcome, individuals: TableOutcome) -> HouseholdFigures:
    """Households unique on their members' quasi-identifiers: per council and period, and across periods (the
    family's trajectory and its members' identifiers at their first period)."""
    return HouseholdFigures(
        per_period_unique_share_before=_per_period(individuals.before),
        per_period_unique_share_after=_per_period(individuals.after),
        across_periods_unique_share_before=_across(individuals.before, families.before),
        across_periods_unique_share_after=_across(individuals.after, families.after),
    )


def _per_period(individuals: pd.DataFrame) -> float:
    household = individuals["family_key"].astype(str) + "@" + individuals["period_end"].astype(str)
    share, _ = household_uniqueness(individuals.assign(_household=household), "_household", MEMBERS, WITHIN)
    return round(share, 6)


def _across(individuals: pd.DataFrame, families: pd.DataFrame) -> float:
    from tfnis.panel.protect import FAMILY, PERSON, trajectories

    members = individuals.drop_duplicates([FAMILY, PERSON])[[FAMILY, *MEMBERS]].copy()
    members["trajectory"] = members[FAMILY].map(trajectories(families, FAMILY))
    share, _ = household_uniqueness(members, FAMILY, MEMBERS, ["trajectory"])
    return round(share, 6)
