"""The research extract from hand-built attribute frames and a key map (briefs/ATTRIBUTES.md shapes)."""

from __future__ import annotations

import datetime as dt
import secrets

import pandas as pd
import pytest

from tfnis.anonymise import FAMILY_EXTRACT, INDIVIDUAL_EXTRACT, pseudonym
from tfnis.anonymise.extract import KeyMapMismatch, build_extract
from tfnis.storage.parquet import frame_from_parquet

LA, PERIOD = "E08000025", dt.date(2024, 3, 31)
PROJECT_KEY = bytes(range(32))


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


def test_extract_has_exactly_the_allowed_columns_in_order():
    extract = build_extract(families_frame(), individuals_frame(), key_map_frame(), PROJECT_KEY)
    assert list(extract.families.columns) == [c.name for c in FAMILY_EXTRACT]
    assert list(extract.individuals.columns) == [c.name for c in INDIVIDUAL_EXTRACT]


def test_council_ids_tokens_and_identifier_flags_are_left_behind():
    extract = build_extract(families_frame(), individuals_frame(), key_map_frame(), PROJECT_KEY)
    columns = set(extract.families.columns) | set(extract.individuals.columns)
    for gone in ("family_id", "family_token", "record_token", "nino_status", "upn_status", "birth_month", "ethnicity"):
        assert gone not in columns


def test_linkage_keys_are_replaced_by_their_keyed_pseudonyms():
    person_keys = ["a" * 32, "b" * 32, "c" * 32]
    extract = build_extract(families_frame(), individuals_frame(), key_map_frame(person_keys), PROJECT_KEY)
    assert list(extract.individuals["person_key"]) == [pseudonym(PROJECT_KEY, "person", k) for k in person_keys]
    assert extract.families["family_key"][0] == pseudonym(PROJECT_KEY, "family", "fam-a")
    assert set(extract.individuals["family_key"]) == set(extract.families["family_key"])


def test_birth_is_coarsened_to_month_and_year_and_ethnicity_to_the_ons_group():
    individuals = build_extract(families_frame(), individuals_frame(), key_map_frame(), PROJECT_KEY).individuals
    assert list(individuals["birth_year_month"]) == ["1989-11", "2016-05", "1982-08"]
    assert individuals["ethnic_group"][0] == "White: English, Welsh, Scottish, Northern Irish or British"
    assert individuals["ethnic_group"].isna()[1]
    assert individuals["ethnic_group"][2] == "Not known"


def test_intervention_group_is_comparison_versus_supported_with_the_support_dates():
    families = build_extract(families_frame(), individuals_frame(), key_map_frame(), PROJECT_KEY).families
    assert list(families["intervention_group"]) == ["SUPPORTED", "COMPARISON"]
    assert families["support_start_date"][0] == dt.date(2023, 9, 1)
    assert families["support_start_date"][1] is None


def test_blank_measures_stay_blank_and_zero_stays_zero():
    families = build_extract(families_frame(), individuals_frame(), key_map_frame(), PROJECT_KEY).families
    assert families["evictions"][0] == 0
    assert families["evictions"].isna()[1]
    assert families["hp_HOUSING"].isna().all()  # a problem of the other framework: absent, not N


def test_parquet_of_the_extract_keeps_the_allow_list_types_even_for_all_blank_columns():
    extract = build_extract(families_frame(), individuals_frame(), key_map_frame(), PROJECT_KEY)
    families = frame_from_parquet(extract.parquet()["families"])
    assert list(families.columns) == [c.name for c in FAMILY_EXTRACT]
    assert str(families["support_end_date"].dtype).startswith("datetime64")  # DATE, though every cell is blank
    assert str(families["police_callouts"].dtype) == "Int64"


def test_a_record_missing_from_the_key_map_stops_the_extract():
    with pytest.raises(KeyMapMismatch):
        build_extract(families_frame(), individuals_frame(), key_map_frame().iloc[:2], PROJECT_KEY)


def test_a_council_family_with_two_family_keys_stops_the_extract():
    key_map = key_map_frame()
    key_map.loc[1, "family_key"] = "fam-z"
    with pytest.raises(KeyMapMismatch):
        build_extract(families_frame(), individuals_frame(), key_map, PROJECT_KEY)


def test_lsoa_replaces_the_postcode_district_when_the_attributes_carry_it():
    individuals = individuals_frame().assign(lsoa=pd.array(["E01000001", "E01000001", pd.NA], dtype="string"))
    extract = build_extract(families_frame(), individuals, key_map_frame(), PROJECT_KEY)
    assert "lsoa" in extract.individuals.columns
    assert "postcode_district" not in extract.individuals.columns
