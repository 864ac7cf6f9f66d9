"""National re-linkage: link the whole index again (on Spark, in an AWS Glue job) and keep keys where people continue.

Incremental matching never merges or re-keys persons already in the index, so a wrong split made early (a
council's first return matched before the person's other returns came in) stays split. The re-link clusters
every index row again with the same model, then hands each new cluster a key with continuity:

- an old person_key's *home* is the new cluster holding most of its rows (ties: the cluster whose first row
  comes first in the index's canonical order);
- a new cluster that is the home of one old key keeps that key; the home of several (a merge) keeps the one
  with most rows in it, then most rows overall, then the smallest key: the others are retired;
- a new cluster that is no key's home (a part split off an old person) gets a new key.

So a person_key changes only where the person's rows were merged into another person (the key map says into
which) or split off. Counts of merges and splits go to the audit log; keys and identifiers never do.

family_key is carried over unchanged: a family is the council's own (la_code, family_id) and the key that
follows it across councils; the re-link re-decides persons, not council families.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tfnis.linkage import DEFAULT_THRESHOLD
from tfnis.linkage.batch import PROBABILISTIC, link_fields
from tfnis.linkage.incremental import INDEX_COLUMNS, INDEX_FIELDS, random_key
from tfnis.linkage.normalise import MATCH_FIELDS

KEY_CHANGE_COLUMNS = ("old_person_key", "new_person_key", "rows", "change")
MERGED, SPLIT = "merged", "split_off"


@dataclass(frozen=True)
class Continuity:
    """person_key per row with continuity, and the counts for the audit log (numbers only)."""

    person_key: np.ndarray
    counts: dict[str, int]


@dataclass(frozen=True)
class Relinked:
    """index: the re-linked index (INDEX_COLUMNS). key_changes: one row per (old key, new key) whose rows moved
    (KEY_CHANGE_COLUMNS), for carrying earlier extracts forward. counts: for the audit log."""

    index: pd.DataFrame
    key_changes: pd.DataFrame
    counts: dict[str, int]


def continued_keys(old_keys: np.ndarray, cluster: np.ndarray, new_key: Callable[[], str] = random_key) -> Continuity:
    """A key per row: an old key kept where its cluster continues, merges resolved, split-off parts new keys."""
    rows = pd.DataFrame({"old": pd.Series(old_keys, dtype=object), "cluster": np.asarray(cluster)})
    rows["position"] = np.arange(len(rows))
    first_row = rows.groupby("cluster")["position"].min()
    parts = rows.groupby(["old", "cluster"]).size().rename("n").reset_index()
    parts["cluster_first_row"] = parts["cluster"].map(first_row)
    parts["old_total"] = parts.groupby("old")["n"].transform("sum")
    # Each old key's home: the cluster holding most of its rows; ties to the cluster first in the index.
    homes = parts.sort_values(["old", "n", "cluster_first_row"], ascending=[True, False, True])
    homes = homes.drop_duplicates("old")
    # Each cluster keeps, of the keys at home in it, the one with most rows in it, then overall, then smallest.
    winners = homes.sort_values(["cluster", "n", "old_total", "old"], ascending=[True, False, False, True])
    winners = winners.drop_duplicates("cluster").set_index("cluster")["old"]
    clusters = first_row.sort_values().index  # new keys drawn in index order: deterministic given new_key
    key_of = winners.reindex(clusters).astype(object)
    unclaimed = key_of.isna().to_numpy()
    key_of[unclaimed] = [new_key() for _ in range(int(unclaimed.sum()))]
    person_key = rows["cluster"].map(key_of).to_numpy(dtype=object)

    claimants = homes.groupby("cluster").size()
    spread = parts.groupby("old").size()
    parts_in = parts.groupby("cluster").size()
    kept = person_key == rows["old"].to_numpy(dtype=object)
    counts = {
        "rows": len(rows),
        "persons_before": int(rows["old"].nunique()),
        "persons_after": len(clusters),
        "persons_unchanged": int(((parts["n"] == parts["old_total"]) & parts["cluster"].map(parts_in).eq(1)).sum()),
        "merges": int((claimants > 1).sum()),
        "keys_retired_by_merge": int((claimants - 1).clip(lower=0).sum()),
        "splits": int((spread > 1).sum()),
        "new_keys_for_split_off_parts": int(len(clusters) - len(winners)),
        "rows_keeping_key": int(kept.sum()),
    }
    return Continuity(person_key=person_key, counts=counts)


def relink_index(
    index: pd.DataFrame,
    *,
    engine: str = "spark",
    threshold: float = DEFAULT_THRESHOLD,
    new_key: Callable[[], str] = random_key,
) -> Relinked:
    """Link every row of the index again (same model as matching) and re-key it with continuity. Match fields
    the pipeline's index does not keep (address, other_id) are used when the frame has them."""
    extra = [f for f in MATCH_FIELDS if f not in INDEX_FIELDS and f in index.columns]
    index = index[[*INDEX_COLUMNS, *extra]].astype("string").reset_index(drop=True)
    blank = pd.Series(pd.NA, index=index.index, dtype="string")
    fields = index.assign(**{f: blank for f in MATCH_FIELDS if f not in index.columns})[list(MATCH_FIELDS)]
    links = link_fields(fields, threshold=threshold, engine=engine, known_links=_council_person_links(index))
    continuity = continued_keys(index["person_key"].to_numpy(dtype=object), links.person, new_key)
    relinked = index.assign(person_key=pd.array(continuity.person_key, dtype="string"))
    counts = {**continuity.counts, "rows_linked_by_model": int((links.rule == PROBABILISTIC).sum())}
    return Relinked(index=relinked, key_changes=key_changes(index["person_key"], relinked["person_key"]), counts=counts)


def _council_person_links(index: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Rows of one council person (la_code, person_id) that matching already gave one person_key: the council's
    own id, corroborated when it was matched (incremental rule 1), stays evidence in the re-link."""
    ids = index[["la_code", "person_id", "person_key"]]
    known = ids.notna().all(axis=1).to_numpy()
    group = np.full(len(index), -1, dtype=np.int64)
    group[known] = ids[known].groupby(list(ids.columns), sort=False).ngroup().to_numpy()
    positions = np.flatnonzero(known)
    first = pd.Series(positions).groupby(group[known]).transform("first").to_numpy()
    others = positions != first
    return first[others], positions[others]


def key_changes(old: pd.Series, new: pd.Series) -> pd.DataFrame:
    """Old key → new key for every row whose key changed, with how many rows: merged into another person's key
    (the old key is no longer used) or split off (a new key)."""
    moved = pd.DataFrame({"old_person_key": old.to_numpy(), "new_person_key": new.to_numpy()})
    moved = moved[moved["old_person_key"] != moved["new_person_key"]]
    table = moved.groupby(["old_person_key", "new_person_key"]).size().rename("rows").reset_index()
    table["change"] = np.where(table["new_person_key"].isin(set(old.dropna())), MERGED, SPLIT)
    return table[list(KEY_CHANGE_COLUMNS)].sort_values(["old_person_key", "new_person_key"]).reset_index(drop=True)
