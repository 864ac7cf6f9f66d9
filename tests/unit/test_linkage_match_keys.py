"""Deterministic match keys: which records share a key, and which must not."""

import numpy as np
import pandas as pd

from tfnis.linkage.batch import deterministic_links
from tfnis.linkage.clusters import connected_components
from tfnis.linkage.match_keys import MATCH_KEY_RULES, match_key
from tfnis.linkage.normalise import match_fields

RULES = {rule.name: rule for rule in MATCH_KEY_RULES}
BASE = {
    "forename": "Jack",
    "surname": "Smith",
    "date_of_birth": "2010-03-04",
    "postcode": "SW1A 1AA",
    "nino": "",
    "upn": "",
}


def fields(*changes):
    return match_fields(pd.DataFrame([{**BASE, **change} for change in changes]))


def same_key(rule, *changes):
    keys = match_key(fields(*changes), RULES[rule])
    return keys.notna().all() and keys.nunique() == 1


def test_nino_stem_and_dob_link_despite_a_different_suffix_and_name():
    assert same_key("nino_dob", {"nino": "AB123456C"}, {"nino": "AB123456D", "forename": "Jon"})


def test_upn_alone_links():
    assert same_key("upn", {"upn": "P207000016049"}, {"upn": "P207000016049", "surname": "Jones"})


def test_full_key_ignores_case_and_punctuation():
    assert same_key("name_dob_postcode", {}, {"forename": "JACK", "surname": " smith", "postcode": "sw1a1aa"})


def test_swapped_day_and_month_share_the_unordered_key():
    assert same_key("swapped_day_month", {}, {"date_of_birth": "2010-04-03"})


def test_phonetic_surname_key_links_a_misspelt_surname():
    assert same_key("phonetic_surname", {}, {"surname": "Smyth"})


def test_postcode_district_key_links_a_move_within_the_district():
    assert same_key("postcode_district", {}, {"postcode": "SW1A 2AA"})


def test_initial_key_links_a_typo_in_the_forename():
    links, _ = deterministic_links(fields({}, {"forename": "Jakc"}))
    assert len(links) == 1


def test_twins_sharing_an_initial_are_not_linked_by_the_initial_key():
    links, _ = deterministic_links(fields({"forename": "Jack"}, {"forename": "Jessica"}))
    assert links.empty


def test_blank_part_means_no_key():
    assert match_key(fields({"date_of_birth": ""}), RULES["name_dob_postcode"]).isna().all()


def test_invalid_nino_is_never_a_key():
    assert match_key(fields({"nino": "TN010203M"}), RULES["nino_dob"]).isna().all()


def test_record_is_labelled_with_the_strongest_rule_that_linked_it():
    _, rule_of = deterministic_links(fields({"nino": "AB123456C"}, {"nino": "AB123456C"}))
    assert list(rule_of) == ["nino_dob", "nino_dob"]


def test_connected_components_label_each_component_by_its_smallest_member():
    labels = connected_components(6, np.array([5, 4, 1]), np.array([4, 3, 0]))
    assert labels.tolist() == [0, 0, 2, 3, 3, 3]
