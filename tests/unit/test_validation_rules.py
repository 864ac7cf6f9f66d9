"""Every rule of DATA_SPEC.md, one cell at a time: start from the hand-written valid return, break one thing,
and the report cites exactly that (file, row, column, rule) with the rule's severity."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tfnis.spec.columns import IDENTIFIER_COLUMNS
from tfnis.spec.findings import Status
from tfnis.validation import validate_return

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"
F, I = "families.csv", "individuals.csv"  # noqa: E741


def load() -> tuple[pd.DataFrame, pd.DataFrame]:
    read = {"dtype": str, "keep_default_na": False}
    return pd.read_csv(VALID / F, **read), pd.read_csv(VALID / I, **read)


def run(tmp_path, families, individuals, **expected):
    families.to_csv(tmp_path / F, index=False)
    individuals.to_csv(tmp_path / I, index=False)
    return validate_return([tmp_path / F, tmp_path / I], **expected)


def cited(report, rule=None) -> set[tuple]:
    return {(f.file, f.row, f.column, f.rule) for f in report.findings if rule is None or f.rule == rule}


def edited(edits: dict[str, list[tuple[int, str, str]]]):
    families, individuals = load()
    tables = {"families": families, "individuals": individuals}
    for table, changes in edits.items():
        for row, column, value in changes:
            tables[table].loc[row - 2, column] = value  # spreadsheet row: the header is row 1
    return families, individuals


def test_the_hand_written_return_is_valid_with_no_findings(tmp_path):
    report = run(tmp_path, *load())
    assert report.status is Status.VALID
    assert report.findings == []
    assert (report.counts["families"], report.counts["individuals"]) == (3, 8)
    assert report.la_code == "E09000033" and report.period_end == dt.date(2024, 3, 31)


# (case, edits, the findings expected (file, row, column, rule), status); rows as the spreadsheet numbers them
CASES = [
    ("required value blank", {"individuals": [(3, "surname", "")]}, {(I, 3, "surname", "REQUIRED_MISSING")},
     "REJECTED"),
    ("invalid code", {"families": [(2, "intervention_status", "ACTIVEE")]},
     {(F, 2, "intervention_status", "INVALID_CODE")}, "REJECTED"),
    ("codes are case-insensitive", {"individuals": [(3, "relation_in_family", " child ")]}, set(), "VALID"),
    ("date not a date", {"families": [(2, "date_identified", "12 June 2023")]},
     {(F, 2, "date_identified", "DATE_FORMAT")}, "REJECTED"),
    ("impossible date", {"families": [(2, "date_identified", "2023-02-30")]},
     {(F, 2, "date_identified", "INVALID_DATE")}, "REJECTED"),
    ("uk date accepted", {"families": [(2, "date_identified", "12/06/2023")]}, set(), "VALID"),
    ("integer not a number", {"families": [(2, "evictions", "two")]}, {(F, 2, "evictions", "INVALID_INTEGER")},
     "REJECTED"),
    ("integer out of range is a warning", {"families": [(3, "weeks_homeless", "30")]},
     {(F, 3, "weeks_homeless", "OUT_OF_RANGE")}, "VALID"),
    ("negative count is out of range, not a formula", {"families": [(2, "evictions", "-1")]},
     {(F, 2, "evictions", "OUT_OF_RANGE")}, "VALID"),
    ("id too long", {"individuals": [(4, "person_id", "P" * 37)]}, {(I, 4, "person_id", "TOO_LONG")}, "REJECTED"),
    ("id with a space", {"individuals": [(4, "person_id", "P 0003")]}, {(I, 4, "person_id", "ID_FORMAT")},
     "REJECTED"),
    ("name with a digit", {"individuals": [(5, "forename", "M0hammed")]},
     {(I, 5, "forename", "INVALID_CHARACTERS")}, "VALID"),
    ("formula in a cell", {"individuals": [(2, "domestic_violence", "=1+1")]},
     {(I, 2, "domestic_violence", "FORMULA_INJECTION"), (I, 2, "domestic_violence", "INVALID_CODE")}, "REJECTED"),
    ("sex as a letter", {"individuals": [(2, "sex", "f")]}, {(I, 2, "sex", "SEX_ALIAS")}, "VALID"),
    ("extended ethnicity", {"individuals": [(8, "ethnicity", "WENG")]}, {(I, 8, "ethnicity", "ETHNICITY_EXTENDED")},
     "VALID"),
    ("unknown ethnicity", {"individuals": [(8, "ethnicity", "XXXX")]}, {(I, 8, "ethnicity", "INVALID_CODE")},
     "REJECTED"),
    ("district council code", {"families": [(2, "la_code", "E07000033")]},
     {(F, 2, "la_code", "LA_CODE_FORMAT")}, "REJECTED"),
    ("another council's row", {"individuals": [(6, "la_code", "E09000001")]},
     {(I, 6, "la_code", "LA_CODE_MISMATCH")}, "REJECTED"),
    ("period end on another row", {"families": [(3, "period_end", "2023-09-30")]},
     {(F, 3, "period_end", "PERIOD_MISMATCH")}, "REJECTED"),
    ("duplicate family", {"families": [(3, "family_id", "FAM-001")]},
     {(F, 2, "family_id", "DUPLICATE_FAMILY_ID"), (F, 3, "family_id", "DUPLICATE_FAMILY_ID"),
      *((I, row, "family_id", "FAMILY_MISSING") for row in (5, 6, 7))}, "REJECTED"),
    ("duplicate person", {"individuals": [(9, "person_id", "P-0007")]},
     {(I, 8, "person_id", "DUPLICATE_PERSON_ID"), (I, 9, "person_id", "DUPLICATE_PERSON_ID")}, "REJECTED"),
    ("individual of no family", {"individuals": [(7, "family_id", "FAM-999")]},
     {(I, 7, "family_id", "FAMILY_MISSING")}, "REJECTED"),
    ("too few problems", {"families": [(4, "hp_WORKLESS_FIN", "N"), (4, "hp_EDUCATION", "")]},
     {(F, 4, "framework", "HP_BELOW_MINIMUM")},
     "REJECTED"),
    ("problem of the other framework", {"families": [(4, "hp_HOUSING", "Y")]},
     {(F, 4, "hp_HOUSING", "HP_NOT_IN_FRAMEWORK")}, "VALID"),
    ("active without a start", {"families": [(2, "support_start_date", "")]},
     {(F, 2, "support_start_date", "SUPPORT_START_REQUIRED")}, "REJECTED"),
    ("comparison with a start", {"families": [(4, "support_start_date", "2020-01-01")]},
     {(F, 4, "support_start_date", "SUPPORT_START_NOT_ALLOWED")}, "REJECTED"),
    ("ended without an end", {"families": [(3, "support_end_date", "")]},
     {(F, 3, "support_end_date", "SUPPORT_END_REQUIRED")}, "REJECTED"),
    ("support before identification", {"families": [(2, "support_start_date", "2023-01-01")]},
     {(F, 2, "support_start_date", "DATE_ORDER")}, "REJECTED"),
    ("end before start", {"families": [(3, "support_end_date", "2023-09-01")]},
     {(F, 3, "support_end_date", "DATE_ORDER")}, "REJECTED"),
    ("end after the period", {"families": [(3, "support_end_date", "2024-04-02")]},
     {(F, 3, "support_end_date", "DATE_AFTER_PERIOD")}, "REJECTED"),
    ("born after the period", {"individuals": [(7, "date_of_birth", "2024-05-01")]},
     {(I, 7, "date_of_birth", "DOB_IN_FUTURE"), (I, 7, "upn", "UPN_AGE"),
      (I, 7, "missing_education", "MISSING_EDUCATION_AGE")}, "REJECTED"),
    ("older than 110", {"individuals": [(8, "date_of_birth", "1900-01-01")]},
     {(I, 8, "date_of_birth", "AGE_OUT_OF_RANGE")}, "VALID"),
    ("upn with the wrong check letter", {"individuals": [(3, "upn", "Q207000016049")]},
     {(I, 3, "upn", "UPN_CHECK_LETTER")}, "VALID"),
    ("upn of the wrong shape", {"individuals": [(3, "upn", "P20700001604")]}, {(I, 3, "upn", "UPN_FORMAT")}, "VALID"),
    ("upn given twice", {"individuals": [(7, "upn", "p207 0000 16049")]},
     {(I, 3, "upn", "DUPLICATE_UPN"), (I, 7, "upn", "DUPLICATE_UPN")}, "REJECTED"),
    ("upn for an adult", {"individuals": [(5, "upn", "B801200005001"), (4, "upn", "")]},
     {(I, 5, "upn", "UPN_AGE")}, "VALID"),
    ("nino malformed", {"individuals": [(2, "nino", "AB123456E")]}, {(I, 2, "nino", "NINO_FORMAT")}, "VALID"),
    ("nino temporary", {"individuals": [(2, "nino", "TN020485F")]}, {(I, 2, "nino", "NINO_TEMPORARY")}, "VALID"),
    ("nino administrative", {"individuals": [(2, "nino", "PP123456A")]}, {(I, 2, "nino", "NINO_ADMINISTRATIVE")},
     "VALID"),
    ("nino for a child", {"individuals": [(3, "nino", "JC111111A")]}, {(I, 3, "nino", "NINO_UNDER_16")}, "VALID"),
    ("postcode malformed", {"individuals": [(5, "postcode", "QQ1 1AA")]}, {(I, 5, "postcode", "POSTCODE_FORMAT")},
     "VALID"),
    ("postcode missing with an address", {"individuals": [(5, "postcode", "")]},
     {(I, 5, "postcode", "POSTCODE_REQUIRED")}, "REJECTED"),
    ("nhs pseudo postcode", {"individuals": [(8, "postcode", "ZZ99 3VZ")]},
     {(I, 8, "postcode", "POSTCODE_NO_FIXED_ABODE")}, "VALID"),
    ("nhs number check digit", {"individuals": [(2, "nhs_number", "9434765918")]},
     {(I, 2, "nhs_number", "NHS_NUMBER_CHECK")}, "VALID"),
    ("neet for a child", {"individuals": [(3, "neet", "N")]}, {(I, 3, "neet", "NEET_AGE")}, "VALID"),
    ("missing education for an adult", {"individuals": [(2, "missing_education", "N")]},
     {(I, 2, "missing_education", "MISSING_EDUCATION_AGE")}, "VALID"),
]  # fmt: skip


@pytest.mark.parametrize(("edits", "expected", "status"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_broken_cell_is_cited_and_nothing_else(tmp_path, edits, expected, status):
    report = run(tmp_path, *edited(edits))
    assert cited(report) == expected
    assert report.status.value == status


def test_family_without_members_is_rejected(tmp_path):
    families, individuals = load()
    report = run(tmp_path, families, individuals[individuals["family_id"] != "FAM-003"])
    assert cited(report) == {(F, 4, "family_id", "FAMILY_NO_MEMBERS")}


def test_return_from_another_council_is_rejected(tmp_path):
    report = run(tmp_path, *load(), expected_la_code="E08000025")
    assert {f.rule for f in report.findings} == {"LA_CODE_MISMATCH"}
    assert report.counts["by_rule"]["LA_CODE_MISMATCH"] == 11
    assert report.status is Status.REJECTED


def test_return_for_another_period_is_rejected(tmp_path):
    report = run(tmp_path, *load(), expected_period_end=dt.date(2024, 9, 30))
    assert report.counts["by_rule"] == {"PERIOD_MISMATCH": 11}


def test_period_end_must_be_end_of_march_or_september(tmp_path):
    families, individuals = load()
    families["period_end"] = individuals["period_end"] = "2024-04-30"
    families["date_identified"] = "2023-01-01"
    report = run(tmp_path, families, individuals)
    assert report.counts["by_rule"] == {"PERIOD_END_INVALID": 11}


def test_missing_required_column_is_cited_once_for_the_file(tmp_path):
    families, individuals = load()
    report = run(tmp_path, families, individuals.drop(columns=["relation_in_family"]))
    assert cited(report) == {(I, None, "relation_in_family", "MISSING_COLUMN")}


def test_missing_headline_problem_column_of_a_framework_in_use(tmp_path):
    families, individuals = load()
    report = run(tmp_path, families.drop(columns=["hp_FINANCE"]), individuals)
    assert (F, None, "hp_FINANCE", "MISSING_COLUMN") in cited(report)


def test_headline_columns_of_an_unused_framework_may_be_left_out(tmp_path):
    families, individuals = load()
    families = families[families["framework"] == "SF10_2022"]
    tf6_only = ["hp_CRIME_ASB", "hp_CHILD_NEEDS_HELP", "hp_WORKLESS_FIN"]
    individuals = individuals[individuals["family_id"] != "FAM-003"]
    report = run(tmp_path, families.drop(columns=tf6_only), individuals)
    assert report.status is Status.VALID and report.findings == []


def test_optional_columns_may_be_left_out(tmp_path):
    families, individuals = load()
    report = run(tmp_path, families.drop(columns=["police_callouts"]), individuals.drop(columns=["ethnicity"]))
    assert report.status is Status.VALID and report.findings == []


def test_duplicate_and_unknown_columns(tmp_path):
    families, individuals = load()
    individuals["Favourite colour"] = "blue"
    header, *rows = individuals.to_csv(index=False).splitlines()
    families.to_csv(tmp_path / F, index=False)
    (tmp_path / I).write_text("\n".join([header + ",sex", *(row + ",1" for row in rows)]) + "\n", encoding="utf-8")
    report = validate_return([tmp_path / F, tmp_path / I])
    assert cited(report) == {(I, None, "sex", "DUPLICATE_COLUMN"), (I, None, "Favourite colour", "UNKNOWN_COLUMN")}


def test_column_names_are_matched_case_insensitively(tmp_path):
    families, individuals = load()
    individuals.columns = [c.upper() for c in individuals.columns]
    families.columns = [f" {c} " for c in families.columns]
    report = run(tmp_path, families, individuals)
    assert report.findings == []


def test_parsed_tables_are_typed_and_normalised(tmp_path):
    report = run(tmp_path, *edited({"individuals": [(2, "sex", "F"), (8, "ethnicity", "wsco")]}))
    individuals = report.individuals  # indexed by spreadsheet row: the first person is row 2
    assert individuals.loc[2, "sex"] == "2" and individuals.loc[8, "ethnicity"] == "WBRI"
    assert str(individuals["asb_nfi"].dtype) == "Int64" and pd.isna(individuals.loc[4, "asb_nfi"])
    assert individuals.loc[2, "date_of_birth"] == pd.Timestamp("1985-04-02")
    assert pd.isna(individuals.loc[3, "middle_names"])  # empty stays <NA>, never ""


# --- privacy: a finding never carries an identifier value --------------------------------------------------
def test_no_finding_message_ever_contains_an_identifier_value(tmp_path):
    nasty = {
        "family_id": "FAM 0001 <script>",
        "person_id": "PERSON=HYPERLINK(1)",
        "forename": "Xylophone99",
        "surname": "Quibblewick!",
        "middle_names": "Zebediah" * 30,
        "date_of_birth": "31/02/1985",
        "postcode": "QQ99 9QQ",
        "nino": "QQ123456Z",
        "upn": "Z999999999999",
        "nhs_number": "1234567890",
    }
    families, individuals = load()
    for column, value in nasty.items():
        individuals.loc[0, column] = value
    families.loc[0, "family_id"] = nasty["family_id"]
    report = run(tmp_path, families, individuals)
    assert report.status is Status.REJECTED
    everything = report.findings_frame()
    text = "\n".join(everything["message"].tolist() + [str(c) for c in everything["column"].tolist()])
    for column, value in nasty.items():
        assert column in IDENTIFIER_COLUMNS
        assert value not in text and value.lower() not in text.lower()
    valid_values = set(load()[1][list(IDENTIFIER_COLUMNS - {"family_id"} & set(load()[1].columns))].stack())
    assert not {v for v in valid_values if len(v) > 3 and v in text}


# --- one finding per cause, in the order to act on them -----------------------------------------------------
def test_a_return_missing_date_of_birth_says_so_first_and_nothing_that_follows_from_it(tmp_path):
    families, individuals = load()
    report = run(tmp_path, families, individuals.drop(columns=["date_of_birth"]))
    assert (report.findings[0].rule, report.findings[0].column) == ("MISSING_COLUMN", "date_of_birth")
    assert cited(report) == {(I, None, "date_of_birth", "MISSING_COLUMN")}


def test_a_missing_headline_problem_column_does_not_also_fail_every_family_on_the_minimum(tmp_path):
    families, individuals = load()
    report = run(tmp_path, families.drop(columns=["hp_EDUCATION"]), individuals)
    assert cited(report) == {(F, None, "hp_EDUCATION", "MISSING_COLUMN")}


def test_a_header_naming_no_column_is_one_finding_not_one_per_column(tmp_path):
    families, individuals = load()
    individuals.columns = [f"Spalte {n}" for n in range(len(individuals.columns))]
    report = run(tmp_path, families, individuals)
    assert cited(report) == {(I, None, None, "HEADER_NOT_FOUND")}


def test_an_unreadable_start_date_is_not_also_called_missing(tmp_path):
    report = run(tmp_path, *edited({"families": [(2, "support_start_date", "July 2023")]}))
    assert cited(report) == {(F, 2, "support_start_date", "DATE_FORMAT")}


def test_findings_come_errors_first_then_warnings_then_notes_file_level_first(tmp_path):
    edits = {
        "individuals": [(3, "sex", "M"), (4, "nino", "AB123456E"), (5, "relation_in_family", "AUNT")],
        "families": [(4, "evictions", "two")],
    }
    families, individuals = edited(edits)
    report = run(tmp_path, families, individuals.drop(columns=["surname"]))
    assert [(f.severity.value, f.file, f.row, f.rule) for f in report.findings] == [
        ("error", I, None, "MISSING_COLUMN"),
        ("error", F, 4, "INVALID_INTEGER"),
        ("error", I, 5, "INVALID_CODE"),
        ("warning", I, 4, "NINO_FORMAT"),
        ("info", I, 3, "SEX_ALIAS"),
    ]


def test_yes_no_in_every_row_is_one_note_for_the_column(tmp_path):
    families, individuals = load()
    individuals["mental_health"] = individuals["mental_health"].map({"Y": "Yes", "N": "no", "": ""})
    report = run(tmp_path, families, individuals)
    assert cited(report) == {(I, 2, "mental_health", "YES_NO_ALIAS")}
    assert report.status is Status.VALID and report.individuals["mental_health"].dropna().isin(["Y", "N"]).all()
    assert "4 cells" in report.findings[0].message
