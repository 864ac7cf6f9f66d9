"""Keyed pseudonyms: stable for one key, different under another, never a plain hash of the linkage key."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.test_anonymise_extract import families_frame, individuals_frame, key_map_frame
from tfnis.anonymise import PSEUDONYM_CONTEXT, derive_project_key, pseudonym, pseudonymise
from tfnis.anonymise.extract import ExtractPolicy, build_extract

KEY_A, KEY_B = b"A" * 32, b"B" * 32


def kms(secret: bytes):
    """A stand-in for Store.generate_mac: HMAC-SHA256 under a key the caller never sees."""
    return lambda message: hmac.new(secret, message, hashlib.sha256).digest()


def test_the_project_key_is_the_mac_of_the_versioned_context():
    assert derive_project_key(kms(b"k" * 32)) == hmac.new(b"k" * 32, PSEUDONYM_CONTEXT, hashlib.sha256).digest()


def test_a_short_mac_is_not_accepted_as_a_project_key():
    with pytest.raises(ValueError):
        derive_project_key(lambda message: b"short")


@given(st.text(min_size=1, max_size=40))
def test_a_pseudonym_is_64_hex_and_not_a_plain_hash(linkage_key):
    value = pseudonym(KEY_A, "person", linkage_key)
    assert len(value) == 64 and set(value) <= set("0123456789abcdef")
    assert value != hashlib.sha256(linkage_key.encode()).hexdigest()


def extract_for(period_end: str, kms_key: bytes):
    """One period's extract of the same three people (the key map carries the same person_keys)."""
    at = pd.Timestamp(period_end)
    return build_extract(
        families_frame().assign(period_end=at),
        individuals_frame().assign(period_end=at),
        key_map_frame(["1" * 32, "2" * 32, "3" * 32]),
        derive_project_key(kms(kms_key)),
        ExtractPolicy(k=1),  # two families: about pseudonyms, not k
    )


def test_the_same_person_gets_the_same_pseudonym_in_every_period():
    march, september = extract_for("2024-03-31", b"k" * 32), extract_for("2024-09-30", b"k" * 32)
    assert sorted(march.individuals["person_key"]) == sorted(september.individuals["person_key"])  # shuffled
    assert sorted(march.families["family_key"]) == sorted(september.families["family_key"])


def test_an_extract_under_another_kms_key_shares_no_pseudonym():
    one, other = extract_for("2024-03-31", b"k" * 32), extract_for("2024-03-31", b"j" * 32)
    assert not set(one.individuals["person_key"]) & set(other.individuals["person_key"])
    assert not set(one.families["family_key"]) & set(other.families["family_key"])


def test_another_key_gives_other_pseudonyms_for_every_person():
    keys = pd.Series(["1" * 32, "2" * 32, "3" * 32])
    under_a, under_b = pseudonymise(keys, KEY_A, "person"), pseudonymise(keys, KEY_B, "person")
    assert not set(under_a) & set(under_b)


def test_person_and_family_pseudonyms_of_one_key_differ():
    assert pseudonym(KEY_A, "person", "x" * 32) != pseudonym(KEY_A, "family", "x" * 32)


def test_blank_linkage_keys_stay_blank_and_repeats_share_a_pseudonym():
    out = pseudonymise(pd.Series(["k1", None, "k1"], dtype="string"), KEY_A, "person")
    assert out.isna().tolist() == [False, True, False]
    assert out[0] == out[2]
