"""Identifier rules of DATA_SPEC.md: the worked examples by name, and the algebra of normalisation."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfnis.spec import identifiers as ids
from tfnis.spec.identifiers import NinoClass, PostcodeClass

# --- UPN --------------------------------------------------------------------------------------------------


def test_upn_worked_example_p207000016049_is_valid():
    assert ids.upn_check_letter("207000016049") == "P"  # sum 266, 266 mod 23 = 13 → P
    assert ids.is_valid_upn("P207000016049")


def test_upn_worked_example_q207000016049_has_the_wrong_check_letter():
    assert not ids.is_valid_upn("Q207000016049")


def test_upn_worked_example_b801200005001_is_valid_and_a801200005001_is_not():
    assert ids.is_valid_upn("B801200005001")
    assert not ids.is_valid_upn("A801200005001")


def test_temporary_upn_c80120000501k_is_valid_and_temporary():
    assert ids.is_valid_upn("C80120000501K")
    assert ids.is_temporary_upn("C80120000501K")
    assert not ids.is_temporary_upn("B801200005001")


@pytest.mark.parametrize(
    "upn", ["", "P20700001604", "P2070000160491", "I207000016049", "P2070000160O9", "P20700001604S"]
)
def test_malformed_upns_are_invalid(upn):
    assert not ids.is_valid_upn(upn)


def test_upn_is_normalised_by_case_and_spaces():
    assert ids.is_valid_upn(" p207 0000 16049 ")
    assert ids.normalise_upn(" p207 0000 16049 ") == "P207000016049"


def test_upn_with_arabic_indic_digits_is_not_valid():
    assert not ids.is_valid_upn("P207000016٠49")


def test_vectorised_upn_rule_agrees_on_the_worked_examples():
    upns = pd.Series(["P207000016049", "Q207000016049", "B801200005001", "A801200005001", "C80120000501K", None, ""])
    assert ids.upn_valid_mask(upns).tolist() == [True, False, True, False, True, False, False]


# --- NINO -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nino", "expected"),
    [
        ("AB123456C", NinoClass.VALID),
        ("ab 12 34 56 c", NinoClass.VALID),
        ("AB123456", NinoClass.VALID),  # a missing suffix is accepted
        ("AB123456E", NinoClass.INVALID),  # suffix A-D only
        ("DA123456A", NinoClass.INVALID),  # D is never a prefix letter
        ("AO123456A", NinoClass.INVALID),  # second letter never O
        ("AQ123456A", NinoClass.INVALID),
        ("GB123456A", NinoClass.INVALID),  # unallocated prefix
        ("NK123456A", NinoClass.INVALID),
        ("ZZ123456A", NinoClass.INVALID),
        ("TN311290M", NinoClass.TEMPORARY),  # TN + DDMMYY + M/F
        ("TN311290F", NinoClass.TEMPORARY),
        ("OO123456A", NinoClass.ADMINISTRATIVE),
        ("PZ123456A", NinoClass.ADMINISTRATIVE),
        ("CR123456", NinoClass.ADMINISTRATIVE),
        ("A1234567", NinoClass.INVALID),
    ],
)
def test_nino_classes(nino, expected):
    assert ids.classify_nino(nino) is expected
    assert ids.nino_classes(pd.Series([nino])).tolist() == [expected.value]


def test_blank_nino_has_no_class():
    assert ids.classify_nino("  ") is None
    assert ids.nino_classes(pd.Series(["", None])).isna().all()


def test_nino_stem_is_the_first_eight_characters_of_a_valid_nino_only():
    assert ids.nino_stem("ab123456c") == "AB123456"
    assert ids.nino_stem("TN311290M") is None
    assert ids.nino_stems(pd.Series(["AB123456C", "TN311290M", None])).tolist()[:1] == ["AB123456"]


# --- postcode ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "expected"),
    [
        ("SW1A 1AA", PostcodeClass.VALID),  # AANA
        ("sw1a1aa", PostcodeClass.VALID),
        ("M1 1AE", PostcodeClass.VALID),  # AN
        ("B33 8TH", PostcodeClass.VALID),  # ANN
        ("CR2 6XH", PostcodeClass.VALID),  # AAN
        ("DN55 1PT", PostcodeClass.VALID),  # AANN
        ("W1A 0AX", PostcodeClass.VALID),  # ANA
        ("EC1A 1BB", PostcodeClass.VALID),
        ("GIR 0AA", PostcodeClass.GIR),
        ("BFPO 1234", PostcodeClass.BFPO),
        ("ZZ99 3VZ", PostcodeClass.NO_FIXED_ABODE),
        ("QA1 1AA", PostcodeClass.INVALID),  # first letter never Q
        ("AI1 1AA", PostcodeClass.INVALID),  # second letter never I
        ("W1I 0AX", PostcodeClass.INVALID),  # third (ANA) not I
        ("SW1C 1AA", PostcodeClass.INVALID),  # fourth (AANA) not C
        ("SW1A 1CA", PostcodeClass.INVALID),  # inward letters never C
        ("SW1A", PostcodeClass.INVALID),
    ],
)
def test_postcode_classes(postcode, expected):
    assert ids.classify_postcode(postcode) is expected
    assert ids.postcode_classes(pd.Series([postcode])).tolist() == [expected.value]


def test_postcode_is_normalised_to_one_space_before_the_inward_code():
    assert ids.normalise_postcode(" sw1a  1aa ") == "SW1A 1AA"
    assert ids.normalise_postcode("bfpo1234") == "BFPO 1234"
    assert ids.normalise_postcodes(pd.Series([" sw1a\u00a01aa ", "m11ae", None])).tolist()[:2] == ["SW1A 1AA", "M1 1AE"]


def test_postcode_district_is_the_outward_code_of_a_real_postcode():
    assert ids.postcode_district("sw1a1aa") == "SW1A"
    assert ids.postcode_district("BFPO 12") is None
    assert ids.postcode_districts(pd.Series(["SW1A 1AA", "ZZ99 3VZ", None])).tolist()[0] == "SW1A"


# --- NHS number -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nhs", "valid"),
    [("9434765919", True), ("943 476 5919", True), ("943-476-5919", True), ("9434765918", False), ("123", False)],
)
def test_nhs_number_modulus_11(nhs, valid):
    assert ids.is_valid_nhs_number(nhs) is valid
    assert ids.nhs_valid_mask(pd.Series([nhs])).tolist() == [valid]


def test_nhs_number_whose_check_would_be_10_is_invalid():
    # first nine digits 000000006: total 6 x 2 = 12, 12 mod 11 = 1, check 11 - 1 = 10: no such number
    assert not any(ids.is_valid_nhs_number(f"000000006{d}") for d in range(10))


# --- the algebra of normalisation (hypothesis) ------------------------------------------------------------
ALNUM = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", max_size=14)
WHITESPACE = st.text(alphabet=" \t\u00a0\u2009\u3000\n", max_size=3)


@st.composite
def spaced(draw):
    """An alphanumeric string with whitespace sprinkled around and inside it."""
    core = draw(ALNUM)
    cut = draw(st.integers(0, len(core)))
    return draw(WHITESPACE) + core[:cut] + draw(WHITESPACE) + core[cut:] + draw(WHITESPACE)


NORMALISERS = [ids.normalise_upn, ids.normalise_nino, ids.normalise_postcode]
VECTOR_NORMALISERS = [ids.normalise_upns, ids.normalise_ninos, ids.normalise_postcodes]


@pytest.mark.parametrize("normalise", NORMALISERS, ids=["upn", "nino", "postcode"])
@given(value=spaced())
def test_normalisation_is_idempotent(normalise, value):
    once = normalise(value)
    assert normalise(once) == once if once is not None else normalise(value) is None


@pytest.mark.parametrize("normalise", NORMALISERS, ids=["upn", "nino", "postcode"])
@given(value=spaced())
def test_normalisation_ignores_case_and_whitespace(normalise, value):
    compact = "".join(value.split())
    assert normalise(value.lower()) == normalise(value.upper()) == normalise(compact.upper())


@pytest.mark.parametrize(
    ("scalar", "vector"), list(zip(NORMALISERS, VECTOR_NORMALISERS, strict=True)), ids=["upn", "nino", "postcode"]
)
@settings(max_examples=60)
@given(values=st.lists(spaced(), min_size=1, max_size=20))
def test_vectorised_normalisation_agrees_with_the_scalar_rule(scalar, vector, values):
    expected = [scalar(v) for v in values]
    got = [None if pd.isna(v) else v for v in vector(pd.Series(values)).tolist()]
    assert got == expected


UPN_LIKE = st.builds(
    lambda first, digits, last: first + digits + last,
    st.sampled_from([*ids.UPN_ALPHABET, "I", "O"]),
    st.text(alphabet="0123456789", min_size=11, max_size=11),
    st.sampled_from(list("0123456789" + ids.UPN_ALPHABET)),
)


@settings(max_examples=200)
@given(values=st.lists(UPN_LIKE, min_size=1, max_size=30))
def test_vectorised_upn_check_agrees_with_the_scalar_rule(values):
    assert ids.upn_valid_mask(pd.Series(values)).tolist() == [ids.is_valid_upn(v) for v in values]


NINO_LIKE = st.builds(
    lambda a, digits, suffix: a + digits + suffix,
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
    st.text(alphabet="0123456789", min_size=6, max_size=6),
    st.sampled_from(["", "A", "B", "C", "D", "E", "M", "F"]),
)


@pytest.mark.slow
@settings(max_examples=200)
@given(values=st.lists(NINO_LIKE, min_size=1, max_size=30))
def test_vectorised_nino_classes_agree_with_the_scalar_rule(values):
    assert ids.nino_classes(pd.Series(values)).tolist() == [ids.classify_nino(v).value for v in values]


POSTCODE_LIKE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ", min_size=5, max_size=9)


@settings(max_examples=200)
@given(values=st.lists(POSTCODE_LIKE, min_size=1, max_size=30))
def test_vectorised_postcode_classes_agree_with_the_scalar_rule(values):
    expected = [None if (c := ids.classify_postcode(v)) is None else c.value for v in values]
    got = [None if pd.isna(v) else v for v in ids.postcode_classes(pd.Series(values)).tolist()]
    assert got == expected


@settings(max_examples=200)
@given(values=st.lists(st.text(alphabet="0123456789", min_size=10, max_size=10), min_size=1, max_size=30))
def test_vectorised_nhs_check_agrees_with_the_scalar_rule(values):
    assert ids.nhs_valid_mask(pd.Series(values)).tolist() == [ids.is_valid_nhs_number(v) for v in values]
