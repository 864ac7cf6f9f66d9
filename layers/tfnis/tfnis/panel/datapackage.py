"""The panel described: a Frictionless data package (datapackage.json at the extract root, a Table Schema per
table) and docs/research/data-dictionary.md, both generated from the column registry (tfnis.panel.columns).

`python -m tfnis.panel.datapackage` rewrites the data dictionary; tests/unit/test_panel_datapackage.py keeps it in
step with the registry and validates a written datapackage.json with the frictionless library.
"""

from __future__ import annotations

from typing import Any

from tfnis.panel.columns import (
    EXTRA_TABLES,
    TABLES,
    PanelColumn,
    PanelType,
    panel_columns,
    reference_tables,
    table_folder,
)

FRICTIONLESS_TYPES = {
    PanelType.STRING: "string",
    PanelType.CATEGORY: "string",
    PanelType.BOOLEAN: "boolean",
    PanelType.INT8: "integer",
    PanelType.INT16: "integer",
    PanelType.INT32: "integer",
    PanelType.DATE: "date",
    PanelType.NUMBER: "number",
}
TABLE_DESCRIPTIONS = {
    "families": "One row per family and period (and council, after a move): the family outcomes of the study.",
    "individuals": "One row per person and period: the individual outcomes, linked to families by family_key.",
    "linkage_quality": "One row per submission: how well it linked (match rate, rule mix, estimated false- and "
    "missed-match rates). Counts and rates only.",
}
DICTIONARY_PATH = "docs/research/data-dictionary.md"


def described_tables() -> tuple[str, ...]:
    """Every table the data package can describe: the panel's, the extra ones, the reference outcomes'."""
    return (*TABLES, *EXTRA_TABLES, *reference_tables())


def table_description(table: str) -> str:
    """A table's one-line description (reference tables: from their dataset's contract)."""
    if table not in reference_tables():
        return TABLE_DESCRIPTIONS.get(table, "")
    from tfnis.reference import contract

    families = table.endswith("_families")
    terms = contract(table.removeprefix("reference_").removesuffix("_families") if families else table[10:])
    if families:
        return (f"{terms.title}, summed per family and period over its matched persons (families of the released "
                f"panel only). Period: {terms.period}.")  # fmt: skip
    return (f"{terms.title}: one row per matched person and period, people released in the panel in that period "
            f"only ({terms.source}). Period: {terms.period}.")  # fmt: skip


def field(column: PanelColumn) -> dict[str, Any]:
    """One Table Schema field: type, description, codes (enum), pattern and unit; partitions say so."""
    out: dict[str, Any] = {
        "name": column.name,
        "type": FRICTIONLESS_TYPES[column.type],
        "description": column.description,
    }
    if column.type is PanelType.INT8 or column.type is PanelType.INT16 or column.type is PanelType.INT32:
        bits = {PanelType.INT8: 8, PanelType.INT16: 16, PanelType.INT32: 32}[column.type]
        out["constraints"] = {"minimum": -(2 ** (bits - 1)), "maximum": 2 ** (bits - 1) - 1}
    if column.codes:
        out["constraints"] = {"enum": list(column.codes)}
    if column.pattern:
        out["constraints"] = {"pattern": column.pattern.removeprefix("^").removesuffix("$")}
    if column.unit:
        out["unit"] = column.unit
    if column.partition:
        out["partition"] = True  # a directory name (…/period_end=…/la_code=…/), not a column inside the files
    return out


def table_schema(table: str, area: str = "") -> dict[str, Any]:
    return {"fields": [field(c) for c in panel_columns(table, area)], "missingValues": [""]}


def datapackage(part_keys: list[str], area: str = "", extra: list[str] | None = None) -> dict[str, Any]:
    """The data package of the extract: a resource per table present, its part files as paths relative to the
    extract root, and its Table Schema. `extra` lists other keys under extract/ (a linkage_quality table)."""
    keys = sorted({*part_keys, *(extra or [])})
    resources = []
    for table in described_tables():
        folder = table_folder(table)
        paths = [
            k.removeprefix("extract/") for k in keys if k.startswith(f"extract/{folder}/") and k.endswith(".parquet")
        ]
        if not paths:
            continue
        resources.append(
            {
                "name": table,
                "description": table_description(table),
                "path": paths,
                "format": "parquet",
                "mediatype": "application/vnd.apache.parquet",
                "scheme": "file",
                "schema": table_schema(table, area),
            }
        )
    return {
        "name": "tfnis-research-panel",
        "title": "Troubled Families National Impact Study: research panel",
        "description": (
            "Pseudonymised personal data, protected by disclosure control across periods (risk/panel.json). "
            "Hive-partitioned Parquet: <table>/period_end=YYYY-MM-DD/la_code=E…/part-0.parquet; the matched "
            "outcomes of national reference datasets under reference/<dataset>/ (risk/reference.json)."
        ),
        "resources": resources,
    }


def data_dictionary(area: str = "") -> str:
    """docs/research/data-dictionary.md: every column of every table, from the registry."""
    lines = [
        "# Data dictionary of the research panel",
        "",
        "Generated from `tfnis.panel.columns` by `python -m tfnis.panel.datapackage` (do not edit by hand; "
        "`tests/unit/test_panel_datapackage.py` keeps it in step). The same registry writes `datapackage.json` at "
        "the extract root. Partition columns are directory names, not columns inside the files.",
    ]
    for table in described_tables():
        folder = "" if table_folder(table) == table else f" (`extract/{table_folder(table)}/`)"
        lines += ["", f"## {table}{folder}", "", table_description(table), ""]
        lines += ["| column | type | description | codes | unit |", "|---|---|---|---|---|"]
        for c in panel_columns(table, area):
            codes = ", ".join(f"`{code}`" for code in c.codes) or (f"pattern `{c.pattern}`" if c.pattern else "")
            kind = c.type.value + (" (partition)" if c.partition else "")
            row = f"`{c.name}` | {kind} | {c.description} | {codes} | {c.unit or ''}"
            lines.append("| " + row.replace("|", "\\|").replace(" \\| ", " | ") + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from pathlib import Path

    Path(DICTIONARY_PATH).write_text(data_dictionary())
    print(f"wrote {DICTIONARY_PATH}")
