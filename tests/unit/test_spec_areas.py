"""Postcode → LSOA from an ONS-style lookup file, for the extract's small-area geography."""

from __future__ import annotations

import io

import pandas as pd

from tfnis.spec.areas import lsoa_codes, read_lsoa_lookup

NSPL = b"""pcd,pcds,lsoa21cd,other
SW1A1AA,SW1A 1AA,E01004736,x
M1  1AE,M1 1AE,E01005065,x
CF101AA,CF10 1AA,W01001939,x
"""


def test_postcodes_are_looked_up_whatever_their_spacing_and_case():
    lookup = read_lsoa_lookup(io.BytesIO(NSPL))
    got = lsoa_codes(pd.Series(["sw1a1aa", "M1 1AE", " cf10 1aa "]), lookup)
    assert got.tolist() == ["E01004736", "E01005065", "W01001939"]


def test_blank_unknown_and_invalid_postcodes_have_no_lsoa():
    lookup = read_lsoa_lookup(io.BytesIO(NSPL))
    got = lsoa_codes(pd.Series([None, "ZZ99 3VZ", "LS1 1UR"], dtype="string"), lookup)
    assert got.isna().all()
