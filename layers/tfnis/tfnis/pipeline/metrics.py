"""The CloudWatch metrics a stage's result is published as: computed here, emitted (EMF) by the handler.

Counts and percentages of a whole submission only, published with its la_code as the one dimension: a
metric never carries a value from a return. The handler adds the dimension, each metric, and flushes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from tfnis.coverage.report import CoverageReport

# The headline coverage figures published, by figure id: the rest stay in the council's report.
COVERAGE_FIGURE_METRICS = {
    "housing_status_provided": "HousingStatusProvidedPercent",
    "ethnicity_provided": "EthnicityProvidedPercent",
}


@dataclass(frozen=True)
class StageMetric:
    """One metric of one submission: its name, its CloudWatch unit (Powertools' MetricUnit value) and value."""

    name: str
    unit: Literal["Count", "Percent"]
    value: float


def coverage_metrics(counts: Mapping[str, int], report: CoverageReport) -> list[StageMetric]:
    """A validated submission's size, its findings and its headline coverage (a figure without a percent —
    nothing to divide by, or suppressed — is left out rather than published as 0)."""
    metrics = [
        StageMetric("Families", "Count", counts.get("families", 0)),
        StageMetric("Individuals", "Count", counts.get("individuals", 0)),
        StageMetric("FindingsErrors", "Count", counts.get("errors", 0)),
        StageMetric("FindingsWarnings", "Count", counts.get("warnings", 0)),
    ]
    for figure_id, name in COVERAGE_FIGURE_METRICS.items():
        figure = report.figure(figure_id)
        if figure is not None and figure.percent is not None:
            metrics.append(StageMetric(name, "Percent", figure.percent))
    return metrics


def extract_metrics(counts: Mapping[str, int]) -> list[StageMetric]:
    """What an anonymised submission added to the research extract: its families and individuals."""
    return [
        StageMetric("ExtractFamilies", "Count", counts.get("extract_families", 0)),
        StageMetric("ExtractIndividuals", "Count", counts.get("extract_individuals", 0)),
    ]
