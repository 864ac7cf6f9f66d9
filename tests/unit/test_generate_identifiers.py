"""Synthetic identifiers: valid and unique by construction, and each corruption really is invalid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tfnis.generate import identifiers as ids
from tfnis.generate import reference
from tfnis.spec import identifiers as spec_ids
from tfnis.spec.codes import ETHNICITY_MAIN, ethnicity_main_code
from tfnis.spec.columns import LA_CODE_PATTERN, NAME_PATTERN

N = 50_000


def rng() -> np.random.Generator:
    return np.random.default_rng(0)


def test_permute_is_a_bijection():
    values = ids.permute(np.arange(10_000), 10_000, salt=3)
    assert len(np.unique(values)) == 10_000


def test_ninos_are_valid_unique_and_use_only_allocated_prefixes():
    ninos = pd.Series(ids.make_ninos(np.arange(N), rng()))
    assert (spec_ids.nino_classes(ninos) == "VALID").all()
    assert ninos.str[:8].is_unique
    assert not ninos.str[:2].isin(spec_ids.NINO_ADMIN_PREFIXES | spec_ids.NINO_UNALLOCATED_PREFIXES).any()


def test_upns_are_valid_unique_and_carry_the_la_number():
    upns = pd.Series(ids.make_upns(np.arange(N), np.full(N, "330"), np.full(N, 15), rng()))
    assert spec_ids.upn_valid_mask(upns).all()
    assert upns.is_unique and (upns.str[1:4] == "330").all()
    assert (~upns.str[-1].str.isdigit()).mean() > 0.005  # some temporary UPNs


def test_upn_check_letters_agree_with_the_spec_worked_examples():
    tails = np.frombuffer(b"207000016049801200005001", dtype=np.uint8).reshape(2, 12)
    assert bytes(ids.upn_check_letters(tails)) == b"PB"


def test_nhs_numbers_are_valid_and_unique():
    nhs = pd.Series(ids.make_nhs_numbers(np.arange(N)))
    assert spec_ids.nhs_valid_mask(nhs).all() and nhs.is_unique


def test_postcodes_of_every_shipped_council_district_are_valid():
    for council in reference.councils():
        districts = np.repeat(np.array(council.districts), 20)
        postcodes = pd.Series(ids.make_postcodes(districts, rng()))
        assert (spec_ids.postcode_classes(postcodes) == "VALID").all(), council.name


def test_each_corruption_is_invalid():
    r = rng()
    upns = ids.make_upns(np.arange(2_000), np.full(2_000, "204"), np.full(2_000, 19), r)
    assert not spec_ids.upn_valid_mask(pd.Series(ids.corrupt_upns(upns, r))).any()
    ninos = ids.make_ninos(np.arange(2_000), r)
    assert (spec_ids.nino_classes(pd.Series(ids.corrupt_ninos(ninos, r))) == "INVALID").all()
    nhs = ids.make_nhs_numbers(np.arange(2_000))
    assert not spec_ids.nhs_valid_mask(pd.Series(ids.corrupt_nhs_numbers(nhs, r))).any()
    districts = np.array([d for c in reference.councils() for d in c.districts] * 5)
    postcodes = ids.corrupt_postcodes(ids.make_postcodes(districts, r), r)
    assert (spec_ids.postcode_classes(pd.Series(postcodes)) == "INVALID").all()


def test_shipped_councils_are_upper_tier_with_dfe_numbers():
    councils = reference.councils()
    assert len({c.la_code for c in councils}) == len(councils) >= 20
    assert all(pd.Series([c.la_code for c in councils]).str.fullmatch(LA_CODE_PATTERN))
    assert len({c.dfe_la for c in councils}) == len(councils)
    assert all(c.dfe_la.isdigit() and len(c.dfe_la) == 3 for c in councils)
    assert {c.profile for c in councils} <= set(reference.ethnicity_profiles())


def test_shipped_names_match_the_spec_name_rule():
    names = [n for lst in reference.forenames().values() for n in lst.names]
    names += [n for lst in reference.surnames().values() for n in lst.names]
    names += [v for variants in reference.nicknames().values() for v in variants]
    assert pd.Series(names).str.fullmatch(NAME_PATTERN).all()
    assert set(reference.NAME_POOLS) == {pool for pool, _, _ in reference.forenames()}


def test_extended_ethnicity_codes_roll_up_to_their_main_code():
    for main, extended in reference.extended_codes_of().items():
        assert main in ETHNICITY_MAIN
        assert all(ethnicity_main_code(code) == main for code in extended)


def test_british_surnames_give_smith_englands_share_and_a_long_tail():
    # docs/generate.md "Names": Smith ~1.26 % in England and Wales; the rest a long tail, each tail name rarer
    # than any listed one (the bare list gave Smith 2.9 % and made common names ~2x too common in an extract).
    british = reference.surnames()["british"]
    total, top = sum(british.weights), max(british.weights)
    assert british.names[british.weights.index(top)] == "Smith"
    assert abs(top / total - 0.0126) < 1e-9
    assert len(set(british.names)) > 3000
    listed = 509
    assert max(british.weights[listed:]) < min(british.weights[:listed])


def test_people_outside_the_study_take_englands_mix_of_name_pools():
    # Census 2021 (E&W): about four in five carry British-pool names; Chinese-pool names under 1 % (was 20 %).
    shares = reference.POPULATION_NAME_POOLS
    assert set(shares) == set(reference.NAME_POOLS)
    assert abs(sum(shares.values()) - 1.0) < 1e-9
    assert shares["british"] > 0.75 and shares["chinese"] < 0.01
