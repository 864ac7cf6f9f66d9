"""The Arrow schema each part file carries (the 'ARROW:schema' key pyarrow itself writes), so pandas and pyarrow
read code columns as categories (dictionary-encoded) and counts as nullable integers without a float detour.

DuckDB writes the files and there is no pyarrow in Lambda, so the serialised schemas are generated here, with
pyarrow, from the column registry (`python -m tfnis.panel.arrow_schema`) and shipped as arrow_schemas.json;
tests/unit/test_panel_datapackage.py keeps the file in step with the registry.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from tfnis.panel.columns import TABLES, PanelType, file_columns, reference_tables

SCHEMAS_PATH = Path(__file__).with_name("arrow_schemas.json")
AREAS = ("", "postcode_district", "lsoa")


def generated() -> dict[str, str]:
    """Every table's and area's serialised Arrow schema, base64 (needs pyarrow: a development step)."""
    import base64

    import pyarrow as pa

    from tfnis.panel.parquet import pandas_metadata

    types = {
        PanelType.STRING: pa.string(),
        PanelType.CATEGORY: pa.dictionary(pa.int32(), pa.string()),
        PanelType.BOOLEAN: pa.bool_(),
        PanelType.INT8: pa.int8(),
        PanelType.INT16: pa.int16(),
        PanelType.INT32: pa.int32(),
        PanelType.DATE: pa.date32(),
    }
    out = {}
    for table, area in [(t, a) for t in TABLES for a in AREAS] + [(t, "") for t in reference_tables()]:
        columns = file_columns(table, area)
        schema = pa.schema([(c.name, types[c.type]) for c in columns], metadata={"pandas": pandas_metadata(columns)})
        out[f"{table}:{area}"] = base64.b64encode(schema.serialize().to_pybytes()).decode()
    return out


@cache
def arrow_schema(table: str, area: str = "") -> str:
    """The base64 Arrow schema of a table's part files, as stored."""
    return str(json.loads(SCHEMAS_PATH.read_text())[f"{table}:{area}"])


if __name__ == "__main__":
    SCHEMAS_PATH.write_text(json.dumps(generated(), indent=1) + "\n")
    print(f"wrote {SCHEMAS_PATH}")
