"""Parquet bytes ⇄ DataFrame through DuckDB wherever the function has it (coverage, match, anonymise, and
locally). Validate's Lambda carries pyarrow instead of DuckDB: tfnis.validation is built on pyarrow, and
the two engines beside pandas exceed Lambda's 250 MB (template.yaml, docs/deploy.md), so there pyarrow
writes the same Parquet. Lambda has no engine for DataFrame.to_parquet otherwise: Parquet stays here."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


def _duckdb() -> ModuleType | None:
    try:
        import duckdb
    except ImportError:  # validate's Lambda: pyarrow, no DuckDB
        return None
    return duckdb


def frame_to_parquet(frame: pd.DataFrame) -> bytes:
    duckdb = _duckdb()
    if duckdb is None:
        buffer = io.BytesIO()
        frame.to_parquet(buffer, engine="pyarrow", compression="zstd", index=False)
        return buffer.getvalue()
    with tempfile.TemporaryDirectory(prefix="tfnis-pq-") as tmp:
        path = Path(tmp) / "frame.parquet"
        with duckdb.connect() as con:
            con.register("frame", frame)
            con.execute(f"COPY frame TO '{path}' (FORMAT parquet, COMPRESSION zstd)")
        return path.read_bytes()


def frame_from_parquet(body: bytes) -> pd.DataFrame:
    duckdb = _duckdb()
    if duckdb is None:
        import pandas as pd

        return pd.read_parquet(io.BytesIO(body), engine="pyarrow")
    with tempfile.TemporaryDirectory(prefix="tfnis-pq-") as tmp:
        path = Path(tmp) / "frame.parquet"
        path.write_bytes(body)
        with duckdb.connect() as con:
            return con.execute(f"SELECT * FROM read_parquet('{path}')").df()
