"""Reference dataset contracts and the validation of a reference extract (issue 15 item 1)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from tfnis.reference import IDENTIFIER_COLUMNS, UnknownDataset, contract, dataset_names
from tfnis.reference.validation import RULES, check_extract, read_extract
from tfnis.spec.findings import Severity, Status

PERIOD_END = date(2025, 9, 30)
UPN, NINO = "H801200001001", "AB123456C"  # a UPN with a correct check letter; a valid NINO
SECRET_NAME, SECRET_DOB = "Zebedee", "2012-03-04"


def test_three_datasets_are_declared():
    assert dataset_names() == ("benefits_employment", "education", "offending")


def test_each_dataset_is_keyed_as_the_issue_says():
    assert "upn" in contract("education").identifiers and "nino" not in contract("education").identifiers
    assert not {"nino", "upn"} & set(contract("offending").identifiers)
    assert "nino" in contract("benefits_employment").identifiers
    for name in dataset_names():
        assert set(contract(name).identifiers) <= set(IDENTIFIER_COLUMNS)


def test_outcomes_have_types_codes_and_a_period():
    education = {o.name: o for o in contract("education").outcomes}
    assert education["sessions_missed"].type == "integer" and education["sessions_missed"].not_above
    assert education["permanent_exclusion"].codes == ("Y", "N")
    assert all(contract(n).period for n in dataset_names())


def test_unknown_dataset_is_refused():
    with pytest.raises(UnknownDataset):
        contract("children_in_need")


def education_rows(**overrides: str) -> pd.DataFrame:
    row = {
        "record_id": "R1", "upn": UPN, "forename": SECRET_NAME, "surname": "Smith", "date_of_birth": SECRET_DOB,
        "sex": "1", "postcode": "E8 1AA", "sessions_possible": "180", "sessions_missed": "10",
        "fixed_term_exclusions": "0", "permanent_exclusion": "N",
    }  # fmt: skip
    return pd.DataFrame([{**row, **overrides}])


def check(frame: pd.DataFrame, dataset: str = "education"):
    return check_extract(frame, contract(dataset), "records.csv", PERIOD_END)[0]


def test_a_clean_extract_is_valid():
    result = check(education_rows())
    assert result.status is Status.VALID and result.matchable == 1 and not result.findings


def test_an_unexpected_column_rejects_the_extract():
    result = check(education_rows().assign(ethnicity="WBRI"))
    assert result.status is Status.REJECTED
    assert [(f.column, f.rule) for f in result.findings] == [("ethnicity", "REF_UNEXPECTED_COLUMN")]


def test_a_missing_column_rejects_the_extract():
    result = check(education_rows().drop(columns="sessions_missed"))
    assert ("sessions_missed", "REF_MISSING_COLUMN") in [(f.column, f.rule) for f in result.findings]


def test_outcome_rules_are_errors_with_file_row_column_and_rule():
    frame = pd.concat(
        [
            education_rows(sessions_missed="x"),
            education_rows(record_id="R2", sessions_missed="200"),
            education_rows(record_id="R3", permanent_exclusion="MAYBE"),
            education_rows(record_id="R3", sessions_possible="999"),
        ],
        ignore_index=True,
    )
    found = {(f.row, f.column, f.rule) for f in check(frame).findings}
    assert (1, "sessions_missed", "REF_OUTCOME_NOT_INTEGER") in found
    assert (2, "sessions_missed", "REF_OUTCOME_EXCEEDS") in found
    assert (3, "permanent_exclusion", "REF_OUTCOME_INVALID_CODE") in found
    assert (4, "sessions_possible", "REF_OUTCOME_OUT_OF_RANGE") in found
    assert (4, "record_id", "REF_RECORD_ID_DUPLICATE") in found
    assert check(frame).status is Status.REJECTED


def test_an_invalid_upn_is_a_warning_that_leaves_name_and_dob_to_match_on():
    result = check(education_rows(upn="A801200001009"))
    assert [(f.rule, f.severity) for f in result.findings] == [("REF_INVALID_UPN", Severity.WARNING)]
    assert result.status is Status.VALID and result.matchable == 1


def test_a_record_with_no_usable_key_is_unmatchable():
    result = check(education_rows(upn="", forename=""), "education")
    assert "REF_UNMATCHABLE" in {f.rule for f in result.findings} and result.matchable == 0


def test_findings_never_carry_an_identifier_value():
    frame = education_rows(upn="A801200001009", date_of_birth="1950-01-01", postcode="NOT A CODE")
    found = check(frame).findings
    assert {f.rule for f in found} >= {"REF_INVALID_UPN", "REF_AGE_OUTSIDE_RANGE", "REF_INVALID_POSTCODE"}
    text = " ".join(f.model_dump_json() for f in found)
    for value in ("A801200001009", "1950", SECRET_NAME, "NOT A CODE"):
        assert value not in text


def test_a_benefits_record_with_an_invalid_nino_and_no_name_is_unmatchable():
    row = {
        "record_id": "R1", "nino": "QQ123456C", "forename": "", "surname": "Smith", "date_of_birth": "1980-01-01",
        "sex": "2", "postcode": "", "months_out_of_work_benefits": "3", "months_employed": "2",
    }  # fmt: skip
    result = check(pd.DataFrame([row]), "benefits_employment")
    assert {"REF_INVALID_NINO", "REF_UNMATCHABLE"} <= {f.rule for f in result.findings}


def test_many_bad_rows_are_listed_up_to_a_cap_then_counted():
    frame = pd.concat([education_rows(record_id=f"R{i}", upn="A801200001009") for i in range(150)], ignore_index=True)
    found = [f for f in check(frame).findings if f.column == "upn"]
    assert len(found) == 101 and found[-1].rule == "REF_MORE_FINDINGS" and "50 more" in found[-1].message


def test_unreadable_and_empty_files_are_rejected():
    assert read_extract(b"\xff\xfe\x00garbage\x00") is None
    assert check_extract(None, contract("offending"), "x.csv", PERIOD_END)[0].status is Status.REJECTED
    header_only = read_extract(b"record_id,forename\n")
    assert check(header_only).findings[0].rule == "REF_HEADER_ONLY"


def test_every_rule_code_has_a_severity_and_meaning():
    assert all(isinstance(s, Severity) and meaning for s, meaning in RULES.values())
