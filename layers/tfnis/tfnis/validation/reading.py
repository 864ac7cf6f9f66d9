"""Reading the files of a return — two CSVs or one XLSX — into string tables, whatever arrives.

Every problem with the bytes themselves (unreadable, empty, not UTF-8, wrong delimiter, ragged rows, not a
workbook, a zip bomb) becomes a finding; nothing here raises for bad input. Tables come back with every
cell as a string (Arrow-backed) and the frame's index set to the data-row number (1 = first data row), so
every later check can cite rows without carrying a second array around.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tfnis.spec.columns import TABLES
from tfnis.validation.findings_log import FindingLog

if TYPE_CHECKING:
    import pandas as pd

TABLE_NAMES = ("families", "individuals")
# ~100 bytes of sheet XML per cell: 256 MiB is ~100k people with room to spare. The reader holds a Python object
# for every cell, so a workbook much bigger than this would not fit a validate Lambda: send CSVs instead.
DEFAULT_MAX_XLSX_UNCOMPRESSED_BYTES = 256 << 20
_HEAD_BYTES = 1 << 16
_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}


@dataclass
class Table:
    """One table of a return as read: `frame` is None when the file could not be read at all."""

    name: str  # families | individuals
    file: str  # how findings name the file: 'families.csv', or 'RETURN.xlsx[families]'
    frame: pd.DataFrame | None = None
    header: list[str] = field(default_factory=list)  # normalised names, in file order, duplicates kept


_CANONICAL = {c.name.lower(): c.name for columns in TABLES.values() for c in columns}


def header_name(raw: object) -> str:
    """A header cell as its specification name: matched trimmed and case-insensitively (Excel users retype
    headers); an unknown name comes back trimmed, as written."""
    name = str(raw if raw is not None else "").replace("\ufeff", "").strip()
    return _CANONICAL.get(name.lower(), name)


# --- CSV ----------------------------------------------------------------------------------------------------
def _head_is_utf8(head: bytes) -> bool:
    """The first block decodes as UTF-8 (a character cut at the block's end is allowed)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3 and len(head) == _HEAD_BYTES
    return True


def _non_utf8_encoding(path: Path, head: bytes, log: FindingLog, file: str) -> str:
    """Say what a file that is not UTF-8 is, and the encoding to read it with to check the rest."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        log.file_level(file, "NOT_UTF8", "The file is UTF-16 ('Unicode text'); save it as 'CSV UTF-8'.")
        return "utf-16"
    try:
        path.read_bytes().decode("cp1252")
    except UnicodeDecodeError:
        log.file_level(
            file, "NOT_UTF8", "The file is not UTF-8 and not Windows-1252; save it as 'CSV UTF-8' and re-send."
        )
        return "latin-1"
    log.file_level(
        file,
        "NOT_UTF8",
        "The file is Windows-1252 (cp1252), as Excel saves 'CSV (Comma delimited)'; "
        "save it as 'CSV UTF-8 (Comma delimited)' instead. It was read as Windows-1252 to check the rest.",
    )
    return "cp1252"


def _header_and_delimiter(head_text: str, log: FindingLog, file: str) -> tuple[list[str], str]:
    first_line = head_text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        found = max(_DELIMITERS, key=first_line.count)
        if first_line.count(found):
            delimiter = found
            log.file_level(
                file,
                "WRONG_DELIMITER",
                f"The columns are separated by {_DELIMITERS[found]}, not commas; save the file as "
                "'CSV UTF-8 (Comma delimited)'. It was read with that separator to check the rest.",
            )
    try:
        row = next(csv.reader(io.StringIO(head_text), delimiter=delimiter), [])
    except csv.Error:
        row = first_line.split(delimiter)
    return [header_name(name) for name in row], delimiter


def _ragged_record_numbers(source: Path | bytes, encoding: str, delimiter: str, width: int) -> list[int]:
    """Data-row numbers whose field count differs from the header's (only run when Arrow saw some)."""
    text = (
        io.TextIOWrapper(io.BytesIO(source), encoding=encoding, newline="")
        if isinstance(source, bytes)
        else source.open(encoding=encoding, errors="replace", newline="")
    )
    ragged: list[int] = []
    with text:
        reader = csv.reader(text, delimiter=delimiter)
        next(reader, None)
        number = 0
        for record in reader:
            if not record:  # blank line: Arrow skips these too
                continue
            number += 1
            if len(record) != width:
                ragged.append(number)
    return ragged


def read_csv_table(path: Path, name: str, log: FindingLog) -> Table:
    """Read one CSV table: all cells as strings, the index the data-row number."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pacsv

    file = path.name
    table = Table(name, file)
    try:
        with path.open("rb") as stream:
            head = stream.read(_HEAD_BYTES)
    except OSError as error:
        log.file_level(file, "FILE_UNREADABLE", f"The file cannot be opened ({error.strerror or 'not a file'}).")
        return table
    if not head.strip(b"\xef\xbb\xbf \t\r\n"):
        log.file_level(file, "FILE_EMPTY", "The file is empty: it needs a header row and one row per record.")
        return table

    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        log.file_level(
            file, "NOT_UTF8", "The file is not text (it looks like a binary file); export the table as 'CSV UTF-8'."
        )
        return table
    # Fast path: Arrow checks UTF-8 as it parses; only a file that fails is decoded again to say what it is.
    encoding = "utf-8"
    source: Path | bytes = path
    if not _head_is_utf8(head):
        encoding = _non_utf8_encoding(path, head, log, file)
    header, delimiter = _header_and_delimiter(head.decode(encoding, errors="replace").lstrip("\ufeff"), log, file)
    table.header = header
    if encoding != "utf-8":  # Arrow reads UTF-8 only: transcode in memory (rejected anyway; rare)
        source = path.read_bytes().decode(encoding, errors="replace").lstrip("\ufeff").encode("utf-8")

    skipped = 0

    def skip_ragged(_row) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    def parse(source: Path | bytes):
        positional = [f"c{i}" for i in range(len(header))]
        return pacsv.read_csv(
            io.BytesIO(source) if isinstance(source, bytes) else str(source),
            read_options=pacsv.ReadOptions(column_names=positional, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=skip_ragged
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(positional, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    try:
        try:
            arrow_table = parse(source)
        except pa.ArrowInvalid as error:
            if "utf8" not in str(error).lower() or encoding != "utf-8":
                raise
            encoding = _non_utf8_encoding(path, head, log, file)
            source = path.read_bytes().decode(encoding, errors="replace").lstrip("\ufeff").encode("utf-8")
            skipped = 0
            arrow_table = parse(source)
    except (pa.ArrowException, OSError, ValueError) as error:
        message = "The file could not be read as CSV"
        if "straddling" in str(error) or "quote" in str(error).lower():
            message += " (a quoted value is never closed)"
        log.file_level(file, "RAGGED_ROW", message + ".")
        return table

    rows = np.arange(1, arrow_table.num_rows + 1, dtype=np.int64)
    if skipped:
        ragged = _ragged_record_numbers(source, "utf-8", delimiter, len(header))
        log.at_rows(
            file,
            "RAGGED_ROW",
            None,
            np.asarray(ragged, dtype=np.int64),
            f"The row does not have {len(header)} fields like the header row (a stray or missing separator, "
            "or an unclosed quote); it was not checked further.",
        )
        kept = np.setdiff1d(np.arange(1, arrow_table.num_rows + len(ragged) + 1), ragged)
        rows = kept[: arrow_table.num_rows] if len(kept) >= arrow_table.num_rows else rows
    frame = arrow_table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
    frame.columns = header
    frame.index = pd.Index(rows, name="row")
    table.frame = frame
    return table


# --- XLSX ---------------------------------------------------------------------------------------------------
def _cell_text(value: object) -> str:
    """Excel cells as the text a council would have typed: dates ISO, whole floats without '.0'."""
    import datetime as dt

    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _workbook_refused(path: Path, log: FindingLog, max_uncompressed_bytes: int) -> bool:
    """Check the zip directory before any XML is parsed: not a zip, not a workbook, or a zip bomb."""
    file = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except OSError as error:
        log.file_level(file, "FILE_UNREADABLE", f"The file cannot be opened ({error.strerror or 'not a file'}).")
        return True
    except (zipfile.BadZipFile, ValueError, EOFError):
        log.file_level(
            file,
            "XLSX_NOT_WORKBOOK",
            "The file is not an Excel .xlsx workbook (it may be an old .xls, a CSV renamed, or password-protected).",
        )
        return True
    names = {m.filename for m in members}
    if "xl/workbook.xml" not in names:
        log.file_level(file, "XLSX_NOT_WORKBOOK", "The file is a zip archive but not an Excel .xlsx workbook.")
        return True
    uncompressed = sum(m.file_size for m in members)
    if uncompressed > max_uncompressed_bytes:
        log.file_level(
            file,
            "XLSX_TOO_LARGE",
            f"The workbook expands to {uncompressed // (1 << 20):,} MiB, more than the "
            f"{max_uncompressed_bytes // (1 << 20):,} MiB allowed; it was not opened. Send two CSV files instead.",
        )
        return True
    return False


def read_workbook(path: Path, log: FindingLog, max_uncompressed_bytes: int) -> list[Table]:
    """Read sheets 'families' and 'individuals' of an .xlsx return (names matched case-insensitively).

    python-calamine (Rust) reads the cells' values — for a formula, its last computed value, never the
    formula — about twenty times faster than openpyxl.
    """
    import numpy as np
    import pandas as pd

    if _workbook_refused(path, log, max_uncompressed_bytes):
        return [Table(name, f"{path.name}[{name}]") for name in TABLE_NAMES]
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        sheet_names = list(workbook.sheet_names)
    except Exception:  # calamine raises several types for a damaged workbook; all mean the same to a council
        log.file_level(path.name, "XLSX_NOT_WORKBOOK", "The workbook is damaged and cannot be read.")
        return [Table(name, f"{path.name}[{name}]") for name in TABLE_NAMES]

    tables: list[Table] = []
    sheets = {str(title).strip().lower(): title for title in sheet_names}
    for name in TABLE_NAMES:
        table = Table(name, f"{path.name}[{name}]")
        tables.append(table)
        if name not in sheets:
            log.file_level(
                path.name,
                "XLSX_MISSING_SHEET",
                f"The workbook has no sheet named '{name}' (it has {len(sheets)} sheet(s)).",
            )
            continue
        try:
            rows = workbook.get_sheet_by_name(sheets[name]).to_python(skip_empty_area=False)
        except Exception:
            log.file_level(table.file, "XLSX_NOT_WORKBOOK", "The sheet is damaged and cannot be read.")
            continue
        if not rows or all(v in (None, "") for v in rows[0]):
            log.file_level(table.file, "FILE_EMPTY", "The sheet is empty: it needs a header row.")
            continue
        header = [header_name(v) for v in rows[0]]
        while header and header[-1] == "":
            header.pop()
        width = len(header)
        body = [(i, r) for i, r in enumerate(rows[1:], start=1) if any(v not in (None, "") for v in r)]
        frame = pd.DataFrame(
            {
                j: pd.array([_cell_text(r[j]) if j < len(r) else "" for _, r in body], dtype=pd.StringDtype("pyarrow"))
                for j in range(width)
            },
            index=pd.Index(np.asarray([i for i, _ in body], dtype=np.int64), name="row"),
        )
        overflow = [i for i, r in body if any(v not in (None, "") for v in r[width:])]
        log.at_rows(
            table.file,
            "RAGGED_ROW",
            None,
            np.asarray(overflow, dtype=np.int64),
            "The row has values to the right of the last named column.",
        )
        frame.columns = header
        table.header, table.frame = header, frame
    return tables
