"""Every table of the research extract is queryable in Athena: template.yaml holds one Glue table per table of the
data package, generated from the column registry, pointing at the folder the writers use, and every column's
Parquet type in the files the writers produce is one Athena reads under the declared Glue type (moto and DuckDB
read anything; Athena refuses e.g. an INT64 file column under an `int` table column with HIVE_BAD_DATA)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from cfnlint.decode import decode_str

from tfnis.panel.columns import PanelType, file_columns, reference_tables, table_folder
from tfnis.panel.glue import athena_tables, glue_table_input, logical_id, template_block
from tfnis.panel.parquet import part_files
from tfnis.pipeline.locations import SubmissionRef
from tfnis.pipeline.match import linkage_quality_parquet

ROOT = Path(__file__).resolve().parents[2]

# Glue type -> the (physical type, converted type) a Parquet column must have for Athena (Trino's Hive reader).
ATHENA_READS = {
    "string": {("BYTE_ARRAY", "UTF8")},
    "boolean": {("BOOLEAN", None)},
    "tinyint": {("INT32", "INT_8")},
    "smallint": {("INT32", "INT_16")},
    "int": {("INT32", None), ("INT32", "INT_32")},
    "bigint": {("INT64", None), ("INT64", "INT_64")},
    "double": {("DOUBLE", None)},
    "date": {("INT32", "DATE")},
}
SAMPLE = {PanelType.BOOLEAN: True, PanelType.INT8: 1, PanelType.INT16: 2, PanelType.INT32: 3,
          PanelType.DATE: date(2024, 3, 31), PanelType.NUMBER: 0.5, PanelType.STRING: "x"}  # fmt: skip


def template_resources() -> dict:
    body, errors = decode_str((ROOT / "template.yaml").read_text(encoding="utf-8"))
    assert not errors, [str(e) for e in errors]
    return json.loads(json.dumps(body))["Resources"]  # cfn-lint's nodes as plain dicts and strings


def test_every_table_of_the_extract_has_a_glue_table_generated_from_the_registry():
    resources = template_resources()
    glue_tables = {k for k, v in resources.items() if v["Type"] == "AWS::Glue::Table"}
    assert glue_tables == {logical_id(t) for t in athena_tables()}
    assert {"families", "individuals", "linkage_quality", *reference_tables()} == set(athena_tables())
    for table in athena_tables():
        written = resources[logical_id(table)]["Properties"]["TableInput"]
        location = written["StorageDescriptor"].pop("Location")
        assert location == {"Fn::Sub": f"s3://${{ResearchBucket}}/extract/{table_folder(table)}/"}
        assert written == glue_table_input(table), "run python -m tfnis.panel.glue"
    assert template_block() in (ROOT / "template.yaml").read_text(), "run python -m tfnis.panel.glue"


def test_reference_tables_live_under_extract_reference():
    assert table_folder("reference_offending") == "reference/offending"
    assert table_folder("reference_education_families") == "reference/education_families"


def one_row(table: str) -> pd.DataFrame:
    row = {c.name: (c.codes[0] if c.codes else "x") if c.type is PanelType.CATEGORY else SAMPLE[c.type]
           for c in file_columns(table)}  # fmt: skip
    return pd.DataFrame([row | {"period_end": date(2024, 3, 31), "la_code": "E08000025"}])


def parquet_types(body: bytes, tmp_path: Path) -> dict[str, tuple[str, str | None]]:
    path = tmp_path / "part.parquet"
    path.write_bytes(body)
    rows = duckdb.sql(f"SELECT name, type, converted_type FROM parquet_schema('{path}') WHERE num_children IS NULL "
                      "OR num_children = 0").fetchall()  # fmt: skip
    return {name: (kind, converted) for name, kind, converted in rows}


def assert_athena_reads(table: str, body: bytes, tmp_path: Path) -> None:
    written = parquet_types(body, tmp_path)
    for column in glue_table_input(table)["StorageDescriptor"]["Columns"]:
        assert written[column["Name"]] in ATHENA_READS[column["Type"]], (table, column["Name"], written[column["Name"]])
    assert set(written) == {c["Name"] for c in glue_table_input(table)["StorageDescriptor"]["Columns"]}


@pytest.mark.parametrize("table", [t for t in athena_tables() if t != "linkage_quality"])
def test_the_panel_and_reference_part_files_have_the_parquet_types_athena_reads(table, tmp_path):
    parts = part_files(one_row(table), table)
    assert list(parts) == [f"{table}/period_end=2024-03-31/la_code=E08000025/part-0.parquet"]
    assert_athena_reads(table, next(iter(parts.values())), tmp_path)


def test_the_linkage_quality_file_has_the_parquet_types_athena_reads(tmp_path):
    from tfnis.linkage.quality import QUALITY_COLUMNS

    ref = SubmissionRef(la_code="E08000025", period_end=date(2024, 3, 31), submission_id="s-1")
    quality = {c: (0.25 if c.endswith(("rate", "share", "threshold", "matches")) else 7) for c in QUALITY_COLUMNS}
    assert_athena_reads("linkage_quality", linkage_quality_parquet(ref, quality), tmp_path)
