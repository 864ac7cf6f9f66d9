"""Normalisation: the forms match keys and the model compare."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfnis.linkage.normalise import forename_aliases, match_fields, name_tokens, normalise_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("O'Brien", "obrien"),
        ("O Brien", "obrien"),
        ("SMITH-JONES", "smithjones"),
        ("Smith Jones", "smithjones"),
        ("MacDonald", "mcdonald"),
        ("Mc Donald", "mcdonald"),
        ("McDonald", "mcdonald"),
        ("José", "jose"),
        ("Øster-Müller", "ostermuller"),
        ("  st. john ", "stjohn"),
        ("", None),
    ],
)
def test_names_lose_case_punctuation_hyphens_diacritics_and_mac_spelling(raw, expected):
    assert normalise_name(raw) == expected


def test_double_barrelled_surname_keeps_its_parts():
    assert name_tokens("Smith-Jones") == ["smith", "jones"]


def test_short_mac_words_are_not_mistaken_for_a_prefix():
    assert normalise_name("Mack") == "mack"


def test_nickname_shares_a_canonical_name_with_the_full_name():
    assert "william" in forename_aliases("bill").split("|")
    assert set(forename_aliases("sam").split("|")) >= {"samuel", "samantha"}


@given(st.text(max_size=30))
def test_normalising_a_name_twice_changes_nothing(text):
    once = normalise_name(text)
    assert normalise_name(once) == once


def _one(**columns):
    return match_fields(pd.DataFrame({k: [v] for k, v in columns.items()})).iloc[0]


def test_dates_of_birth_in_three_layouts_normalise_alike():
    iso = _one(date_of_birth="2001-02-03")["dob"]
    assert iso == _one(date_of_birth="20010203")["dob"] == _one(date_of_birth="03/02/2001")["dob"] == "2001-02-03"


def test_invalid_identifiers_are_blank_so_never_evidence():
    fields = _one(nino="TN010203M", upn="Q207000016049", nhs_number="1234567890", postcode="ZZ99 3VZ")
    assert fields[["nino", "upn", "nhs_number", "postcode"]].isna().all()


def test_valid_identifiers_are_kept_in_normal_form():
    fields = _one(nino="ab 12 34 56 c", upn="p207000016049", postcode="sw1a1aa")
    assert fields["nino"] == "AB123456"  # the 8-character stem
    assert fields["upn"] == "P207000016049"
    assert fields["postcode"] == "SW1A 1AA" and fields["postcode_district"] == "SW1A"


def test_non_uk_postcode_is_compared_only_when_allowed():
    frame = pd.DataFrame({"postcode": ["4223"]})
    assert match_fields(frame)["postcode"].isna().all()
    assert match_fields(frame, allow_non_uk_postcodes=True)["postcode"].iloc[0] == "4223"


def test_sex_not_known_is_not_evidence():
    assert pd.isna(_one(sex="0")["sex"]) and _one(sex="2")["sex"] == "F" and _one(sex="M")["sex"] == "M"


@pytest.mark.parametrize(
    ("written", "latin"),
    [("Дмитрий", "Dmitrii"), ("Γιώργος", "Giorgos"), ("Олена Коваленко", "Olena Kovalenko")],
)
def test_names_in_other_scripts_normalise_to_their_latin_transliteration(written, latin):
    assert normalise_name(written) == normalise_name(latin)


def test_an_arabic_name_is_not_normalised_to_nothing():
    assert normalise_name("محمد") == "mhmd"


def test_each_distinct_name_is_split_into_words_once_for_all_its_fields():
    from tfnis.spec.columnar import per_distinct_values

    prepared: list[str] = []

    def words(value: str) -> list[str]:
        prepared.append(value)
        return value.split()

    names = pd.Series(["Mary Ann", "Jo", "Mary Ann", None, "Jo"], dtype="string")
    fields = per_distinct_values(names, {"first": lambda t: t[0], "joined": lambda t: "".join(t)}, prepare=words)
    assert sorted(prepared) == ["Jo", "Mary Ann"]  # once per distinct value, not per rule or row
    assert fields["first"].tolist() == ["Mary", "Jo", "Mary", pd.NA, "Jo"]
    assert fields["joined"].tolist() == ["MaryAnn", "Jo", "MaryAnn", pd.NA, "Jo"]


def test_the_codes_match_fields_hands_on_are_those_a_fresh_factorisation_gives():
    records = pd.DataFrame(
        {
            "forename": ["Ann", " ann", "Ánn", None, "Bob", "Ann-Marie"],
            "surname": ["Smith Jones", "smith-jones", "O'Brien", "o brien", None, ""],
            "date_of_birth": ["2001-02-03", "03/02/2001", "20010203", None, "bad", "2001-2-3"],
            "sex": ["1", "M", "f", "9", None, "female"],
            "postcode": [" sw1a 1aa", "SW1A1AA", "  ", None, "ZZ99 3VZ", "GIR 0AA"],
        }
    )
    codes: dict = {}
    fields = match_fields(records, codes_out=codes)
    assert {"forename", "surname_phonetic", "dob", "sex", "postcode", "postcode_district"} <= set(codes)
    for name, (found, distinct) in codes.items():
        fresh, values = pd.factorize(fields[name], use_na_sentinel=True)
        assert distinct == len(values), name
        assert ((found == -1) == (fresh == -1)).all(), name  # blank where the field is blank
        pairs = pd.DataFrame({"found": found, "fresh": fresh}).drop_duplicates()
        assert pairs["found"].is_unique and pairs["fresh"].is_unique, name  # equal codes exactly where equal values
