"""The vectorised identifier forms give the same answers without pyarrow (the match, coverage and anonymise
Lambdas have none: docs/deploy.md), where they run the scalar rules once per distinct value."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from unittest import mock

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tfnis.spec import columnar
from tfnis.spec import identifiers as ids

VECTORISED: dict[str, Callable[[pd.Series], pd.Series]] = {
    "normalise_upns": ids.normalise_upns,
    "upn_valid_mask": ids.upn_valid_mask,
    "normalise_ninos": ids.normalise_ninos,
    "nino_classes": ids.nino_classes,
    "nino_stems": ids.nino_stems,
    "normalise_postcodes": ids.normalise_postcodes,
    "postcode_classes": ids.postcode_classes,
    "postcode_districts": ids.postcode_districts,
    "nhs_valid_mask": ids.nhs_valid_mask,
}

# Worked examples and awkward cells of each identifier, mixed in one column: every function sees them all.
SAMPLES = [
    "P207000016049",
    " q207000016049 ",
    "C80120000501K",
    "b801200005001",
    "AB123456C",
    "ab 12 34 56 c",
    "TN311299M",
    "OO123456A",
    "GB123456A",
    "SW1A 1AA",
    "sw1a1aa",
    "GIR 0AA",
    "BFPO 123",
    "bfpo",
    "ZZ99 3VZ",
    "EC1A\u00a01BB",
    "M1 1AE\t",
    "943 476 5919",
    "943-476-5919",
    "9434765918",
    "0000000060",
    "",
    "   ",
    None,
    "abc",
    "\u0663\u0663",  # Arabic-Indic digits are not digits to these rules
]


@contextmanager
def pyarrow_blocked() -> Iterator[None]:
    """`import pyarrow` (and any pyarrow submodule) fails, as it does in those Lambdas."""
    real_import = builtins.__import__

    def refusing(name, *args, **kwargs):
        if name == "pyarrow" or name.startswith("pyarrow."):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    with mock.patch.object(builtins, "__import__", refusing):
        yield


def plain(series: pd.Series) -> list:
    return [None if v is pd.NA or v is None or v != v else v for v in series.tolist()]


def test_blocking_pyarrow_takes_the_path_without_it():
    assert columnar.arrow_available()
    with pyarrow_blocked():
        assert not columnar.arrow_available()


@pytest.mark.parametrize("name", list(VECTORISED))
def test_each_vectorised_form_agrees_with_and_without_pyarrow(name):
    function = VECTORISED[name]
    values = pd.Series(SAMPLES, index=range(100, 100 + len(SAMPLES)), dtype=object)
    with_arrow = function(values)
    with pyarrow_blocked():
        without = function(values)
    assert list(without.index) == list(values.index)
    assert plain(without) == plain(with_arrow)


@pytest.mark.parametrize("name", list(VECTORISED))
def test_each_vectorised_form_accepts_a_string_column_without_pyarrow(name):
    values = pd.Series(SAMPLES, dtype="string")
    with pyarrow_blocked():
        without = VECTORISED[name](values)
    assert plain(without) == plain(VECTORISED[name](values))


MIXED = st.one_of(
    st.none(),
    st.text(alphabet="ABCDEFGHJKLMNPQRTWXYZ0123456789 -\t\u00a0abgir", max_size=14),
    st.sampled_from(SAMPLES),
)


@pytest.mark.parametrize("name", list(VECTORISED))
@settings(max_examples=60)
@given(values=st.lists(MIXED, min_size=1, max_size=25))
def test_vectorised_forms_agree_with_and_without_pyarrow_on_any_text(name, values):
    series = pd.Series(values, dtype=object)
    with_arrow = VECTORISED[name](series)
    with pyarrow_blocked():
        without = VECTORISED[name](series)
    assert plain(without) == plain(with_arrow)
