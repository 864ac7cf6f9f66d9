"""split_return (ATTRIBUTES.md): identifiers go one way, attributes the other, joined only by fresh tokens."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tfnis.spec.columns import IDENTIFIER_COLUMNS
from tfnis.validation import validate_return
from tfnis.validation.split import (
    FAMILY_ATTRIBUTE_COLUMNS,
    IDENTIFIER_COLUMNS_OUT,
    INDIVIDUAL_ATTRIBUTE_COLUMNS,
    split_return,
)

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"


@pytest.fixture(scope="module")
def report():
    return validate_return([VALID / "families.csv", VALID / "individuals.csv"])


@pytest.fixture(scope="module")
def split(report):
    return split_return(report.families, report.individuals)


def by_person(split) -> pd.DataFrame:
    """Attributes joined to person_id through the tokens (what only the identifiers file makes possible)."""
    ids = split.identifiers[["record_token", "person_id"]]
    return split.individual_attributes.merge(ids, on="record_token").set_index("person_id")


def test_the_three_frames_have_the_contract_columns_in_order(split):
    assert tuple(split.identifiers.columns) == IDENTIFIER_COLUMNS_OUT
    assert tuple(split.family_attributes.columns) == FAMILY_ATTRIBUTE_COLUMNS
    assert tuple(split.individual_attributes.columns) == INDIVIDUAL_ATTRIBUTE_COLUMNS
    assert len(split.identifiers) == len(split.individual_attributes) == 8 and len(split.family_attributes) == 3


def test_attributes_carry_no_identifier_column(split):
    for frame in (split.family_attributes, split.individual_attributes):
        assert not set(frame.columns) & IDENTIFIER_COLUMNS


def test_attributes_carry_no_identifier_value(report, split):
    values = {
        str(v)
        for column in IDENTIFIER_COLUMNS & set(report.individuals.columns)
        for v in report.individuals[column].dropna()
    } | set(report.families["family_id"])
    for frame in (split.family_attributes, split.individual_attributes):
        cells = {str(v) for v in frame.astype(object).to_numpy().ravel() if v is not None and not pd.isna(v)}
        assert not {v for v in values if len(v) > 4} & cells


def test_tokens_are_random_hex_unique_and_new_each_split(report, split):
    tokens = split.identifiers["record_token"]
    assert tokens.str.fullmatch(r"[0-9a-f]{32}").all() and tokens.is_unique
    again = split_return(report.families, report.individuals)
    assert not set(again.identifiers["record_token"]) & set(tokens)
    assert not set(again.family_attributes["family_token"]) & set(split.family_attributes["family_token"])


def test_family_tokens_join_individuals_to_their_family(split):
    ids = split.identifiers.set_index("person_id")
    families = split.family_attributes.set_index("family_token")
    assert families.loc[ids.loc["P-0007", "family_token"], "framework"] == "TF6_2015"
    assert (split.individual_attributes["family_token"] == split.identifiers["family_token"]).all()
    assert families["members"].tolist() == [3, 3, 2]


def test_identifiers_are_normalised_with_validity_flags(split):
    ids = split.identifiers.set_index("person_id")
    assert ids.loc["P-0002", "upn"] == "P207000016049" and bool(ids.loc["P-0002", "upn_valid"])
    assert bool(ids.loc["P-0001", "nino_valid"]) and not bool(ids.loc["P-0002", "nino_valid"])
    assert bool(ids.loc["P-0004", "postcode_valid"]) and not bool(ids.loc["P-0007", "postcode_valid"])
    assert ids.loc["P-0001", "date_of_birth"] == dt.date(1985, 4, 2)
    assert ids.loc["P-0001", "period_end"] == dt.date(2024, 3, 31)


def test_individual_attributes_have_age_birth_month_and_quality_flags(split):
    people = by_person(split)
    assert people.loc["P-0001", "age"] == 38  # born 1985-04-02, at 2024-03-31: the birthday is two days away
    assert people.loc["P-0001", "birth_month"] == dt.date(1985, 4, 1)
    assert people.loc["P-0001", "postcode_district"] == "SW1A"
    assert people.loc["P-0001", "nino_status"] == "VALID" and pd.isna(people.loc["P-0002", "nino_status"])
    assert people.loc["P-0006", "upn_status"] == "VALID"  # temporary C80120000501K
    assert people.loc["P-0001", "nhs_status"] == "VALID" and pd.isna(people.loc["P-0002", "nhs_status"])
    assert pd.isna(people.loc["P-0007", "postcode_status"]) and pd.isna(people.loc["P-0007", "postcode_district"])
    assert str(people["age"].dtype) == "Int64" and str(people["asb_nfi"].dtype) == "Int64"


def test_empty_cells_stay_not_provided_never_zero(split):
    people = by_person(split)
    assert pd.isna(people.loc["P-0003", "asb_nfi"]) and people.loc["P-0001", "asb_nfi"] == 0
    families = split.family_attributes
    assert pd.isna(families.loc[2, "evictions"]) and families.loc[0, "evictions"] == 0


def test_problems_outside_the_family_framework_are_ignored(report):
    families = report.families.copy()
    families.loc[3, "hp_HOUSING"] = "Y"  # a TF6 family: HOUSING is an SF10 problem
    out = split_return(families, report.individuals).family_attributes
    assert pd.isna(out.loc[2, "hp_HOUSING"]) and out.loc[2, "hp_CRIME_ASB"] == "Y"


def test_neet_outside_its_age_band_is_ignored(report):
    individuals = report.individuals.copy()
    individuals.loc[2, "neet"] = "Y"  # an 11-year-old
    people = split_return(report.families, individuals)
    merged = by_person(people)
    assert pd.isna(merged.loc["P-0002", "neet"]) and merged.loc["P-0003", "neet"] == "Y"


def test_split_frames_round_trip_through_parquet_with_dates_as_dates(split, tmp_path):
    for name in ("identifiers", "family_attributes", "individual_attributes"):
        frame = getattr(split, name)
        frame.to_parquet(tmp_path / f"{name}.parquet", index=False)
        back = pd.read_parquet(tmp_path / f"{name}.parquet")
        assert list(back.columns) == list(frame.columns) and len(back) == len(frame)
    import pyarrow.parquet as pq

    schema = pq.read_schema(tmp_path / "individual_attributes.parquet")
    assert str(schema.field("period_end").type) == "date32[day]"
    assert str(schema.field("birth_month").type) == "date32[day]"
