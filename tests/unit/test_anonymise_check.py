"""The pre-write check refuses any column off the allow-list and any identifier-shaped value, without echoing it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.unit.test_anonymise_extract import PROJECT_KEY, families_frame, individuals_frame, key_map_frame
from tfnis.anonymise import FAMILY_EXTRACT, ExtractRefused, check_extract
from tfnis.anonymise.columns import individual_extract
from tfnis.anonymise.extract import ExtractPolicy, build_extract

# k = 1: the hand-built return has two families; the area is asked for so its column can be tampered with.
POLICY = ExtractPolicy(k=1, area="postcode_district")
INDIVIDUAL_EXTRACT = individual_extract("postcode_district")


@pytest.fixture
def extract():
    return build_extract(families_frame(), individuals_frame(), key_map_frame(), PROJECT_KEY, POLICY)


def refusal_rules(frame: pd.DataFrame, table: str = "individuals") -> set[tuple[str, str]]:
    allowed = INDIVIDUAL_EXTRACT if table == "individuals" else FAMILY_EXTRACT
    with pytest.raises(ExtractRefused) as refused:
        check_extract(frame, table, allowed)
    return {(v.column, v.rule) for v in refused.value.violations}


def test_a_built_extract_passes(extract):
    check_extract(extract.individuals, "individuals", INDIVIDUAL_EXTRACT)
    check_extract(extract.families, "families", FAMILY_EXTRACT)


def test_a_column_not_on_the_allow_list_is_refused(extract):
    frame = extract.individuals.assign(forename="Alice")
    assert ("forename", "EXTRACT_COLUMN_NOT_ALLOWED") in refusal_rules(frame)


def test_a_missing_allowed_column_is_refused(extract):
    assert ("age_band", "EXTRACT_COLUMN_MISSING") in refusal_rules(extract.individuals.drop(columns="age_band"))


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("QQ 12 34 56 C", "EXTRACT_NINO_SHAPE"),
        ("AB123456C", "EXTRACT_NINO_SHAPE"),
        ("P207000016049", "EXTRACT_UPN_SHAPE"),
        ("Q207000016049", "EXTRACT_UPN_SHAPE"),  # an invalid UPN identifies a pupil as well as a valid one
        ("SW1A 1AA", "EXTRACT_POSTCODE_SHAPE"),
        ("m1 1ae", "EXTRACT_POSTCODE_SHAPE"),
        ("2016-05-14", "EXTRACT_DATE_SHAPE"),
        ("14/05/2016", "EXTRACT_DATE_SHAPE"),
        ("20160514", "EXTRACT_DATE_SHAPE"),
        ("943 476 5919", "EXTRACT_NHS_NUMBER_SHAPE"),
    ],
)
def test_an_identifier_shaped_value_in_a_text_column_is_refused(extract, value, rule):
    frame = extract.individuals.copy()
    frame.loc[1, "age_band"] = value
    assert ("age_band", rule) in refusal_rules(frame)


def test_a_full_postcode_where_the_district_belongs_is_refused_by_shape_not_only_by_pattern(extract):
    frame = extract.individuals.copy()
    frame.loc[0, "postcode_district"] = "SW1A 1AA"
    assert refusal_rules(frame) == {("postcode_district", "EXTRACT_POSTCODE_SHAPE")}


def test_a_name_in_a_coded_column_is_refused(extract):
    frame = extract.families.copy()
    frame.loc[0, "housing_status"] = "Smith"
    assert ("housing_status", "EXTRACT_VALUE_NOT_ALLOWED") in refusal_rules(frame, "families")


def test_a_date_of_birth_in_the_age_band_column_is_refused(extract):
    frame = extract.individuals.copy()
    frame["age_band"] = frame["age_band"].astype(object)
    frame.loc[0, "age_band"] = dt.date(1989, 11, 23)
    assert ("age_band", "EXTRACT_DATE_NOT_ALLOWED") in refusal_rules(frame)


def test_period_end_is_the_only_date_column_of_the_allow_list():
    dates = {c.name for c in (*FAMILY_EXTRACT, *INDIVIDUAL_EXTRACT) if c.kind == "date"}
    assert dates == {"period_end"}


def test_an_exact_date_in_a_months_column_is_refused(extract):
    frame = extract.families.copy()
    frame.loc[0, "months_since_identified"] = "2023-06-01"
    assert ("months_since_identified", "EXTRACT_DATE_SHAPE") in refusal_rules(frame, "families")


def test_a_linkage_key_that_is_not_a_pseudonym_is_refused(extract):
    frame = extract.individuals.copy()
    frame.loc[2, "person_key"] = "PER-000123"
    assert refusal_rules(frame) == {("person_key", "EXTRACT_NOT_A_PSEUDONYM")}


def test_a_ten_digit_number_in_a_count_column_is_refused_as_nhs_number_shaped(extract):
    frame = extract.individuals.copy()
    frame.loc[0, "asb_nfi"] = 9434765919
    assert ("asb_nfi", "EXTRACT_NHS_NUMBER_SHAPE") in refusal_rules(frame)


def test_the_refusal_names_table_column_rule_and_count_but_never_the_value(extract):
    frame = extract.individuals.copy()
    frame.loc[1, "postcode_district"] = "AB123456C"
    with pytest.raises(ExtractRefused) as refused:
        check_extract(frame, "individuals", INDIVIDUAL_EXTRACT)
    message = str(refused.value)
    assert "individuals.postcode_district" in message and "EXTRACT_NINO_SHAPE (1 row(s))" in message
    assert "AB123456C" not in message


def test_building_an_extract_from_attributes_carrying_a_nino_fails_loudly():
    individuals = individuals_frame()
    individuals.loc[0, "postcode_district"] = "AB123456C"  # a split that put the wrong column in place
    with pytest.raises(ExtractRefused):
        build_extract(families_frame(), individuals, key_map_frame(), PROJECT_KEY, POLICY)
