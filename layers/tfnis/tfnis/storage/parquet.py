"""Parquet bytes ⇄ DataFrame through DuckDB: the Lambda layers carry no pyarrow (250 MB limit), so the same
engine is used everywhere, locally too, and tests run what Lambda runs."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def frame_to_parquet(frame: pd.DataFrame) -> bytes:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="tfnis-pq-") as tmp:
        path = Path(tmp) / "frame.parquet"
        with duckdb.connect() as con:
            con.register("frame", frame)
            con.execute(f"COPY frame TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        return path.read_bytes()


def frame_from_parquet(body: bytes) -> pd.DataFrame:
    import duckdb

    with tempfile.TemporaryDirectory(prefix="tfnis-pq-") as tmp:
        path = Path(tmp) / "frame.parquet"
        path.write_bytes(body)
        with duckdb.connect() as con:
            return con.execute(f"SELECT * FROM read_parquet('{path}')").df()
