"""Coverage figures on small hand-built attribute frames (ATTRIBUTES.md): exact counts and percents."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from tfnis.coverage import CoverageReport, coverage_figures, coverage_report
from tfnis.spec import SPEC_VERSION
from tfnis.spec.codes import HEADLINE_PROBLEMS

LA, PERIOD = "E06000001", dt.date(2024, 3, 31)
FAMILY_INTS = ("evictions", "homelessness_applications", "weeks_homeless", "police_callouts", "members")
INDIVIDUAL_INTS = ("age", "asb_nfi", "asb_fi")


def family_frame(*rows: dict) -> pd.DataFrame:
    """Family attributes as split_return hands them over: blanks <NA>, ints Int64, codes string."""
    base = {
        "la_code": LA, "period_end": PERIOD, "framework": "TF6_2015", "date_identified": dt.date(2023, 6, 1),
        "hp_CRIME_ASB": "Y", "hp_EDUCATION": "Y", "intervention_status": "ACTIVE", "members": 2,
    }  # fmt: skip
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame.insert(0, "family_token", [f"{i:032x}" for i in range(len(frame))])
    for code in HEADLINE_PROBLEMS:
        frame[f"hp_{code}"] = frame.get(f"hp_{code}", pd.NA)
    for name in ("housing_status", "rent_arrears", *FAMILY_INTS):
        frame[name] = frame.get(name, pd.NA)
    types = {c: "Int64" if c in FAMILY_INTS else "string" for c in frame.columns if c not in ("period_end",)}
    types.pop("date_identified")
    return frame.astype(types)


def individual_frame(*rows: dict) -> pd.DataFrame:
    base = {"la_code": LA, "period_end": PERIOD, "relation_in_family": "CHILD", "sex": "1", "age": 30}
    frame = pd.DataFrame([{**base, **row} for row in rows])
    frame.insert(0, "record_token", [f"{i:032x}" for i in range(len(frame))])
    optional = (
        "ethnicity", "asb_nfi", "asb_fi", "domestic_violence", "alcohol_dependent", "drug_dependent", "neet",
        "missing_education", "mental_health", "no_fixed_abode", "nino_status", "upn_status",
        "postcode_status", "nhs_status",
    )  # fmt: skip
    for name in optional:
        frame[name] = frame.get(name, pd.NA)
    return frame.astype({c: "Int64" if c in INDIVIDUAL_INTS else "string" for c in frame if c != "period_end"})


def figures_of(families: pd.DataFrame, individuals: pd.DataFrame | None = None) -> dict[str, tuple]:
    if individuals is None:
        individuals = individual_frame({})
    return {f.id: (f.numerator, f.denominator, f.percent) for f in coverage_figures(families, individuals)}


def test_blank_counts_are_not_provided_but_zero_counts_are():
    families = family_frame({"evictions": 0}, {"evictions": 2}, {"evictions": None}, {})
    got = figures_of(families)
    assert got["evictions_provided"] == (2, 4, 50.0)
    assert got["evictions_any"] == (1, 2, 50.0)


def test_all_blank_measure_has_no_any_percent():
    got = figures_of(family_frame({}, {}))
    assert got["police_callouts_provided"] == (0, 2, 0.0)
    assert got["police_callouts_any"] == (0, 0, None)


def test_not_known_housing_is_not_provided():
    families = family_frame(
        {"housing_status": "PRIVATE_RENT"}, {"housing_status": "NOT_KNOWN"}, {"housing_status": None},
        {"housing_status": "TEMPORARY_ACCOM"},
    )  # fmt: skip
    assert figures_of(families)["housing_status_provided"] == (2, 4, 50.0)


def test_rent_arrears_any_counts_yes_among_provided():
    families = family_frame({"rent_arrears": "Y"}, {"rent_arrears": "N"}, {"rent_arrears": "N"}, {})
    got = figures_of(families)
    assert got["rent_arrears_provided"] == (3, 4, 75.0)
    assert got["rent_arrears_any"] == (1, 3, 33.3)


def test_refused_and_not_obtained_ethnicity_are_not_known_not_provided():
    people = individual_frame(
        {"ethnicity": "WBRI"}, {"ethnicity": "REFU"}, {"ethnicity": "NOBT"}, {"ethnicity": None},
        {"ethnicity": "BAFR"}, {"ethnicity": "AIND"}, {},
    )  # fmt: skip
    got = figures_of(family_frame({}), people)
    assert got["ethnicity_provided"] == (3, 7, 42.9)
    assert got["ethnicity_not_known"] == (2, 7, 28.6)
    assert got["individuals"] == (7, 7, 100.0)


def test_neet_counts_only_ages_16_to_24():
    people = individual_frame(
        {"age": 15, "neet": "Y"},  # outside the band: ignored even if filled
        {"age": 16, "neet": "Y"},
        {"age": 20, "neet": "N"},
        {"age": 24},
        {"age": 25, "neet": "N"},
    )
    got = figures_of(family_frame({}), people)
    assert got["neet_provided"] == (2, 3, 66.7)
    assert got["neet_any"] == (1, 2, 50.0)


def test_missing_education_counts_only_ages_5_to_16():
    people = individual_frame(
        {"age": 4}, {"age": 5, "missing_education": "N"}, {"age": 16, "missing_education": "Y"},
        {"age": 17, "missing_education": "Y"},
    )  # fmt: skip
    got = figures_of(family_frame({}), people)
    assert got["missing_education_provided"] == (2, 2, 100.0)
    assert got["missing_education_any"] == (1, 2, 50.0)


def test_domestic_violence_any_is_victim_perpetrator_or_both():
    people = individual_frame(
        *({"domestic_violence": v} for v in ("VICTIM", "PERPETRATOR", "BOTH", "NONE", "NONE", None))
    )
    got = figures_of(family_frame({}), people)
    assert got["domestic_violence_provided"] == (5, 6, 83.3)
    assert got["domestic_violence_any"] == (3, 5, 60.0)


def test_asb_zero_is_provided_without_any():
    people = individual_frame({"asb_fi": 0}, {"asb_fi": 0}, {"asb_fi": 3}, {})
    got = figures_of(family_frame({}), people)
    assert got["asb_fi_provided"] == (3, 4, 75.0)
    assert got["asb_fi_any"] == (1, 3, 33.3)


def test_identifier_figures_use_age_bands_and_quality_flags():
    people = individual_frame(
        {"age": 40, "nino_status": "VALID", "postcode_status": "VALID"},
        {"age": 17, "nino_status": "TEMPORARY", "upn_status": "VALID", "postcode_status": "BFPO"},
        {"age": 10, "upn_status": "INVALID", "postcode_status": "GIR"},
        {"age": 2, "postcode_status": "NO_FIXED_ABODE"},
        {"age": 60, "nino_status": "INVALID", "postcode_status": "INVALID"},
    )
    got = figures_of(family_frame({}), people)
    assert got["nino_valid"] == (1, 3, 33.3)  # 16+: ages 40, 17, 60
    assert got["upn_valid"] == (1, 2, 50.0)  # 4-19: ages 17, 10
    assert got["postcode_valid"] == (2, 5, 40.0)  # VALID and GIR place a person; BFPO and ZZ99 do not
    assert got["no_nino_or_upn"] == (3, 5, 60.0)


def test_status_and_framework_counts_cover_every_code():
    families = family_frame(
        {"intervention_status": "COMPARISON"}, {"intervention_status": "COMPARISON"},
        {"intervention_status": "ENDED"},
        {"framework": "SF10_2022", "hp_HEALTH": "Y", "hp_HOUSING": "Y", "hp_CRIME_ASB": None},
    )  # fmt: skip
    got = figures_of(families)
    assert got["families"] == (4, 4, 100.0)
    assert got["status_COMPARISON"] == (2, 4, 50.0)
    assert got["status_ACTIVE"] == (1, 4, 25.0)
    assert got["status_WITHDRAWN"] == (0, 4, 0.0)
    assert got["framework_TF6_2015"] == (3, 4, 75.0)
    assert got["framework_SF10_2022"] == (1, 4, 25.0)


def test_headline_problem_denominator_is_families_of_a_framework_with_that_problem():
    families = family_frame(
        {"hp_HEALTH": "Y"}, {"hp_HEALTH": "N"}, {},
        {"framework": "SF10_2022", "hp_CRIME_ASB": None, "hp_EDUCATION": "N", "hp_HOUSING": "Y",
         "hp_HEALTH": "Y"},
    )  # fmt: skip
    got = figures_of(families)
    assert got["hp_CRIME_ASB"] == (3, 3, 100.0)  # TF6 only
    assert got["hp_HOUSING"] == (1, 1, 100.0)  # SF10 only
    assert got["hp_HEALTH"] == (2, 4, 50.0)  # both frameworks
    assert got["hp_EDUCATION"] == (3, 4, 75.0)


def test_problem_distribution_runs_from_the_framework_minimum():
    families = family_frame({}, {}, {"hp_HEALTH": "Y"}, {"hp_HEALTH": "Y", "hp_DOMESTIC_ABUSE": "Y"})
    got = figures_of(families)
    assert "problems_1" not in got
    assert [got[f"problems_{k}"][0] for k in range(2, 7)] == [2, 1, 1, 0, 0]


def test_headline_problems_of_an_absent_framework_are_not_reported():
    got = figures_of(family_frame({}))
    assert "hp_EARLY_YEARS" not in got
    assert "hp_CRIME_ASB" in got


def test_figures_are_computed_when_optional_columns_are_absent():
    families = family_frame({"evictions": 1}).drop(columns=["police_callouts", "housing_status"])
    people = individual_frame({}).drop(columns=["ethnicity", "nino_status"])
    got = figures_of(families, people)
    assert got["police_callouts_provided"] == (0, 1, 0.0)
    assert got["ethnicity_provided"] == (0, 1, 0.0)
    assert got["no_nino_or_upn"] == (1, 1, 100.0)


def test_every_issue_4_id_is_present_and_unique():
    ids = [f.id for f in coverage_figures(family_frame({}), individual_frame({}))]
    assert len(ids) == len(set(ids))
    measures = (
        "evictions", "homelessness_applications", "weeks_homeless", "rent_arrears", "police_callouts",
        "asb_nfi", "asb_fi", "domestic_violence", "alcohol_dependent", "drug_dependent", "neet",
        "missing_education", "mental_health",
    )  # fmt: skip
    expected = {
        "housing_status_provided", "ethnicity_provided", "ethnicity_not_known", "nino_valid", "upn_valid",
        "postcode_valid", "no_nino_or_upn", "status_COMPARISON", "status_ACTIVE", "status_ENDED",
        "status_WITHDRAWN", *(f"{m}_{s}" for m in measures for s in ("provided", "any")),
    }  # fmt: skip
    assert expected <= set(ids)


def test_report_json_has_exactly_the_contract_keys():
    report = coverage_report(family_frame({}), individual_frame({}))
    document = json.loads(json.dumps(report.to_json()))
    assert list(document) == ["spec_version", "la_code", "period_end", "figures"]
    assert (document["spec_version"], document["la_code"], document["period_end"]) == (
        SPEC_VERSION, LA, "2024-03-31",
    )  # fmt: skip
    assert all(
        list(f) == ["id", "label", "level", "numerator", "denominator", "percent", "suppressed"]
        for f in document["figures"]
    )
    assert CoverageReport.from_json(document) == report


def test_report_needs_one_council_and_period():
    families = family_frame({}, {"la_code": "E06000002"})
    with pytest.raises(ValueError, match="la_code"):
        coverage_report(families, individual_frame({}))


def test_csv_has_one_row_per_figure_and_no_formula_cells():
    report = coverage_report(family_frame({}), individual_frame({}))
    report = CoverageReport(report.spec_version, "=HYPERLINK(1)", report.period_end, report.figures)
    lines = report.to_csv().splitlines()
    assert lines[0] == "spec_version,la_code,period_end,id,label,level,numerator,denominator,percent,suppressed"
    assert len(lines) == 1 + len(report.figures)
    assert all(",'=HYPERLINK(1)," in line for line in lines[1:])


def test_every_figure_id_is_documented_with_its_label():
    doc = (Path(__file__).parents[2] / "docs" / "coverage.md").read_text(encoding="utf-8")
    families = family_frame({}, {"framework": "SF10_2022"})
    for f in coverage_figures(families, individual_frame({})):
        documented = (
            "`problems_<n>` | Families with n headline problems"
            if f.id.startswith("problems_")
            else (f"`{f.id}` | {f.label} | {f.level} |")
        )
        assert documented in doc, f.id


def test_a_pipeline_report_also_says_which_submission_and_when_it_was_validated():
    from dataclasses import replace

    report = replace(coverage_report(family_frame({}), individual_frame({})), submission_id="s1", validated_at="t")
    document = report.to_json()
    assert list(document)[-2:] == ["submission_id", "validated_at"]
    assert type(report).from_json(document) == report
