"""The research panel: every staged period of every council made into one family × period panel (and its
individuals), with disclosure control across periods and households, its data package and its layout.

Two steps (docs/research.md, docs/disclosure.md "Across periods"): the anonymise stage stages each
submission's per-period extract where researchers cannot read it (ResearchBucket staging/); the release
(`release_panel`) reads every staged period, derives the panel (tfnis.panel.derive), protects it across
periods (tfnis.panel.protect) and returns the part files the pipeline writes under extract/<table>/.
Domain code only: pandas, numpy and DuckDB, no AWS.
"""

from __future__ import annotations

from tfnis.panel.columns import PARTITIONS, TABLES, file_columns, panel_columns

__all__ = ["PARTITIONS", "TABLES", "file_columns", "panel_columns", "part_key"]


def part_key(table: str, period_end: str, la_code: str) -> str:
    """extract/<table>/period_end=YYYY-MM-DD/la_code=E…/part-0.parquet in ResearchBucket."""
    return f"extract/{table}/period_end={period_end}/la_code={la_code}/part-0.parquet"
