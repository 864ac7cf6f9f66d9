"""Validate a council return: read its files, apply every rule, and report — never raise for bad input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tfnis.spec import SPEC_VERSION
from tfnis.validation.checks import (
    check_cells,
    check_families,
    check_header,
    check_individuals,
    check_join,
    check_submission,
)
from tfnis.validation.findings_log import FindingLog
from tfnis.validation.reading import (
    DEFAULT_MAX_XLSX_UNCOMPRESSED_BYTES,
    TABLE_NAMES,
    Table,
    header_name,
    header_row,
    read_csv_table,
    read_workbook,
)
from tfnis.validation.report import ValidationReport, build_report

if TYPE_CHECKING:
    import pandas as pd

_NAME_HINTS = {"families": ("famil",), "individuals": ("individ", "person", "people")}
_HEADER_HINTS = {"individuals": "person_id", "families": "framework"}


# An old Excel (.xls) or a password-protected workbook is an OLE2 compound file.
_OLE2 = b"\xd0\xcf\x11\xe0"


def _is_workbook(path: Path) -> bool:
    if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
        return True
    try:
        with path.open("rb") as stream:
            return path.suffix.lower() != ".csv" and stream.read(4) in (b"PK\x03\x04", _OLE2)
    except OSError:
        return False


def _table_of_csv(path: Path) -> str | None:
    """Which table a CSV holds: by its file name, else by its header row."""
    stem = path.stem.lower()
    for name, hints in _NAME_HINTS.items():
        if any(h in stem for h in hints):
            return name
    try:
        with path.open("rb") as stream:
            head = stream.read(1 << 16).decode("utf-8", errors="replace")
    except OSError:
        return None
    lines = head.replace(";", ",").replace("\t", ",").split("\n")[:20]
    columns = {header_name(c) for c in header_row([line.split(",") for line in lines])}
    for name, marker in _HEADER_HINTS.items():
        if marker in columns:
            return name
    return None


def _read_tables(paths: Sequence[Path], log: FindingLog, max_xlsx_bytes: int) -> dict[str, Table]:
    workbooks = [p for p in paths if _is_workbook(p)]
    if workbooks:
        sheets = {t.name: t for t in read_workbook(workbooks[0], log, max_xlsx_bytes)}
        for extra in [p for p in paths if p != workbooks[0]]:
            log.file_level(extra.name, "TABLE_UNIDENTIFIED", "Send either one workbook or two CSV files, not both.")
        return sheets
    tables: dict[str, Table] = {}
    unplaced: list[Path] = []
    for path in paths:
        if not path.is_file():
            log.file_level(path.name, "FILE_UNREADABLE", "The file does not exist or is not a file.")
            continue
        name = _table_of_csv(path)
        if name is None or name in tables:
            unplaced.append(path)
            continue
        tables[name] = read_csv_table(path, name, log)
    for path in unplaced:
        free = [n for n in TABLE_NAMES if n not in tables]
        if len(free) == 1 and len(unplaced) == 1:
            tables[free[0]] = read_csv_table(path, free[0], log)
        else:
            log.file_level(
                path.name,
                "TABLE_UNIDENTIFIED",
                "Cannot tell whether this file is families or individuals: name it families.csv or individuals.csv.",
            )
    return tables


def validate_return(
    paths: Sequence[Path | str],
    *,
    expected_la_code: str | None = None,
    expected_period_end: dt.date | None = None,
    max_xlsx_uncompressed_bytes: int = DEFAULT_MAX_XLSX_UNCOMPRESSED_BYTES,
) -> ValidationReport:
    """Check a return ([families.csv, individuals.csv] or [RETURN.xlsx]) against the data specification.

    Every problem is a Finding in the report; the report's `families` and `individuals` are the parsed,
    normalised tables (typed columns, trimmed text, codes upper-cased, aliases and extended codes resolved).
    """
    log = FindingLog()
    tables = _read_tables([Path(p) for p in paths], log, max_xlsx_uncompressed_bytes)
    for name in TABLE_NAMES:
        if name not in tables:
            log.file_level(f"{name}.csv", "FILE_MISSING", f"The {name} table was not supplied or not recognised.")

    parsed: dict[str, tuple[Table, pd.DataFrame]] = {}
    for name, table in tables.items():
        frame = check_header(table, log)
        if frame is not None:
            parsed[name] = (table, check_cells(table, frame, log))

    la_code, period_end = check_submission(list(parsed.values()), log, expected_la_code, expected_period_end)
    families_table, families = parsed.get("families", (None, None))
    individuals_table, individuals = parsed.get("individuals", (None, None))
    if families_table is not None and families is not None:
        check_families(families_table, families, log, period_end)
    if individuals_table is not None and individuals is not None:
        check_individuals(individuals_table, individuals, log, period_end)
    if families_table and individuals_table and families is not None and individuals is not None:
        check_join(families_table, families, individuals_table, individuals, log)
    return build_report(
        SPEC_VERSION,
        log,
        la_code=la_code,
        period_end=period_end.date() if period_end is not None else None,
        families=families,
        individuals=individuals,
    )
