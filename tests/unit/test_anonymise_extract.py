"""The research extract from hand-built attribute frames and a key map (briefs/ATTRIBUTES.md shapes)."""

from __future__ import annotations

import datetime as dt
import secrets

import pandas as pd
import pytest

from tfnis.anonymise import FAMILY_EXTRACT, INDIVIDUAL_EXTRACT, pseudonym
from tfnis.anonymise.extract import ExtractPolicy, KeyMapMismatch, build_extract
from tfnis.disclosure import DisclosureRefused
from tfnis.storage.parquet import frame_from_parquet

LA, PERIOD = "E08000025", dt.date(2024, 3, 31)
PROJECT_KEY = bytes(range(32))
K1 = ExtractPolicy(k=1)


def families_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "family_token": ["f1", "f2"],
            "la_code": LA,
            "period_end": pd.Timestamp(PERIOD),
            "family_id": ["FAM-001", "FAM-002"],  # must never get through, even if a split left it in
            "framework": "TF6_2015",
            "date_identified": pd.to_datetime(["2023-06-01", "2023-07-15"]),
            "hp_CRIME_ASB": pd.array(["Y", "N"], dtype="string"),
            "hp_EDUCATION": pd.array(["Y", "Y"], dtype="string"),
            "intervention_status": pd.array(["ACTIVE", "COMPARISON"], dtype="string"),
            "support_start_date": pd.to_datetime(["2023-09-01", None]),
            "support_end_date": pd.to_datetime([None, None]),
            "housing_status": pd.array(["SOCIAL_RENT_LA", pd.NA], dtype="string"),
            "evictions": pd.array([0, pd.NA], dtype="Int64"),
            "members": pd.array([2, 1], dtype="Int64"),
        }
    )


def individuals_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_token": ["r1", "r2", "r3"],
            "family_token": ["f1", "f1", "f2"],
            "la_code": LA,
            "period_end": pd.Timestamp(PERIOD),
            "relation_in_family": pd.array(["MAIN_CARER", "CHILD", "MAIN_CARER"], dtype="string"),
            "sex": pd.array(["2", "1", "0"], dtype="string"),
            "age": pd.array([34, 7, 41], dtype="Int64"),
            "birth_month": pd.to_datetime(["1989-11-01", "2016-05-01", "1982-08-01"]),
            "ethnicity": pd.array(["WBRI", pd.NA, "REFU"], dtype="string"),
            "postcode_district": pd.array(["SW1A", "SW1A", pd.NA], dtype="string"),
            "no_fixed_abode": pd.array([pd.NA, pd.NA, "Y"], dtype="string"),
            "asb_nfi": pd.array([1, pd.NA, 0], dtype="Int64"),
            "nino_status": pd.array(["VALID", pd.NA, "INVALID"], dtype="string"),
            "upn_status": pd.array([pd.NA, "VALID", pd.NA], dtype="string"),
        }
    )


def key_map_frame(person_keys: list[str] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "record_token": ["r1", "r2", "r3"],
            "family_token": ["f1", "f1", "f2"],
            "person_key": person_keys or [secrets.token_hex(16) for _ in range(3)],
            "family_key": ["fam-a", "fam-a", "fam-b"],
        }
    )


def extract_of(families=None, individuals=None, key_map=None, policy=K1):
    """The tiny hand-built return with k = 1: these tests pin minimisation and pseudonyms, not k (see
    test_disclosure_*), and a council of two families cannot be 5-anonymous."""
    return build_extract(
        families_frame() if families is None else families,
        individuals_frame() if individuals is None else individuals,
        key_map_frame() if key_map is None else key_map,
        PROJECT_KEY,
        policy,
    )


def by_person(extract, person_keys):
    """The individuals' rows in the order of the key map's person keys (the extract itself is shuffled)."""
    order = {pseudonym(PROJECT_KEY, "person", k): i for i, k in enumerate(person_keys)}
    return extract.individuals.assign(_o=extract.individuals["person_key"].map(order)).sort_values("_o")


def by_family(extract):
    order = {pseudonym(PROJECT_KEY, "family", k): i for i, k in enumerate(["fam-a", "fam-b"])}
    frame = extract.families.assign(_o=extract.families["family_key"].map(order)).sort_values("_o")
    return frame.reset_index(drop=True)


def test_extract_has_exactly_the_allowed_columns_in_order():
    extract = extract_of()
    assert list(extract.families.columns) == [c.name for c in FAMILY_EXTRACT]
    assert list(extract.individuals.columns) == [c.name for c in INDIVIDUAL_EXTRACT]


def test_council_ids_tokens_dates_and_fine_values_are_left_behind():
    extract = extract_of()
    columns = set(extract.families.columns) | set(extract.individuals.columns)
    for gone in (
        "family_id", "family_token", "record_token", "nino_status", "upn_status", "birth_month", "birth_year_month",
        "ethnicity", "age", "members", "date_identified", "support_start_date", "support_end_date",
        "postcode_district", "lsoa",
    ):  # fmt: skip
        assert gone not in columns


def test_linkage_keys_are_replaced_by_their_keyed_pseudonyms():
    person_keys = ["a" * 32, "b" * 32, "c" * 32]
    extract = extract_of(key_map=key_map_frame(person_keys))
    assert sorted(extract.individuals["person_key"]) == sorted(pseudonym(PROJECT_KEY, "person", k) for k in person_keys)
    assert pseudonym(PROJECT_KEY, "family", "fam-a") in set(extract.families["family_key"])
    assert set(extract.individuals["family_key"]) == set(extract.families["family_key"])


def test_age_becomes_a_band_with_eligibility_flags_and_ethnicity_an_ons_high_level_group():
    person_keys = ["a" * 32, "b" * 32, "c" * 32]
    individuals = by_person(extract_of(key_map=key_map_frame(person_keys)), person_keys)
    assert list(individuals["age_band"]) == ["25-34", "5-10", "35-49"]  # ages 34, 7, 41
    assert list(individuals["missing_education_eligible"]) == ["N", "Y", "N"]
    assert list(individuals["neet_eligible"]) == ["N", "N", "N"]
    assert individuals["ethnic_group"].iloc[0] == "White"
    assert individuals["ethnic_group"].isna().iloc[1]  # not provided stays blank
    assert individuals["ethnic_group"].iloc[2] == "Not known"  # refused


def test_dates_become_bands_of_months_before_period_end_and_family_size_is_banded():
    families = by_family(extract_of())  # period_end 2024-03-31; identified 2023-06-01 and 2023-07-15
    assert list(families["months_since_identified"]) == ["9-11", "6-8"]
    assert families["months_since_support_start"][0] == "6-8"  # 2023-09-01
    assert families["months_since_support_start"].isna()[1]
    assert list(families["family_size"]) == ["2", "1"]
    assert list(families["intervention_group"]) == ["SUPPORTED", "COMPARISON"]


def test_family_size_is_capped():
    families = families_frame().assign(members=pd.array([9, 1], dtype="Int64"))
    assert by_family(extract_of(families=families))["family_size"][0] == "6+"


def test_blank_measures_stay_blank_and_zero_stays_zero():
    families = by_family(extract_of())
    assert families["evictions"][0] == 0
    assert families["evictions"].isna()[1]
    assert families["hp_HOUSING"].isna().all()  # a problem of the other framework: absent, not N


def test_parquet_of_the_extract_keeps_the_allow_list_types_even_for_all_blank_columns():
    extract = extract_of()
    families = frame_from_parquet(extract.parquet()["families"])
    assert list(families.columns) == [c.name for c in FAMILY_EXTRACT]
    assert families["months_since_support_end"].isna().all()  # every cell blank, still the column's type
    assert str(families["police_callouts"].dtype) == "Int64"


def test_a_record_missing_from_the_key_map_stops_the_extract():
    with pytest.raises(KeyMapMismatch):
        extract_of(key_map=key_map_frame().iloc[:2])


def test_a_council_family_with_two_family_keys_stops_the_extract():
    key_map = key_map_frame()
    key_map.loc[1, "family_key"] = "fam-z"
    with pytest.raises(KeyMapMismatch):
        extract_of(key_map=key_map)


@pytest.mark.slow
def test_no_area_below_the_council_unless_the_policy_asks_for_one():
    individuals = individuals_frame().assign(lsoa=pd.array(["E01000001", "E01000001", pd.NA], dtype="string"))
    assert "lsoa" not in extract_of(individuals=individuals).individuals.columns
    extract = extract_of(individuals=individuals, policy=ExtractPolicy(k=1, area="lsoa"))
    assert "lsoa" in extract.individuals.columns
    assert "postcode_district" not in extract.individuals.columns
    assert "postcode_district" in extract_of(policy=ExtractPolicy(k=1, area="postcode_district")).individuals


def test_a_council_smaller_than_k_is_refused_with_the_reason_and_no_value():
    with pytest.raises(DisclosureRefused, match="fewer than 5 records"):
        extract_of(policy=ExtractPolicy(k=5))


def test_the_extract_and_its_risk_report_are_built_without_pyarrow_as_in_the_anonymise_lambda():
    from tests.unit.test_spec_without_arrow import pyarrow_blocked

    with pyarrow_blocked():
        extract = extract_of()
        files = extract.parquet()
        html = extract.risk.html()
    assert set(files) == {"families", "individuals"} and "Households" in html
