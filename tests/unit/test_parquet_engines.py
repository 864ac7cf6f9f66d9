"""Each Lambda has one Parquet engine (template.yaml): DuckDB, or pyarrow in validate. Files written by
either read the same through the other, so a stage never cares which function wrote its input."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from tfnis.storage.parquet import frame_from_parquet, frame_to_parquet

FRAME = pd.DataFrame(
    {
        "record_token": pd.array(["t1", "t2", None], dtype="string"),
        "age": [3, 40, 17],
        "no_fixed_abode": ["Y", None, "N"],
    }
)


def _as_plain(frame: pd.DataFrame) -> list[list[object]]:
    return frame.astype(object).where(frame.notna(), None).to_numpy().tolist()


@pytest.fixture
def without_duckdb(monkeypatch):
    monkeypatch.setitem(sys.modules, "duckdb", None)  # import duckdb now raises ImportError, as in validate


def test_validate_writes_parquet_with_pyarrow_when_there_is_no_duckdb(without_duckdb):
    written = frame_to_parquet(FRAME)
    assert _as_plain(frame_from_parquet(written)) == _as_plain(FRAME)


def test_duckdb_reads_what_pyarrow_wrote(monkeypatch):
    monkeypatch.setitem(sys.modules, "duckdb", None)
    written = frame_to_parquet(FRAME)
    monkeypatch.delitem(sys.modules, "duckdb")
    read = frame_from_parquet(written)
    assert list(read.columns) == list(FRAME.columns)
    assert _as_plain(read) == _as_plain(FRAME)


def test_pyarrow_reads_what_duckdb_wrote(monkeypatch):
    written = frame_to_parquet(FRAME)
    monkeypatch.setitem(sys.modules, "duckdb", None)
    assert _as_plain(frame_from_parquet(written)) == _as_plain(FRAME)
