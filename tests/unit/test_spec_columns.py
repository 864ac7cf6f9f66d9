"""Column patterns: names of any script, no catastrophic backtracking, Python and RE2 spellings agree."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tfnis.spec.columns import LA_CODE_PATTERN, NAME_PATTERN, NAME_PATTERN_RE2
from tfnis.validation.cells import matches

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
