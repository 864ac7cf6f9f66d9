"""The metrics a stage's result is published as: computed in tfnis.pipeline.metrics, counts and percents only."""

from __future__ import annotations

from dataclasses import replace

from tests.unit.test_coverage_figures import family_frame, individual_frame
from tfnis.coverage import coverage_report
from tfnis.pipeline.metrics import StageMetric, coverage_metrics, extract_metrics

COUNTS = {"families": 4, "individuals": 3, "errors": 0, "warnings": 7, "info": 2, "persons": 3}


def housing_and_ethnicity_report():
    """Housing provided for 2 of 4 families (NOT_KNOWN and blank are not provided); ethnicity for 1 of 3
    individuals (REFU is not known, blank not given)."""
    families = family_frame(
        {"housing_status": "PRIVATE_RENT"}, {"housing_status": "NOT_KNOWN"}, {"housing_status": None},
        {"housing_status": "TEMPORARY_ACCOM"},
    )  # fmt: skip
    individuals = individual_frame({"ethnicity": "WBRI"}, {"ethnicity": "REFU"}, {"ethnicity": None})
    return coverage_report(families, individuals)


def test_coverage_metrics_are_the_submissions_size_findings_and_headline_coverage() -> None:
    metrics = coverage_metrics(COUNTS, housing_and_ethnicity_report())
    assert metrics == [
        StageMetric("Families", "Count", 4),
        StageMetric("Individuals", "Count", 3),
        StageMetric("FindingsErrors", "Count", 0),
        StageMetric("FindingsWarnings", "Count", 7),
        StageMetric("HousingStatusProvidedPercent", "Percent", 50.0),
        StageMetric("EthnicityProvidedPercent", "Percent", 33.3),
    ]


def test_a_count_the_submission_lacks_is_published_as_zero() -> None:
    metrics = {m.name: m.value for m in coverage_metrics({}, housing_and_ethnicity_report())}
    assert metrics["Families"] == metrics["FindingsErrors"] == 0


def test_a_coverage_figure_without_a_percent_is_left_out_not_published_as_zero() -> None:
    report = housing_and_ethnicity_report()
    blanked = tuple(replace(f, percent=None) if f.id == "ethnicity_provided" else f for f in report.figures)
    names = [m.name for m in coverage_metrics(COUNTS, replace(report, figures=blanked))]
    assert "EthnicityProvidedPercent" not in names and "HousingStatusProvidedPercent" in names


def test_extract_metrics_count_what_anonymisation_added_to_the_research_extract() -> None:
    counts = {**COUNTS, "extract_families": 4, "extract_individuals": 3}
    assert extract_metrics(counts) == [
        StageMetric("ExtractFamilies", "Count", 4),
        StageMetric("ExtractIndividuals", "Count", 3),
    ]
    assert [m.value for m in extract_metrics({})] == [0, 0]


def test_metric_units_are_ones_powertools_publishes() -> None:
    from aws_lambda_powertools.metrics import MetricUnit

    units = {m.unit for m in [*coverage_metrics(COUNTS, housing_and_ethnicity_report()), *extract_metrics(COUNTS)]}
    assert units == {"Count", "Percent"} and units <= {u.value for u in MetricUnit}
