"""Clusters from model links: strongest first, never two clusters one person cannot be."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tfnis.linkage.clusters import consistent_components, dates_could_be_one, names_could_be_one


def records(**columns: list) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(values, dtype="string") for name, values in columns.items()})


def test_dates_one_slip_apart_could_be_one_person():
    assert dates_could_be_one("2001-02-22", "2001-22-22")  # one typo
    assert dates_could_be_one("2023-11-10", "2023-10-11")  # day and month swapped
    assert dates_could_be_one("2019-12-31", "2020-12-31")  # a year out
    assert dates_could_be_one("2019-12-31", "2020-01-01")  # a day out
    assert not dates_could_be_one("1987-05-17", "2008-09-18")  # a parent and a child


def test_a_record_with_a_blank_date_joins_one_namesake_not_both():
    # Parent (0) and child (1) of one name; record 2 has no date and links to both, to the parent more strongly.
    fields = records(dob=["1987-05-17", "2008-09-18", None], nino=[None, None, None])
    person = consistent_components(
        np.arange(3), np.array([2, 2]), np.array([1, 0]), np.array([0.95, 0.99]), fields, households=True
    )
    assert person.tolist() == [0, 1, 0]


def test_without_households_dates_do_not_split_but_identifiers_do():
    fields = records(dob=["1987-05-17", "2008-09-18", None], nino=["AB123456", None, "CD654321"])
    person = consistent_components(
        np.arange(3), np.array([0, 1]), np.array([1, 2]), np.array([0.99, 0.98]), fields, households=False
    )
    assert person.tolist() == [0, 0, 2]


def test_key_clusters_are_joined_whole():
    # Records 0 and 1 are one key cluster (label 0); a model link from record 2 to record 1 joins all three.
    fields = records(dob=["2001-02-22", None, "2001-02-22"], nino=[None, None, None])
    person = consistent_components(
        np.array([0, 0, 2]), np.array([2]), np.array([1]), np.array([0.99]), fields, households=True
    )
    assert person.tolist() == [0, 0, 0]


def twins_and_a_bridge(**extra: list) -> pd.DataFrame:
    """Twins Arthur (0) and Josh (1) of one date; record 2 has no forename and links to both."""
    columns = {"forename": ["arthur", "josh", None], "forename_first": ["arthur", "josh", None],
               "forename_aliases": ["arthur", "josh", None], "middle_names": [None, None, None],
               "surname": ["hutchinson"] * 3, "dob": ["2024-08-08"] * 3, "nino": [None, None, None]}  # fmt: skip
    return records(**(columns | extra))


def test_a_record_with_a_blank_forename_joins_one_twin_not_both():
    person = consistent_components(
        np.arange(3), np.array([2, 2]), np.array([1, 0]), np.array([0.95, 0.99]), twins_and_a_bridge(), households=True
    )
    assert person.tolist() == [0, 1, 0]


def test_names_do_not_split_clusters_without_households_or_with_an_identifier_in_common():
    links = np.array([2, 2]), np.array([1, 0]), np.array([0.95, 0.99])
    assert consistent_components(np.arange(3), *links, twins_and_a_bridge(), households=False).tolist() == [0, 0, 0]
    shared = twins_and_a_bridge(nino=["AB123456", "AB123456", None])
    assert consistent_components(np.arange(3), *links, shared, households=True).tolist() == [0, 0, 0]


def test_a_known_as_middle_name_or_a_swapped_name_is_not_a_different_person():
    # Record 1 is known by her middle name; record 2 has forename and surname swapped.
    fields = records(forename=["clare", "anne", "parry"], forename_first=["clare", "anne", "parry"],
                     forename_aliases=["clare", "anne", "parry"], middle_names=["anne", None, None],
                     surname=["parry", "parry", "clare"], dob=[None, None, None], nino=[None, None, None])  # fmt: skip
    person = consistent_components(
        np.arange(3), np.array([0, 0]), np.array([1, 2]), np.array([0.99, 0.98]), fields, households=True
    )
    assert person.tolist() == [0, 0, 0]


def test_given_names_one_person_may_be_recorded_under():
    assert names_could_be_one("helen", "helne")  # a typo
    assert names_could_be_one("chris", "christopher") and names_could_be_one("j", "josh")  # a short form, an initial
    assert not names_could_be_one("arthur", "josh")
    assert names_could_be_one("sara", "sandra")  # two edits apart: the model's forename levels allow it


def test_links_whose_strengths_differ_only_in_the_last_bits_are_taken_in_the_order_given():
    """Record 1 (no identifier) links to 0 and to 2, which hold different NINOs, at one probability but for the
    last bits (parallel sums in training differ between runs): the link given first is taken, so a replay makes
    the same clusters."""
    fields = records(dob=[None, None, None], nino=["AB123456", None, "CD654321"])
    for strength in ([0.9, 0.9], [0.9, 0.9 + 2e-16], [0.9 + 2e-16, 0.9]):
        person = consistent_components(
            np.arange(3), np.array([0, 1]), np.array([1, 2]), np.array(strength), fields, households=False
        )
        assert person.tolist() == [0, 0, 2]


def test_the_cycle_collector_is_paused_only_while_clusters_join():
    import gc

    fields = records(dob=["1987-05-17", "2008-09-18", None], nino=[None, None, None])
    links = (np.array([2, 2]), np.array([1, 0]), np.array([0.95, 0.99]))
    assert gc.isenabled()
    consistent_components(np.arange(3), *links, fields, households=True)
    assert gc.isenabled()  # given back on
    gc.disable()
    try:
        consistent_components(np.arange(3), *links, fields, households=True)
        assert not gc.isenabled()  # a caller's own choice kept
    finally:
        gc.enable()
