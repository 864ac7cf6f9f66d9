"""Disclosure control: nobody can be identified from what researchers see or publish.

The extract side measures and enforces k-anonymity on declared quasi-identifiers by local suppression (then
further generalisation, then refusal), measures l-diversity of sensitive measures and household uniqueness,
and writes a risk report (tfnis.disclosure.control, .measures, .suppression, .report). The output side checks
tables before they leave the research environment (tfnis.disclosure.output_check: `tfnis check-output`).
Domain code only: pandas and numpy, no AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tfnis.disclosure.control import (
    DEFAULT_K,
    DEFAULT_MAX_SUPPRESSION,
    DisclosureRefused,
    TableRules,
    protect_table,
)

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.disclosure.report import RiskReport

__all__ = [
    "DEFAULT_K",
    "DEFAULT_MAX_SUPPRESSION",
    "DisclosureRefused",
    "ProtectedExtract",
    "TableRules",
    "protect_extract",
]


@dataclass(frozen=True)
class ProtectedExtract:
    families: pd.DataFrame
    individuals: pd.DataFrame
    risk: RiskReport


def protect_extract(
    families: Callable[[int], pd.DataFrame],
    individuals: Callable[[int], pd.DataFrame],
    family_rules: TableRules,
    individual_rules: TableRules,
    member_identifiers: tuple[str, ...],
    *,
    k: int = DEFAULT_K,
    max_suppression: float = DEFAULT_MAX_SUPPRESSION,
    levels: int = 1,
    household: str = "family_key",
) -> ProtectedExtract:
    """Both tables protected to k (each at its own generalisation level) with the risk report; raises
    DisclosureRefused when either cannot be protected within max_suppression."""
    from tfnis.disclosure.households import protect_households
    from tfnis.disclosure.report import HouseholdRisk, RiskReport, TableRisk

    protected_families = protect_table(families, family_rules, k=k, max_suppression=max_suppression, levels=levels)
    protected_individuals = protect_table(
        individuals, individual_rules, k=k, max_suppression=max_suppression, levels=levels
    )
    protected_individuals, household_risk = protect_households(
        protected_individuals, household, member_identifiers, k=k, max_suppression=max_suppression
    )
    area = next((c for c in ("postcode_district", "lsoa") if c in protected_individuals.frame.columns), "")
    risk = RiskReport(
        k=k,
        max_suppression_share=max_suppression,
        area=area,
        tables=(TableRisk.of(protected_families), TableRisk.of(protected_individuals)),
        households=HouseholdRisk(**household_risk),
    )
    return ProtectedExtract(protected_families.frame, protected_individuals.frame, risk)
