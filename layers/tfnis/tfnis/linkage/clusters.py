"""Connected components of a link graph, in numpy (hook and pointer-jump: no per-edge Python)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Label of each of n nodes: the smallest node id in its component."""
    parent = np.arange(n, dtype=np.int64)
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    if len(left) == 0:
        return parent
    while True:
        root_l, root_r = parent[left], parent[right]
        if np.array_equal(root_l, root_r):
            return parent
        low = np.minimum(root_l, root_r)
        np.minimum.at(parent, root_l, low)
        np.minimum.at(parent, root_r, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


# Identifiers a person holds one of: two different valid values (more than one edit apart) are two people.
_IDENTIFIERS = ("nino", "upn", "nhs_number")


def _edits_apart(a: str, b: str, most: int) -> bool:
    import jellyfish

    return a == b or jellyfish.damerau_levenshtein_distance(a, b) <= most


def dates_could_be_one(a: str, b: str) -> bool:
    """Two ISO dates of birth one keying slip apart (the model's non-else DOB levels): equal, day and month
    swapped, one typo, a year out with day and month kept, or a day out."""
    import datetime

    if _edits_apart(a, b, 1):
        return True
    if a[:4] == b[:4] and a[5:7] == b[8:10] and a[8:10] == b[5:7]:
        return True
    if a[4:] == b[4:] and a[:4].isdigit() and b[:4].isdigit() and abs(int(a[:4]) - int(b[:4])) == 1:
        return True
    try:
        return abs((datetime.date.fromisoformat(a) - datetime.date.fromisoformat(b)).days) <= 1
    except ValueError:
        return False


def names_could_be_one(a: str, b: str) -> bool:
    """Two normalised given names one person may be recorded under: two edits apart, Jaro-Winkler 0.88 or more
    (the model's non-else forename levels), one an initial or the start of the other (Chris, Christopher)."""
    import jellyfish

    if _edits_apart(a, b, 2) or jellyfish.jaro_winkler_similarity(a, b) >= 0.88:
        return True
    short, long = sorted((a, b), key=len)
    return long.startswith(short) and (len(short) == 1 or len(short) >= 3)


def _record_names(fields: pd.DataFrame, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per record of `rows` (a mask; others None): its given names (forename, first forename, nickname aliases,
    middle names) and its surnames."""
    given = np.empty(len(fields), dtype=object)
    family = np.empty(len(fields), dtype=object)
    # Python lists: one element at a time, a list is several times faster to read than a numpy object array.
    parts = [fields[c].to_numpy(dtype=object).tolist() for c in ("forename", "forename_first", "middle_names")]
    aliases = fields["forename_aliases"].to_numpy(dtype=object).tolist()
    surnames = fields["surname"].to_numpy(dtype=object).tolist()
    for i in np.flatnonzero(rows).tolist():
        names = {t for column in parts if isinstance(column[i], str) for t in column[i].split()}
        if isinstance(aliases[i], str):
            names |= set(aliases[i].split("|"))
        given[i] = names
        family[i] = set(surnames[i].split()) if isinstance(surnames[i], str) else set()
    return given, family


class _Holdings:
    """What each cluster holds that a person can hold only one of (valid identifiers; with households, the
    date of birth up to a slip), and with households its given names and surnames, merged as clusters join."""

    def __init__(self, fields: pd.DataFrame, households: bool, touched: np.ndarray) -> None:
        self.columns = [c for c in (*_IDENTIFIERS, *(("dob",) if households else ())) if c in fields.columns]
        # Python lists, read one member at a time (a cluster is a few records): several times faster than numpy
        # object arrays indexed by a small array, which was most of this step (1.4 of 2.5 CPU-s at 200,000 hard).
        self.values = {c: fields[c].to_numpy(dtype=object).tolist() for c in self.columns}
        self.names = households and {"forename", "forename_first", "forename_aliases"} <= set(fields.columns)
        if self.names:
            given, family = _record_names(fields, touched)  # only clusters a link touches are read
            self.given, self.family = given.tolist(), family.tolist()
        self.held: dict[int, dict[str, set[str]]] = {}

    def of(self, root: int, members: list[int]) -> dict[str, set[str]]:
        held = self.held.get(root)
        if held is None:
            held = self._of_record(members[0]) if len(members) == 1 else self._of_records(members)
            self.held[root] = held
        return held

    def _of_record(self, member: int) -> dict[str, set[str]]:
        """One record's holdings (most clusters a link touches are one record). Its name sets are used as they
        are: holdings are never changed in place (a join makes new sets)."""
        held = {}
        for column in self.columns:
            value = self.values[column][member]
            held[column] = {value} if isinstance(value, str) else set()
        if self.names:
            held["given"], held["family"] = self.given[member], self.family[member]
        return held

    def _of_records(self, members: list[int]) -> dict[str, set[str]]:
        held = {}
        for column in self.columns:
            values = self.values[column]
            held[column] = {v for v in (values[m] for m in members) if isinstance(v, str)}
        if self.names:
            held["given"] = set().union(*(self.given[m] for m in members))
            held["family"] = set().union(*(self.family[m] for m in members))
        return held

    @staticmethod
    def conflict(a: dict[str, set[str]], b: dict[str, set[str]]) -> bool:
        shared_identifier = False
        for column, left in a.items():
            right = b[column]
            if column in ("given", "family") or not left or not right:
                continue
            if column == "dob":
                # Not one date in common up to a slip (a cluster may hold a date with two slips that a key joined).
                if not any(dates_could_be_one(x, y) for x in left for y in right):
                    return True
            elif left.isdisjoint(right) and not any(_edits_apart(x, y, 1) for x in left for y in right):
                return True
            else:
                shared_identifier = True
        return "given" in a and not shared_identifier and _names_apart(a, b)


def _names_apart(a: dict[str, set[str]], b: dict[str, set[str]]) -> bool:
    """Households: both clusters state given names and none of one's could be any of the other's (given names,
    or surnames, for a record with the two swapped). Twins of one surname, date and address are two people;
    so are two clusters bridged by a record whose forename is blank."""
    if not a["given"] or not b["given"]:
        return False
    for mine, theirs in ((a, b), (b, a)):
        if any(names_could_be_one(x, y) for x in mine["given"] for y in theirs["given"] | theirs["family"]):
            return False
    return True


# Strengths compared to 12 digits: the model's probabilities may differ in the last bits between runs (parallel
# sums in training), which decided which of two equal links came first and so, now and then, a cluster (18
# records at 200,000 hard records; docs/linkage-benchmarks.md). Equal links are taken in the order given.
STRENGTH_DIGITS = 12


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off for the join: it makes sets and dicts by the hundred thousand (no cycles among
    them), and each collection walks every record's name sets (0.5 of 2.2 CPU-s at 200,000 hard records)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _join_consistently(
    parent: list[int], left: list[int], right: list[int], holdings: _Holdings, members: list[int], starts: list[int]
) -> list[int]:
    """consistent_components' union-find over Python lists (numpy's one-element reads cost more than the work)."""

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in zip(left, right, strict=True):
        root_a, root_b = root(a), root(b)
        if root_a == root_b:
            continue
        # A root not yet joined holds its key cluster's members (first touch only; later its holdings are kept).
        held_a = holdings.of(root_a, members[starts[root_a] : starts[root_a + 1]])
        held_b = holdings.of(root_b, members[starts[root_b] : starts[root_b + 1]])
        if holdings.conflict(held_a, held_b):
            continue
        low, high = min(root_a, root_b), max(root_a, root_b)
        parent[high] = low
        holdings.held[low] = {c: held_a[c] | held_b[c] for c in held_a}
        holdings.held.pop(high, None)
    return parent


def consistent_components(
    clusters: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    strength: np.ndarray,
    fields: pd.DataFrame,
    *,
    households: bool,
) -> np.ndarray:
    """Join `clusters` (labels: a member's smallest id) along the links, strongest first, skipping a link whose
    two clusters hold different valid identifiers or (households=True) dates of birth no slip apart or, with no
    identifier in common, given names none of which could be the other's. Plain
    connected components chain strangers through one wrong link (a record with a blank date joins a parent
    and a child of one name); the pair vetoes only see two records, this sees the clusters."""
    parent = np.asarray(clusters, dtype=np.int64).copy()
    order = np.argsort(-np.round(np.asarray(strength, dtype=np.float64), STRENGTH_DIGITS), kind="stable")
    left, right = np.asarray(left, dtype=np.int64)[order], np.asarray(right, dtype=np.int64)[order]
    by_cluster = np.argsort(parent, kind="stable")
    starts = np.searchsorted(parent[by_cluster], np.arange(len(parent) + 1)).tolist()
    members = by_cluster.tolist()
    # The records of the key clusters a link touches: the only ones whose holdings are read (a first return with
    # few links reads few of its 100,000 records' names).
    touched = np.isin(parent, np.unique(parent[np.r_[left, right]]))
    with _collector_paused():
        holdings = _Holdings(fields, households, touched)
        joined = _join_consistently(parent.tolist(), left.tolist(), right.tolist(), holdings, members, starts)
    parent = np.asarray(joined, dtype=np.int64)
    while True:
        jumped = parent[parent]
        if np.array_equal(jumped, parent):
            return parent
        parent = jumped
