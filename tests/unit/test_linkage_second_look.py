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


def test_pairs_a_first_pass_rule_brings_are_not_scored_again():
    """The second look does not score again a pair the first pass's blocking brought (scored, not linked): of
    every pair of the records, exactly those blocked_pairs_sql does not bring are left, blanks included."""
    import duckdb

    from tfnis.generate import generate_frames
    from tfnis.linkage import model

    individuals = generate_frames(councils=1, families=60, periods=2, seed=5, error_rate=0.05).individuals
    # Names swapped, no date or postcode: the swapped-name rules compare blanks (NULL, not false) and bring nothing.
    swapped = pd.DataFrame({"forename": ["Ann", "Quill"], "surname": ["Quill", "Ann"]})
    individuals = pd.concat([individuals, swapped], ignore_index=True)
    fields = match_fields(individuals.drop(columns=["record_id"], errors="ignore"))
    fields["uid"] = np.arange(len(fields))
    fields["cluster"] = np.arange(len(fields)) // 2
    records = model.with_representatives(fields)
    rules = model.blocking_rules(records, scoped=False)
    n = len(records)
    left, right = np.triu_indices(n, 1)
    con = duckdb.connect()
    con.register("records_frame", records)
    con.execute("CREATE TABLE records AS SELECT * FROM records_frame")
    con.register("every_pair", pd.DataFrame({"uid_l": left, "uid_r": right}))
    left_over = con.execute(second_look.blocked_sql("every_pair", (rules, "records"))).df()
    brought = con.execute(model.blocked_pairs_sql(rules, "records")).df()
    everything = con.execute(second_look.blocked_sql("every_pair", None)).df()
    assert len(everything) == len(left) and 100 < len(brought) < len(left) - len(left_over) + 1
    expected = set(zip(left.tolist(), right.tolist(), strict=True)) - set(
        zip(brought["join_key_l"].tolist(), brought["join_key_r"].tolist(), strict=True)
    )
    assert set(zip(left_over["join_key_l"].tolist(), left_over["join_key_r"].tolist(), strict=True)) == expected
    assert len(left_over) == len(expected) and (left_over["match_key"] == "99").all()
    assert (n - 2, n - 1) in expected


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
