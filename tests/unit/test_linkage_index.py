"""The linkage index as Parquet files (tfnis.linkage.index): matching against the rows DuckDB picks out gives
the answers matching against the whole index in memory gives, and a replay adds nothing."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
import pytest

from tfnis.generate import generate_frames
from tfnis.linkage import match_submission
from tfnis.linkage.index import ParquetIndex, write_parquet
from tfnis.linkage.match_keys import key_parts

IDENTIFIERS = ["la_code", "period_end", "family_id", "person_id", "forename", "middle_names", "surname"]
IDENTIFIERS += ["date_of_birth", "sex", "postcode", "nino", "upn", "nhs_number"]
SAMPLE = 250  # far below the index's size, so the candidate rows, not the whole index, are read


def counter_keys():
    numbers = itertools.count()
    return lambda: f"k{next(numbers):06d}"


@pytest.fixture(scope="module")
def submissions() -> list[pd.DataFrame]:
    frames = generate_frames(councils=2, families=90, periods=3, seed=5, error_rate=0.02)
    people = frames.individuals[IDENTIFIERS].copy()
    people.insert(0, "record_token", [f"r{i}" for i in range(len(people))])
    return [s.reset_index(drop=True) for _, s in people.groupby(["period_end", "la_code"], sort=True)]


@pytest.fixture(scope="module")
def both_ways(submissions, tmp_path_factory) -> dict[str, object]:
    in_memory, index, new_key = [], None, counter_keys()
    for submission in submissions:
        result = match_submission(submission, index, new_key=new_key, index_sample=SAMPLE)
        index = result.index
        in_memory.append(result.key_map)
    directory: Path = tmp_path_factory.mktemp("index")
    on_disk, paths, new_key = [], [], counter_keys()
    for i, submission in enumerate(submissions):
        parquet = ParquetIndex(tuple(paths), memory_limit="320MB") if paths else None
        result = match_submission(submission, parquet, new_key=new_key, index_sample=SAMPLE)
        if len(result.new_rows):
            paths.append(write_parquet(result.new_rows, directory / f"segment-{i}.parquet"))
        on_disk.append(result.key_map)
    return {"in_memory": in_memory, "on_disk": on_disk, "index": index, "paths": tuple(paths)}


def test_matching_against_parquet_segments_gives_the_whole_index_answers(both_ways):
    assert len(both_ways["on_disk"]) == 6
    for disk, memory in zip(both_ways["on_disk"], both_ways["in_memory"], strict=True):
        pd.testing.assert_frame_equal(disk, memory)


def test_the_segments_hold_the_same_rows_as_the_index_in_memory(both_ways):
    parquet = ParquetIndex(both_ways["paths"])
    assert parquet.size() == len(both_ways["index"]) > 4 * SAMPLE


def test_a_replay_against_the_segments_adds_no_row_and_keeps_every_key(submissions, both_ways):
    last = submissions[-1]
    again = match_submission(last, ParquetIndex(both_ways["paths"]), index_sample=SAMPLE)
    assert len(again.new_rows) == 0
    assert again.key_map["person_key"].equals(both_ways["on_disk"][-1]["person_key"])
    assert again.key_map["family_key"].equals(both_ways["on_disk"][-1]["family_key"])


def test_the_sql_key_parts_are_the_pandas_ones(tmp_path):
    import duckdb

    from tfnis.linkage.index import _part

    frame = pd.DataFrame({"forename": ["ann", None, "bo"], "dob": ["2010-12-03", "1999-01-02", None]}, dtype="string")
    with duckdb.connect() as con:
        con.register("t", frame)
        got = con.execute(f"SELECT {_part('t', 'dob_unordered')} AS u, {_part('t', 'forename_initial')} AS i FROM t")
        sql = got.df()
    expected = key_parts(frame)
    assert sql["u"].tolist()[:2] == expected["dob_unordered"].tolist()[:2] and pd.isna(sql["u"][2])
    assert sql["i"][0] == "a" and pd.isna(sql["i"][1])


def test_compacted_segments_hold_the_same_rows_and_give_the_same_key_maps(submissions, both_ways, tmp_path):
    segments = ParquetIndex(both_ways["paths"])
    merged = ParquetIndex((segments.compact(tmp_path / "compacted.parquet"),))
    assert merged.size() == segments.size() and len(segments.paths) > 1
    for submission in submissions[-2:]:
        before = match_submission(submission, segments, new_key=counter_keys(), index_sample=SAMPLE)
        after = match_submission(submission, merged, new_key=counter_keys(), index_sample=SAMPLE)
        pd.testing.assert_frame_equal(after.key_map, before.key_map)


def test_the_broad_name_lookup_finds_only_rows_whose_dates_of_birth_could_agree(tmp_path):
    from tfnis.linkage.incremental import INDEX_COLUMNS
    from tfnis.linkage.index import SAMPLED

    dates = {"k_same_year": "1990-01-01", "k_same_day": "1985-05-05", "k_no_date": None, "k_other": "1970-02-02"}
    index = pd.DataFrame({c: pd.Series([None] * len(dates), dtype="string") for c in INDEX_COLUMNS})
    index = index.assign(person_key=list(dates), forename="jack", surname="smith", dob=list(dates.values()))
    path = write_parquet(
        pd.concat([index] * 2, ignore_index=True).assign(la_code=["a"] * 4 + ["b"] * 4), tmp_path / "i"
    )
    mine = pd.DataFrame(
        {"forename": ["jack"], "surname": ["smith"], "dob": ["1990-05-05"], "sex": ["M"]}, dtype="string"
    )
    looked_up = ParquetIndex((path,)).rows_for(mine, INDEX_COLUMNS, sample=1, dates_must_agree=True)
    # Each person has two rows; one row at most was drawn at random, so a person looked up has one row not drawn.
    assert set(looked_up.loc[~looked_up[SAMPLED], "person_key"]) == {"k_same_year", "k_same_day", "k_no_date"}
    anyway = ParquetIndex((path,)).rows_for(mine, INDEX_COLUMNS, sample=1, dates_must_agree=False)
    assert set(anyway["person_key"]) == set(dates)


def test_the_lookup_finds_swapped_names_at_one_postcode_or_one_date_of_birth(tmp_path):
    from tfnis.linkage.incremental import INDEX_COLUMNS
    from tfnis.linkage.index import SAMPLED

    # Index rows sharing nothing with the submission's record but swapped names at its postcode or its date.
    rows = {
        "k_postcode": ("smith", "jack", "1970-02-02", "ab1 2cd"),
        "k_dob": ("smith", "jack", "1990-05-05", "zz9 9zz"),
        "k_other": ("smith", "jack", "1970-02-02", "zz9 9zz"),
    }
    index = pd.DataFrame({c: pd.Series([None] * len(rows), dtype="string") for c in INDEX_COLUMNS})
    index = index.assign(person_key=list(rows), la_code="a")
    index[["forename", "surname", "dob", "postcode"]] = list(rows.values())
    path = write_parquet(
        pd.concat([index] * 4, ignore_index=True).assign(person_id=[str(i) for i in range(12)]), tmp_path / "i"
    )
    mine = pd.DataFrame(
        {"forename": ["jack"], "surname": ["smith"], "dob": ["1990-05-05"], "postcode": ["ab1 2cd"]}, dtype="string"
    )
    looked_up = ParquetIndex((path,)).rows_for(mine, INDEX_COLUMNS, sample=1)
    assert set(looked_up.loc[~looked_up[SAMPLED], "person_key"]) == {"k_postcode", "k_dob"}


_FREED_MEMORY_PROBE = """
from pathlib import Path
import numpy as np
from tfnis.linkage.index import release_freed_memory

def resident_mb():
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024

freed = np.ones(4_000_000 // 8)  # a block mapped on its own and freed: glibc's threshold rises past 2 MB
del freed
before = resident_mb()
large, small = [], []
for _ in range(200):
    large.append(np.ones(250_000))  # 2 MB each, from the heap now
    small.append(np.ones(2_000))  # kept between them: the heap's top never frees by itself
del large
kept = resident_mb() - before
release_freed_memory()
print(kept, resident_mb() - before)
"""


def test_freed_memory_goes_back_to_the_system_not_kept_by_the_process():
    """release_freed_memory (glibc's malloc_trim, as on Lambda): blocks freed inside the C heap (the lookup's
    fetched chunks) stay resident until trimmed. 400 MB of 2 MB arrays freed between small live ones, in a fresh
    interpreter's main thread (a test worker's heap holds whatever earlier tests freed)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _FREED_MEMORY_PROBE], capture_output=True, text=True, check=True)
    kept, after = (float(x) for x in done.stdout.split())
    assert kept > 300  # freed, but still resident
    assert after < 100
