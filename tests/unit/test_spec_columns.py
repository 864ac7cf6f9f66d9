"""Column patterns: names of any script, no catastrophic backtracking, Python and RE2 spellings agree."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tfnis.spec.columns import (
    HEADER_ALIASES,
    LA_CODE_PATTERN,
    NAME_PATTERN,
    NAME_PATTERN_RE2,
    TABLES,
    header_key,
)
from tfnis.validation.cells import matches
from tfnis.validation.reading import header_name

NAMES = ["Zoë", "Anne-Marie", "O'Connor", "O’Brien", "J. R.", "Smith.", "Zé", "李", "Ólafur", "Nguyễn"]
NOT_NAMES = ["-Ann", "Ann3", "=HYPERLINK(x)", "J_R", "Ann!", "a" * 60 + "1"]


@pytest.mark.parametrize("name", NAMES)
def test_names_of_any_script_match(name):
    assert re.fullmatch(NAME_PATTERN, name)
    assert matches(pd.Series([name]), NAME_PATTERN_RE2).tolist() == [True]


@pytest.mark.parametrize("name", NOT_NAMES)
def test_names_with_digits_or_symbols_do_not_match(name):
    assert not re.fullmatch(NAME_PATTERN, name)
    assert matches(pd.Series([name]), NAME_PATTERN_RE2).tolist() == [False]


def test_a_long_non_name_fails_at_once_rather_than_backtracking():
    # The first NAME_PATTERN took seconds at 25 letters and doubled with each one more.
    assert not re.fullmatch(NAME_PATTERN, "a" * 5000 + "1")


def test_la_code_pattern_takes_ascii_digits_only():
    assert re.fullmatch(LA_CODE_PATTERN, "E09000033")
    assert not re.fullmatch(LA_CODE_PATTERN, "E0900003٣")
    assert not re.fullmatch(LA_CODE_PATTERN, "E07000033")  # a district, not an upper-tier authority


@pytest.mark.parametrize(
    ("written", "name"),
    [("Date of Birth", "date_of_birth"), ("date-of-birth", "date_of_birth"), (" DATE_OF_BIRTH ", "date_of_birth"),
     ("HP Crime ASB", "hp_CRIME_ASB"), ("hp_crime-asb", "hp_CRIME_ASB"), ("DOB", "date_of_birth"),
     ("Gender", "sex"), ("NI Number", "nino"), ("Unique Pupil Number", "upn"), ("\ufeffla_code", "la_code"),
     ("Shoe size", "Shoe size")],
)  # fmt: skip
def test_headings_are_read_in_any_case_with_spaces_hyphens_or_an_alias(written, name):
    assert header_name(written) == name


@given(st.text(max_size=40))
def test_reading_a_heading_twice_reads_it_as_once(written):
    assert header_name(header_name(written)) == header_name(written)


def test_every_alias_names_a_column_of_the_specification():
    names = {c.name for columns in TABLES.values() for c in columns}
    assert set(HEADER_ALIASES.values()) <= names
    assert not set(HEADER_ALIASES) & {header_key(n) for n in names}  # an alias never shadows a real name
