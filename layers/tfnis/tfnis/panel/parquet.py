"""Part files of the panel: Parquet written by DuckDB (no pyarrow in Lambda) in the registry's types.

Codes are DuckDB ENUMs (dictionary-encoded strings in Parquet), counts SMALLINT/TINYINT, flags BOOLEAN, and
the file carries the metadata pyarrow itself writes (its Arrow schema, tfnis.panel.arrow_schema, and pandas
metadata), so `pd.read_parquet` gives categories, Int16, Int8 and boolean columns with <NA> rather than objects
and floats. The partition columns are never inside a file.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tfnis.panel.arrow_schema import arrow_schema
from tfnis.panel.columns import SQL_TYPES, PanelColumn, PanelType, file_columns

if TYPE_CHECKING:
    import pandas as pd

_PANDAS_TYPES = {  # (pandas_type, numpy_type) in pyarrow's pandas metadata
    PanelType.STRING: ("unicode", "object"),
    PanelType.CATEGORY: ("unicode", "object"),
    PanelType.BOOLEAN: ("bool", "boolean"),
    PanelType.INT8: ("int8", "Int8"),
    PanelType.INT16: ("int16", "Int16"),
    PanelType.INT32: ("int32", "Int32"),
    PanelType.DATE: ("date", "object"),
}


def pandas_metadata(columns: tuple[PanelColumn, ...]) -> str:
    """The 'pandas' key-value metadata pyarrow writes, naming the nullable extension dtypes of each column."""
    return json.dumps(
        {
            "index_columns": [],
            "column_indexes": [],
            "columns": [
                {
                    "name": c.name,
                    "field_name": c.name,
                    "pandas_type": _PANDAS_TYPES[c.type][0],
                    "numpy_type": _PANDAS_TYPES[c.type][1],
                    "metadata": None,
                }
                for c in columns
            ],
            "attributes": {},
            "creator": {"library": "tfnis", "version": "1"},
        }
    )


def _sql_type(column: PanelColumn) -> str:
    """VARCHAR for codes too: DuckDB dictionary-encodes them per file (its ENUMs, written by PARTITION_BY, keep
    the indices of the whole ENUM in each file's smaller dictionary, which pyarrow cannot read as categories)."""
    return SQL_TYPES[column.type]


def part_files(frame: pd.DataFrame, table: str, area: str = "") -> dict[str, bytes]:
    """Every partition's rows as <table>/period_end=…/la_code=…/part-0.parquet → Parquet bytes, typed by the
    registry, the partition columns in the directory names only. One DuckDB COPY … PARTITION_BY per table (a
    connection and a COPY per partition cost about 0.2 s each); rows keep the frame's order within a file."""
    import tempfile
    from pathlib import Path

    import duckdb

    columns = file_columns(table, area)
    data = frame[[*(c.name for c in columns), "period_end", "la_code"]].copy()
    for c in columns:
        if c.type is PanelType.CATEGORY or c.type is PanelType.STRING:
            data[c.name] = data[c.name].astype(object).where(data[c.name].notna(), None)
    data["la_code"] = data["la_code"].astype(str)
    select = ", ".join(f'CAST("{c.name}" AS {_sql_type(c)}) AS "{c.name}"' for c in columns)
    metadata = pandas_metadata(columns).replace("'", "''")
    with tempfile.TemporaryDirectory(prefix="tfnis-panel-") as tmp, duckdb.connect() as con:
        root = Path(tmp) / table
        con.register("part", data)
        con.execute("SET preserve_insertion_order = true")
        con.execute(
            f"COPY (SELECT {select}, CAST(period_end AS DATE) AS period_end, la_code FROM part) TO '{root}' "
            f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (period_end, la_code), FILENAME_PATTERN 'part-{{i}}', "
            f"KV_METADATA {{pandas: '{metadata}', 'ARROW:schema': '{arrow_schema(table, area)}'}})"
        )
        return {path.relative_to(tmp).as_posix(): path.read_bytes() for path in sorted(root.rglob("*.parquet"))}
