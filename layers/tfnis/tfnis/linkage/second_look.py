"""A second look for the records the first pass left alone: looser blocking keys, only for those records.

After the first pass (the blocking rules of tfnis.linkage.model, scored and vetoed) a record that is in a key
cluster of its own and in no link is compared once more, with any record sharing one of LOOSE_KEYS, by the same
trained model in the same engine. Such a record is most often a person seen once, but it is also where the
misses of three fields wrong or blank land. The extra pairs are bounded by the unmatched records, not by the
whole file: a key that would cost tens of millions of pairs as a blocking rule costs a few per lonely record.
docs/linkage-benchmarks.md ("Quality on the hard data, sixth pass") has what each key brought and cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from splink import DuckDBAPI, Linker, SparkAPI

    from tfnis.linkage.match_keys import KeyCodes

# Parts as tfnis.linkage.match_keys.KeyCodes derives them. Household data only (a sex column), as the vetoes.
# Each brings pairs no blocking rule of the first pass does, at a few pairs per lonely record at a million
# records: the date of birth with the postcode's area or the surname's initial (a name typed wrong and a move),
# the postcode with the year of birth (names typed wrong or blank, the day or month slipped). Not the postcode with
# the sex (a household's members of one sex): a quarter of the pairs at 1M hard records (1.93M -> 1.43M) for pair
# F1 0.9828 -> 0.9827 there, 0.9938 -> 0.9937 and 0.9926 -> 0.9926 at 20k (tuning seeds 1, 2; wt-speed3).
LOOSE_KEYS: tuple[tuple[str, ...], ...] = (
    ("postcode", "dob_year"),
    ("dob", "postcode_area"),
    ("dob", "surname_initial"),
)
# Keys too common for a lonely record against every record: only between two lonely records (none kept).
LONELY_PAIR_KEYS: tuple[tuple[str, ...], ...] = ()
# A key value shared by more records than this is no evidence of anything (a blank-like default): skipped.
MOST_PER_KEY = 1_000
# Lonely records paired at a time: the pairs' working arrays stay small (a million records hold 240,000 lonely ones).
LONELY_A_SLICE = 20_000


def wanted(records: pd.DataFrame) -> bool:
    return "sex" in records.columns and bool(records["sex"].notna().any()) and "dob" in records.columns


def loose_key_codes(codes: KeyCodes) -> list[np.ndarray]:
    """One integer array per loose key (-1 where a part is blank), row for row with the records."""
    return [codes.combine(parts) for parts in LOOSE_KEYS + LONELY_PAIR_KEYS]


def lonely(cluster: np.ndarray, linked_l: np.ndarray, linked_r: np.ndarray) -> np.ndarray:
    """Records alone in their key cluster and in no link of the first pass."""
    cluster = np.asarray(cluster, dtype=np.int64)
    alone = np.bincount(cluster, minlength=len(cluster))[cluster] == 1
    alone[np.asarray(linked_l, dtype=np.int64)] = False
    alone[np.asarray(linked_r, dtype=np.int64)] = False
    return alone


def candidate_pairs(
    keys: list[np.ndarray], alone: np.ndarray, cluster: np.ndarray, in_model: np.ndarray, scope: np.ndarray | None
) -> pd.DataFrame:
    """Pairs (uid_l < uid_r, positions) of a lonely record and any record in the model sharing a loose key,
    in different key clusters, exactly one side in scope when there is a scope; each pair once. In numpy, by sorting, a
    slice of lonely records at a time: a pandas merge and drop_duplicates of the two million pairs at a million
    records raised the peak by 200 MB."""
    n = len(alone)
    found = [np.zeros(0, np.int64)]
    for number, key in enumerate(keys):
        usable = (key >= 0) & in_model & (alone if number >= len(LOOSE_KEYS) else True)
        if not usable.any():
            continue
        sizes = np.bincount(key[usable], minlength=int(key.max()) + 1)
        usable &= sizes[np.maximum(key, 0)] <= MOST_PER_KEY
        members = np.flatnonzero(usable)
        members = members[np.argsort(key[members], kind="stable")]
        blocks = (members, key[members])
        lonely_records = np.flatnonzero(usable & alone)
        for start in range(0, len(lonely_records), LONELY_A_SLICE):
            found.append(_pairs_of(lonely_records[start : start + LONELY_A_SLICE], blocks, key, cluster, scope))
    # Sorted, then each once: numpy 2's np.unique hashes, 7.7 s and 100 MB for the two million pairs at 1M.
    pair = np.concatenate(found)
    del found
    pair.sort()
    pair = pair[np.r_[True, pair[1:] != pair[:-1]]] if len(pair) else pair
    return pd.DataFrame({"uid_l": (pair // n).astype(np.int32), "uid_r": (pair % n).astype(np.int32)})


def _pairs_of(
    left: np.ndarray,
    blocks: tuple[np.ndarray, np.ndarray],
    key: np.ndarray,
    cluster: np.ndarray,
    scope: np.ndarray | None,
) -> np.ndarray:
    """The pairs of the lonely records `left` with the members sharing their key (`blocks`: the members sorted by
    key, and their keys), other key clusters only, each as low * n + high (n records)."""
    members, sorted_keys = blocks
    n = len(key)
    first = np.searchsorted(sorted_keys, key[left], side="left")
    count = np.searchsorted(sorted_keys, key[left], side="right") - first
    a = np.repeat(left, count)
    # Each lonely record against every member of its key's block: the block's start plus 0, 1, ... count - 1.
    b = members[np.repeat(first - (np.cumsum(count) - count), count) + np.arange(len(a))]
    keep = cluster[a] != cluster[b]
    if scope is not None:
        # A submission (scoped): a waiting record and an index row only. Two waiting records are left to the first
        # pass and the national re-link: a council's first return is nearly all lonely records, and pairing them
        # by loose keys took its match from 3.8 to 8.7 CPU-s (docs/linkage-benchmarks.md, sixth pass).
        keep &= (scope[a] == 1) != (scope[b] == 1)
    a, b = a[keep], b[keep]
    return np.minimum(a, b).astype(np.int64) * n + np.maximum(a, b)


# Pairs scored at once: splink's prediction holds the columns it reads of both records of each pair. Each slice is
# a whole splink prediction (its copies of the records the slice's pairs name, their term-frequency joins, its SQL
# again), so larger slices are faster but hold more: at 1M hard records the second look's 1.93M pairs took 8.7 s in
# slices of 250,000 and 5.2 s in slices of a million (the same 741 links); a million took the run's peak to 1.62
# GiB while splink was handed every column of the records. Handed only the columns it reads
# (tfnis.linkage.model._read_by_model), the second look in slices of a million peaks under the first pass
# (docs/linkage-benchmarks.md, fifth pass).
PAIRS_A_SLICE = 1_000_000
# Under a memory limit (the match function, where the index's rows are held beside the model) a quarter of that: a
# 100,000-person submission against a 500,000-row index peaked at 1,201 MB in slices of a million, 1,122 MB in
# slices of 250,000, with the same links (bench/index_bench.py).
PAIRS_A_SLICE_UNDER_A_LIMIT = 250_000


def scored(
    linker: Linker,
    pairs: pd.DataFrame,
    threshold: float,
    first_pass: tuple[list[str], str] | None = None,
    pairs_a_slice: int = PAIRS_A_SLICE,
) -> pd.DataFrame:
    """The pairs scored by the linker's model in its own engine (the records' table, its term frequencies), at or
    above threshold and not vetoed: uid_l, uid_r, match_probability. On DuckDB in slices of pairs_a_slice; Spark
    takes them at once (it spills, and each slice would be a whole job). With `first_pass` (its blocking rules
    and the records' table), pairs one of those rules brings are not scored: the first pass scored them with
    this model and did not link them (a lonely record is in no link), so they would score the same again."""
    size = pairs_a_slice if _on_duckdb(linker) else max(len(pairs), 1)
    found = [
        _scored_slice(linker, pairs.iloc[start : start + size], threshold, first_pass)
        for start in range(0, len(pairs), size)
    ]
    return pd.concat(found, ignore_index=True)


def _on_duckdb(linker: Linker) -> bool:
    from splink import DuckDBAPI

    return isinstance(linker._db_api, DuckDBAPI)


def _scored_slice(
    linker: Linker, pairs: pd.DataFrame, threshold: float, first_pass: tuple[list[str], str] | None
) -> pd.DataFrame:
    from tfnis.linkage.model import scored_blocked_pairs

    with _registered(linker, pairs, "second_look_frame"):
        blocked = linker.misc.query_sql(blocked_sql("second_look_frame", first_pass), output_type="splink_df")
    return scored_blocked_pairs(linker, blocked, threshold)


def blocked_sql(frame: str, first_pass: tuple[list[str], str] | None) -> str:
    """The pairs of `frame` (uid_l, uid_r) as splink's blocked pairs, less those a rule of `first_pass` (its
    blocking rules, the records' table) brings: 11 % of the second look's pairs at a million hard records."""
    sql = f"SELECT '99' AS match_key, p.uid_l AS join_key_l, p.uid_r AS join_key_r FROM {frame} AS p"
    if first_pass is None or not first_pass[0]:
        return sql
    rules, table = first_pass
    # A rule's condition is NULL where a field it compares is blank: not brought by it, so scored.
    brought = " OR ".join(f"coalesce(({rule}), false)" for rule in rules)
    return f"{sql} JOIN {table} AS l ON l.uid = p.uid_l JOIN {table} AS r ON r.uid = p.uid_r WHERE NOT ({brought})"


@contextmanager
def _registered(linker: Linker, pairs: pd.DataFrame, name: str) -> Iterator[None]:
    """The pairs as a table `name` in the linker's own engine, for one query."""
    if _on_duckdb(linker):
        # splink's DuckDB connection (tfnis.linkage.model made it): a frame registered on it needs no pyarrow,
        # where splink's own register would import pyarrow, which the match function does not have.
        con = cast("DuckDBAPI", linker._db_api)._con
        con.register(name, pairs)
        try:
            yield
        finally:
            con.unregister(name)
        return
    # Spark (the national re-link): a temporary view of the session. A query made from it keeps its own plan,
    # so the view can go once the query is made.
    spark = cast("SparkAPI", linker._db_api).spark
    spark.createDataFrame(pairs.astype("int64")).createOrReplaceTempView(name)
    try:
        yield
    finally:
        spark.catalog.dropTempView(name)


class SecondLook:
    """What the second look needs of the records, taken before the engine takes them (uid is the position)."""

    @classmethod
    def of(
        cls, records: pd.DataFrame, codes: KeyCodes, in_model: np.ndarray, *, under_a_limit: bool = False
    ) -> SecondLook | None:
        """The second look for these records, or None where it is not wanted (no household data)."""
        return cls(records, codes, in_model, under_a_limit=under_a_limit) if wanted(records) else None

    def __init__(
        self, records: pd.DataFrame, codes: KeyCodes, in_model: np.ndarray, *, under_a_limit: bool = False
    ) -> None:
        self.pairs_a_slice = PAIRS_A_SLICE_UNDER_A_LIMIT if under_a_limit else PAIRS_A_SLICE
        self.keys = loose_key_codes(codes)
        self.cluster = records["cluster"].to_numpy(dtype=np.int64)
        self.scope = records["scope"].to_numpy() if "scope" in records.columns else None
        self.in_model = np.asarray(in_model, dtype=bool)

    def __call__(
        self, linker: Linker, pairs: pd.DataFrame, threshold: float, first_pass: tuple[list[str], str] | None = None
    ) -> pd.DataFrame:
        """The first pass's pairs and the second look's, for the records the first pass left alone. first_pass:
        its blocking rules and the records' table in the linker's DuckDB, whose pairs are not scored again."""
        alone = lonely(self.cluster, pairs["uid_l"].to_numpy(), pairs["uid_r"].to_numpy())
        more = candidate_pairs(self.keys, alone, self.cluster, self.in_model, self.scope)
        if more.empty:
            return pairs
        return pd.concat([pairs, scored(linker, more, threshold, first_pass, self.pairs_a_slice)], ignore_index=True)
