"""National re-linkage: link the whole index again (on Spark, in an AWS Glue job) and keep keys where people continue.

Incremental matching never merges or re-keys persons already in the index, so a wrong split made early (a
council's first return matched before the person's other returns came in) stays split. The re-link clusters
every index row again with the same model, then hands each new cluster a key with continuity:

- an old person_key's *home* is the new cluster holding most of its rows (ties: the cluster whose first row
  comes first in the index's canonical order);
- a new cluster that is the home of one old key keeps that key; the home of several (a merge) keeps the one
  with most rows in it, then most rows overall, then the one first in the index (the smallest key): the
  others are retired;
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
    """A key per row: an old key kept where its cluster continues, merges resolved, split-off parts new keys.
    Integer work throughout (codes in order of first row), so millions of rows take seconds."""
    old_code, old_values = pd.factorize(pd.Series(old_keys, dtype=object))
    cluster_code = pd.factorize(np.asarray(cluster))[0].astype(np.int64)  # cluster order = first-row order
    n_clusters = int(cluster_code.max()) + 1 if len(cluster_code) else 0
    valid = old_code >= 0
    pair, n = np.unique(old_code[valid].astype(np.int64) * n_clusters + cluster_code[valid], return_counts=True)
    p_old, p_cluster = pair // max(n_clusters, 1), pair % max(n_clusters, 1)
    old_total = np.bincount(p_old, weights=n, minlength=len(old_values)).astype(np.int64)
    # Each old key's home: the cluster holding most of its rows; ties to the cluster first in the index.
    by_old = np.lexsort((p_cluster, -n, p_old))
    home = by_old[np.r_[True, p_old[by_old][1:] != p_old[by_old][:-1]]] if len(by_old) else by_old
    h_old, h_cluster, h_n = p_old[home], p_cluster[home], n[home]
    # Each cluster keeps, of the keys at home in it, the one with most rows in it, then overall, then the one
    # first in the index (the canonical index is sorted by person_key: the smallest).
    by_cluster = np.lexsort((h_old, -old_total[h_old], -h_n, h_cluster))
    first = np.r_[True, h_cluster[by_cluster][1:] != h_cluster[by_cluster][:-1]] if len(by_cluster) else []
    winner = by_cluster[first]
    key_of = np.full(n_clusters, None, dtype=object)
    key_of[h_cluster[winner]] = np.asarray(old_values, dtype=object)[h_old[winner]]
    unclaimed = np.flatnonzero(pd.isna(key_of))  # in index order: new keys deterministic given new_key
    key_of[unclaimed] = [new_key() for _ in range(len(unclaimed))]
    person_key = key_of[cluster_code]

    claimants = np.bincount(h_cluster, minlength=n_clusters)
    parts_in = np.bincount(p_cluster, minlength=n_clusters)
    counts = {
        "rows": len(cluster_code),
        "persons_before": len(old_values),
        "persons_after": n_clusters,
        "persons_unchanged": int(((n == old_total[p_old]) & (parts_in[p_cluster] == 1)).sum()),
        "merges": int((claimants > 1).sum()),
        "keys_retired_by_merge": int(np.clip(claimants - 1, 0, None).sum()),
        "splits": int((np.bincount(p_old, minlength=len(old_values)) > 1).sum()),
        "new_keys_for_split_off_parts": len(unclaimed),
        "rows_keeping_key": int((person_key[valid] == np.asarray(old_keys, dtype=object)[valid]).sum()),
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
