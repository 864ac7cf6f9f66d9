"""The second look (tfnis.linkage.second_look): looser keys only for the records the first pass left alone."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tfnis.linkage import second_look
from tfnis.linkage.batch import link_fields
from tfnis.linkage.match_keys import KeyCodes
from tfnis.linkage.normalise import match_fields
from tfnis.linkage.parameters import prior_model


def test_a_record_alone_in_its_key_cluster_and_in_no_link_is_lonely():
    cluster = np.array([0, 1, 1, 3, 4])  # records 1 and 2 share a key cluster
    alone = second_look.lonely(cluster, np.array([3]), np.array([0]))  # one link, between 3 and 0
    assert alone.tolist() == [False, False, False, False, True]


def test_only_pairs_with_a_lonely_record_in_other_key_clusters_and_across_the_scope_are_candidates():
    key = np.array([7, 7, 7, 7, 8, 8, -1, 7])
    alone = np.array([True, False, False, False, False, False, True, False])
    cluster = np.array([0, 1, 2, 2, 4, 4, 6, 0])  # record 7 is in record 0's key cluster
    in_model = np.array([True, True, True, False, True, True, True, True])  # record 3 is not in the engine
    pairs = second_look.candidate_pairs([key], alone, cluster, in_model, None)
    assert sorted(map(tuple, pairs.to_numpy().tolist())) == [(0, 1), (0, 2)]  # not 4-5: neither is lonely
    scope = np.array([1, 0, 1, 0, 0, 0, 0, 0])
    scoped = second_look.candidate_pairs([key], alone, cluster, in_model, scope)
    assert scoped.to_numpy().tolist() == [[0, 1]]  # not 0-2: two waiting records (a first return: all of them)
    scope_elsewhere = np.array([0, 1, 0, 0, 0, 0, 0, 0])
    assert second_look.candidate_pairs([key], alone, cluster, in_model, scope_elsewhere).to_numpy().tolist() == [[0, 1]]


def test_the_derived_parts_of_the_loose_keys():
    fields = match_fields(
        pd.DataFrame(
            {
                "forename": ["Ann", "Bo"],
                "surname": ["Hamilton", "Hambilton"],
                "date_of_birth": ["2019-10-11", "2019-10-11"],
                "postcode": ["M23 9WQ", "M16 5TE"],
                "sex": ["F", "F"],
            }
        )
    )
    codes = KeyCodes(fields)
    assert codes.combine(("dob", "postcode_area"))[0] == codes.combine(("dob", "postcode_area"))[1]
    assert codes.combine(("dob", "surname_initial"))[0] == codes.combine(("dob", "surname_initial"))[1]


def _people(n: int) -> pd.DataFrame:
    """Strangers with names, dates and postcodes of their own."""
    rng = np.random.default_rng(3)
    letters = np.array(list("bcdfghjklmnprstvwz"))
    vowels = np.array(list("aeiou"))

    def name() -> str:
        return "".join(rng.choice(letters) + rng.choice(vowels) for _ in range(3)).title()

    return pd.DataFrame(
        {
            "forename": [name() for _ in range(n)],
            "middle_names": [name() if i % 5 == 0 else None for i in range(n)],
            "surname": [name() for _ in range(n)],
            "date_of_birth": [
                f"{rng.integers(1950, 2020)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}" for _ in range(n)
            ],
            "postcode": [f"LS{rng.integers(1, 29)} {rng.integers(1, 10)}AB" for _ in range(n)],
            "sex": rng.choice(["F", "M"], n),
        }
    )


# Known by her middle name, the surname typed wrong, moved within the district: no first-pass blocking rule brings
# the pair (the date with neither the forename's initial nor the surname's Soundex; no postcode, name or middle
# name in common), the date of birth with the postcode's area does.
JOANNE = {"forename": "Joanne", "middle_names": "Sandra", "surname": "Hamilton", "date_of_birth": "2019-10-11",
          "postcode": "M23 9WQ", "sex": "F"}  # fmt: skip
SANDRA = {
    "forename": "Sandra",
    "surname": "Hambilton",
    "date_of_birth": "2019-10-11",
    "postcode": "M23 5TE",
    "sex": "F",
}


def linked(monkeypatch, keys: tuple[tuple[str, ...], ...], engine: str = "duckdb") -> bool:
    """Whether Joanne and Sandra, among strangers, are linked with these loose keys (the Spark test uses it too)."""
    monkeypatch.setattr(second_look, "LOOSE_KEYS", keys)
    records = pd.concat([_people(400), pd.DataFrame([JOANNE, SANDRA])], ignore_index=True)
    links = link_fields(match_fields(records), model=prior_model(), engine=engine)
    return bool(links.person[-1] == links.person[-2])


def test_a_lonely_record_is_linked_by_a_loose_key_and_not_without_the_second_look(monkeypatch):
    assert linked(monkeypatch, second_look.LOOSE_KEYS)
    assert not linked(monkeypatch, ())
