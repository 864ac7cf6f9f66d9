"""National re-linkage keeps person_keys where people continue: a merge keeps one key, a split-off part gets a
new one, an unchanged person keeps theirs; the audit counts are numbers only. (FEBRL on Spark:
test_linkage_spark.py.)"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from tfnis.linkage.incremental import INDEX_COLUMNS
from tfnis.linkage.relink import MERGED, SPLIT, continued_keys, key_changes, relink_index


def numbered_keys():
    counter = itertools.count(1)
    return lambda: f"new{next(counter)}"


def test_a_merge_a_split_and_an_unchanged_person():
    # A (2 rows) and B (3 rows) are found to be one person; C (3 rows) splits 2 + 1; D is unchanged.
    old = np.array(["A", "A", "B", "B", "C", "C", "C", "D", "D", "B"], dtype=object)
    cluster = np.array([0, 0, 0, 0, 4, 4, 6, 7, 7, 0])
    result = continued_keys(old, cluster, numbered_keys())
    assert list(result.person_key) == ["B", "B", "B", "B", "C", "C", "new1", "D", "D", "B"]
    assert result.counts == {
        "rows": 10,
        "persons_before": 4,
        "persons_after": 4,
        "persons_unchanged": 1,
        "merges": 1,
        "keys_retired_by_merge": 1,
        "splits": 1,
        "new_keys_for_split_off_parts": 1,
        "rows_keeping_key": 7,
    }


def test_ties_are_broken_by_index_order_and_key():
    # E splits 1 + 1: it stays with the cluster whose first row comes first. F and G merge with equal
    # weight: the key first in the index (sorted by person_key: the smaller) stays. Labels do not matter.
    old = np.array(["E", "E", "F", "G"], dtype=object)
    for labels in ([5, 3, 9, 9], [1, 2, 0, 0]):
        result = continued_keys(old, np.array(labels), numbered_keys())
        assert list(result.person_key) == ["E", "new1", "F", "F"]


def test_key_changes_say_merged_or_split_off():
    old = pd.Series(["A", "A", "B", "C", "C"], dtype="string")
    new = pd.Series(["A", "A", "A", "C", "new1"], dtype="string")
    changes = key_changes(old, new)
    assert changes.to_dict("records") == [
        {"old_person_key": "B", "new_person_key": "A", "rows": 1, "change": MERGED},
        {"old_person_key": "C", "new_person_key": "new1", "rows": 1, "change": SPLIT},
    ]


def index_rows(rows: list[dict[str, str]]) -> pd.DataFrame:
    return pd.DataFrame([{c: row.get(c) for c in INDEX_COLUMNS} for row in rows]).astype("string")


def test_relink_joins_by_match_keys_and_keeps_council_persons_together():
    # P1 and P2 share NINO and date of birth (match key nino_dob): a merge. P3's two rows have nothing in
    # common but the council's own person id and the key matching gave them: still one person.
    person = {"forename": "ann", "forename_first": "ann", "surname": "lee", "dob": "2001-02-03", "nino": "AB123456"}
    index = index_rows(
        [
            {**person, "person_key": "P1", "family_key": "F1", "la_code": "E06000001", "person_id": "1"},
            {
                **person,
                "person_key": "P2",
                "family_key": "F2",
                "la_code": "E06000002",
                "person_id": "7",
                "postcode": "LS1 4AP",
            },
            {"forename": "tom", "dob": "2010-01-01", "person_key": "P3", "la_code": "E06000001", "person_id": "2"},
            {"forename": "tomasz", "dob": "2011-12-12", "person_key": "P3", "la_code": "E06000001", "person_id": "2"},
        ]
    )
    result = relink_index(index, engine="duckdb", new_key=numbered_keys())
    assert list(result.index["person_key"]) == ["P1", "P1", "P3", "P3"]
    family_keys = result.index["family_key"]
    assert family_keys.iloc[:2].tolist() == ["F1", "F2"] and family_keys.iloc[2:].isna().all()  # unchanged
    assert result.counts["merges"] == 1 and result.counts["splits"] == 0
    assert all(isinstance(v, int) for v in result.counts.values())  # counts only: no key, no identifier
    assert result.key_changes.to_dict("records") == [
        {"old_person_key": "P2", "new_person_key": "P1", "rows": 1, "change": MERGED}
    ]
