"""Reading the files of a return — two CSVs or one XLSX — into string tables, whatever arrives.

Every problem with the bytes themselves (unreadable, empty, not UTF-8, wrong delimiter, ragged rows, not a
workbook, a zip bomb) becomes a finding; nothing here raises for bad input. Tables come back with every
cell as a string (Arrow-backed) and the frame's index set to the row number as the spreadsheet shows it
(the header is row 1 — or the row it was found on, below a title — and the first data row is row 2), so every
later check cites the row a council officer sees in Excel without carrying a second array around.
Blank rows, and rows of nothing but separators, are skipped and keep their numbers, in CSVs as in workbooks.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tfnis.spec.columns import HEADER_ALIASES, TABLES, header_key
from tfnis.validation.findings_log import FindingLog

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

TABLE_NAMES = ("families", "individuals")
# ~100 bytes of sheet XML per cell: 256 MiB is ~100k people with room to spare. The reader holds a Python object
# for every cell, so a workbook much bigger than this would not fit a validate Lambda: send CSVs instead.
DEFAULT_MAX_XLSX_UNCOMPRESSED_BYTES = 256 << 20
_HEAD_BYTES = 1 << 16
_BLANK_BYTES = b"\xef\xbb\xbf \t\r\n,;"
_DELIMITERS = {";": "semicolons", "\t": "tabs", "|": "pipes"}
# A title above the header is looked for in the first rows only; the header is the first row naming at least
# this many of the specification's columns.
_TITLE_ROWS_LOOKED_AT = 10
_HEADER_MIN_KNOWN = 3
# Characters Windows-1252 gives that a council return plausibly holds (letters are always plausible): when every
# non-ASCII character decodes to one of these, the decoding is unambiguous enough to read the file.
_CP1252_PLAUSIBLE = set("£€‘’‚“”„–—…•·°´`½¼¾©®™ ")


@dataclass
class Table:
    """One table of a return as read: `frame` is None when the file could not be read at all."""

    name: str  # families | individuals
    file: str  # how findings name the file: 'families.csv', or 'RETURN.xlsx[families]'
    frame: pd.DataFrame | None = None
    header: list[str] = field(default_factory=list)  # specification names, in file order, duplicates kept
    header_row: int = 1  # the spreadsheet row the header was found on
    renamed: dict[str, str] = field(default_factory=dict)  # specification name -> the header as written
    unparsed: dict[str, np.ndarray] = field(default_factory=dict)  # column -> rows filled but unreadable


_CANONICAL = {header_key(c.name): c.name for columns in TABLES.values() for c in columns}
_CANONICAL.update(HEADER_ALIASES)


def header_name(raw: object) -> str:
    """A header cell as its specification name: matched in any case, with spaces, hyphens or punctuation for
    underscores, or by a documented alias; an unknown name comes back trimmed, as written."""
    written = str(raw if raw is not None else "").replace("\ufeff", "").strip()
    return _CANONICAL.get(header_key(written), written)


def _known_count(row: Sequence[object]) -> int:
    return len({header_name(v) for v in row} & set(_CANONICAL.values()))


def header_index(rows: Sequence[Sequence[object]]) -> int:
    """Which of the first rows is the header: the first naming enough specification columns (0 if none does)."""
    for index, row in enumerate(rows[:_TITLE_ROWS_LOOKED_AT]):
        if _known_count(row) >= _HEADER_MIN_KNOWN:
            return index
    return 0


def header_row(rows: Sequence[Sequence[object]]) -> Sequence[object]:
    """The header row among the first rows (see header_index)."""
    return rows[header_index(rows)] if rows else []


def _set_header(table: Table, raw: Sequence[object], index: int, log: FindingLog) -> None:
    """Record the header (found on 0-based row `index`), saying once each what was skipped or renamed."""
    table.header_row = index + 1
    table.header = [header_name(v) for v in raw]
    for written, name in zip(raw, table.header, strict=True):
        text = str(written if written is not None else "").replace("\ufeff", "").strip()
        if name in _CANONICAL.values() and text.lower() != name.lower() and name not in table.renamed:
            table.renamed[name] = text
    if index:
        log.file_level(
            table.file,
            "TITLE_ROW_SKIPPED",
            f"The header row is row {index + 1}; the {index} row(s) above it (a title) were skipped.",
        )


def _blank(values: Sequence[object]) -> bool:
    return all(v is None or not str(v).strip() for v in values)


# --- CSV ----------------------------------------------------------------------------------------------------
def _head_is_utf8(head: bytes) -> bool:
    """The first block decodes as UTF-8 (a character cut at the block's end is allowed)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3 and len(head) == _HEAD_BYTES
    return True


def _cp1252_is_unambiguous(text: str) -> bool:
    return all(c.isascii() or c.isalpha() or c in _CP1252_PLAUSIBLE for c in set(text))


def _non_utf8_encoding(path: Path, head: bytes, log: FindingLog, file: str) -> str:
    """Say what a file that is not UTF-8 is, and the encoding to read it with (to check the rest, or for good
    when it is plainly Windows-1252, as Excel's 'CSV (Comma delimited)' saves)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        log.file_level(file, "NOT_UTF8", "The file is UTF-16 ('Unicode text'); save it as 'CSV UTF-8'.")
        return "utf-16"
    try:
        text = path.read_bytes().decode("cp1252")
    except UnicodeDecodeError:
        log.file_level(
            file, "NOT_UTF8", "The file is not UTF-8 and not Windows-1252; save it as 'CSV UTF-8' and re-send."
        )
        return "latin-1"
    if _cp1252_is_unambiguous(text):
        log.file_level(
            file,
            "WINDOWS_1252",
            "The file is Windows-1252, as Excel saves 'CSV (Comma delimited)'; it was read as such. Next time "
            "save it as 'CSV UTF-8 (Comma delimited)' so no character can be misread.",
        )
    else:
        log.file_level(
            file,
            "NOT_UTF8",
            "The file is not UTF-8, and some of its characters could be read more than one way; save it as "
            "'CSV UTF-8 (Comma delimited)' and re-send. It was read as Windows-1252 to check the rest.",
        )
    return "cp1252"


def _delimiter(head_text: str, log: FindingLog, file: str) -> str:
    lines = head_text.split("\n", _TITLE_ROWS_LOOKED_AT)[:_TITLE_ROWS_LOOKED_AT]
    if any("," in line for line in lines):
        return ","
    found = max(_DELIMITERS, key=lambda d: sum(line.count(d) for line in lines))
    if not any(found in line for line in lines):
        return ","
    log.file_level(
        file,
        "WRONG_DELIMITER",
        f"The columns are separated by {_DELIMITERS[found]}, not commas; save the file as "
        "'CSV UTF-8 (Comma delimited)'. It was read with that separator to check the rest.",
    )
    return found


def _head_records(head_text: str, delimiter: str) -> list[list[str]]:
    """The first records of the file as csv reads them (a blank line is an empty record)."""
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(head_text), delimiter=delimiter)
    try:
        for record in reader:
            records.append(record)
            if len(records) >= _TITLE_ROWS_LOOKED_AT:
                break
    except csv.Error:
        pass
    return records or [head_text.split("\n", 1)[0].split(delimiter)]


def _blank_line_before_data(data: bytes) -> bool:
    """A blank line followed by more data: only then do rows after it need counting one by one."""
    for mark in (b"\n\n", b"\n\r\n"):
        at = data.find(mark)
        if at >= 0 and data[at:].strip():
            return True
    return False


def _record_rows(data: bytes, delimiter: str, skip: int, width: int) -> tuple[list[int], list[int]]:
    """Spreadsheet rows of the records Arrow keeps (as many fields as the header) and of ragged ones (a record
    with another number of fields that is not blank). The slow path: only for files with blank lines or
    ragged rows."""
    kept: list[int] = []
    ragged: list[int] = []
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace", newline="")
    for number, record in enumerate(csv.reader(text, delimiter=delimiter), start=1):
        if number <= skip or not record:
            continue
        if len(record) == width:
            kept.append(number)
        elif not _blank(record):
            ragged.append(number)
    return kept, ragged


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows of nothing but separators (',,,,' as Excel saves a blank row) are not records."""
    import numpy as np
    import pyarrow.compute as pc

    from tfnis.spec.columnar import arrow_strings, mask_of

    if frame.empty:
        return frame
    candidates = np.flatnonzero(mask_of(pc.equal(arrow_strings(frame.iloc[:, 0]), "")))
    if not len(candidates):
        return frame
    subset = frame.iloc[candidates]
    blank = np.ones(len(candidates), dtype=bool)
    for position in range(1, subset.shape[1]):
        blank &= mask_of(pc.equal(pc.utf8_trim_whitespace(arrow_strings(subset.iloc[:, position])), ""))
    return frame.drop(index=frame.index[candidates[blank]]) if blank.any() else frame


def _utf8_bytes(path: Path, log: FindingLog) -> bytes | None:
    """The file's bytes as UTF-8 without a BOM, saying what it was when it was not; None when it cannot be read
    as text at all (missing, empty, binary)."""
    file = path.name
    try:
        data = path.read_bytes()
    except OSError as error:
        log.file_level(file, "FILE_UNREADABLE", f"The file cannot be opened ({error.strerror or 'not a file'}).")
        return None
    head = data[:_HEAD_BYTES]
    if not head.strip(_BLANK_BYTES) and not data.strip(_BLANK_BYTES):  # strip copies: only when the head is blank
        log.file_level(file, "FILE_EMPTY", "The file is empty: it needs a header row and one row per record.")
        return None
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        log.file_level(
            file, "NOT_UTF8", "The file is not text (it looks like a binary file); export the table as 'CSV UTF-8'."
        )
        return None
    # Fast path: Arrow checks UTF-8 as it parses; only a file whose head fails is decoded here to say what it is.
    if not _head_is_utf8(head):  # Arrow reads UTF-8 only: transcode in memory (rare)
        data = data.decode(_non_utf8_encoding(path, head, log, file), errors="replace").encode("utf-8")
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def _arrow_csv(data: bytes, delimiter: str, skip: int, width: int):  # -> tuple[pa.Table, int]
    """Every record after the first `skip` as `width` string columns; records of another width are skipped and
    counted."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    skipped = 0

    def skip_ragged(_row) -> str:
        nonlocal skipped
        skipped += 1
        return "skip"

    positional = [f"c{i}" for i in range(width)]
    table = pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),  # zero-copy, read natively (a BytesIO would be read through Python)
        read_options=pacsv.ReadOptions(column_names=positional, skip_rows=skip, block_size=1 << 24),
        # A line break inside a value needs a quote around it: without any quote, Arrow may split the file at any
        # line break and parse its blocks in parallel (twice as fast).
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, newlines_in_values=b'"' in data, invalid_row_handler=skip_ragged
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(positional, pa.large_string()),  # pandas' own: no cast
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    return table, skipped


def _spreadsheet_rows(data: bytes, table: Table, delimiter: str, parsed: int, skipped: int, log: FindingLog):
    """The spreadsheet row of each parsed record: counted from the header when every line is one record (the
    usual case, one cheap pass), else record by record — citing the ragged rows on the way."""
    import numpy as np

    first = table.header_row + 1
    rows = np.arange(first, first + parsed, dtype=np.int64)
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if skipped or (lines != table.header_row + parsed and _blank_line_before_data(data)):
        width = len(table.header)
        kept, ragged = _record_rows(data, delimiter, table.header_row, width)
        log.at_rows(
            table.file,
            "RAGGED_ROW",
            None,
            np.asarray(ragged, dtype=np.int64),
            f"The row does not have {width} fields like the header row (a stray or missing separator, "
            "or an unclosed quote); it was not checked further.",
        )
        if len(kept) == parsed:  # csv and Arrow agree on the records (always, but for oddities)
            rows = np.asarray(kept, dtype=np.int64)
    return rows


def _parsed_records(path: Path, data: bytes, table: Table, delimiter: str, log: FindingLog):
    """The records below the header as an Arrow table, the number of ragged records skipped and the bytes they
    were read from (transcoded when the file turns out not to be UTF-8 after its head); None when the file
    cannot be read as CSV at all (said as RAGGED_ROW)."""
    import pyarrow as pa

    skip, width = table.header_row, len(table.header)
    try:
        try:
            return (*_arrow_csv(data, delimiter, skip, width), data)
        except pa.ArrowInvalid as error:  # not UTF-8 after the head: say what it is, read it as that
            if "utf8" not in str(error).lower():
                raise
            encoding = _non_utf8_encoding(path, data[:_HEAD_BYTES], log, table.file)
            data = path.read_bytes().decode(encoding, errors="replace").lstrip("\ufeff").encode("utf-8")
            return (*_arrow_csv(data, delimiter, skip, width), data)
    except (pa.ArrowException, OSError, ValueError) as error:
        message = "The file could not be read as CSV"
        if "straddling" in str(error) or "quote" in str(error).lower():
            message += " (a quoted value is never closed)"
        log.file_level(table.file, "RAGGED_ROW", message + ".")
        return None


def read_csv_table(path: Path, name: str, log: FindingLog) -> Table:
    """Read one CSV table: all cells as strings, the index the spreadsheet row number."""
    import pandas as pd
    import pyarrow as pa

    table = Table(name, path.name)
    data = _utf8_bytes(path, log)
    if data is None:
        return table
    head_text = data[:_HEAD_BYTES].decode("utf-8", errors="replace")
    delimiter = _delimiter(head_text, log, table.file)
    records = _head_records(head_text, delimiter)
    index = header_index(records)
    _set_header(table, records[index], index, log)
    parsed = _parsed_records(path, data, table, delimiter, log)
    if parsed is None:
        return table
    arrow_table, skipped, data = parsed
    rows = _spreadsheet_rows(data, table, delimiter, arrow_table.num_rows, skipped, log)
    frame = arrow_table.to_pandas(types_mapper={pa.large_string(): pd.StringDtype("pyarrow")}.get)
    frame.columns = table.header
    frame.index = pd.Index(rows, name="row")
    table.frame = _drop_blank_rows(frame)
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
        with path.open("rb") as stream:
            old_format = stream.read(4) == b"\xd0\xcf\x11\xe0"
    except OSError:
        old_format = False
    if old_format or path.suffix.lower() == ".xls":
        log.file_level(
            file,
            "XLSX_NOT_WORKBOOK",
            "The file is an Excel 97-2003 workbook (.xls) or a password-protected one: open it in Excel and "
            "save it as 'Excel Workbook (.xlsx)' without a password, or as two 'CSV UTF-8' files.",
        )
        return True
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
    if _workbook_refused(path, log, max_uncompressed_bytes):
        return [Table(name, f"{path.name}[{name}]") for name in TABLE_NAMES]
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_path(str(path))
        sheet_names = list(workbook.sheet_names)
    except Exception:  # calamine raises several types for a damaged workbook; all mean the same to a council
        log.file_level(path.name, "XLSX_NOT_WORKBOOK", "The workbook is damaged and cannot be read.")
        return [Table(name, f"{path.name}[{name}]") for name in TABLE_NAMES]

    sheets = {str(title).strip().lower(): title for title in sheet_names}
    return [_read_named_sheet(path, workbook, sheets, name, log) for name in TABLE_NAMES]


def _read_named_sheet(path: Path, workbook, sheets: dict[str, str], name: str, log: FindingLog) -> Table:
    """The table on the sheet called `name` (sheets: lower-cased title -> title), or why there is none."""
    table = Table(name, f"{path.name}[{name}]")
    title = sheets.get(name)
    if title is None:
        log.file_level(
            path.name,
            "XLSX_MISSING_SHEET",
            f"The workbook has no sheet named '{name}' (it has {len(sheets)} sheet(s)).",
        )
        return table
    try:
        rows = workbook.get_sheet_by_name(title).to_python(skip_empty_area=False)
    except Exception:
        log.file_level(table.file, "XLSX_NOT_WORKBOOK", "The sheet is damaged and cannot be read.")
        return table
    if not rows or all(_blank(r) for r in rows[:_TITLE_ROWS_LOOKED_AT]):
        log.file_level(table.file, "FILE_EMPTY", "The sheet is empty: it needs a header row.")
        return table
    _read_sheet(table, rows, log)
    return table


def _read_sheet(table: Table, rows: Sequence[Sequence[object]], log: FindingLog) -> None:
    """Rows of a sheet (row 1 first) to a frame indexed by spreadsheet row; blank rows are not records."""
    import numpy as np
    import pandas as pd

    index = header_index(rows)
    raw = list(rows[index])
    while raw and _blank(raw[-1:]):
        raw.pop()
    _set_header(table, raw, index, log)
    width = len(raw)
    body = [(number, r) for number, r in enumerate(rows[index + 1 :], start=index + 2) if not _blank(r)]
    frame = pd.DataFrame(
        {
            j: pd.array([_cell_text(r[j]) if j < len(r) else "" for _, r in body], dtype=pd.StringDtype("pyarrow"))
            for j in range(width)
        },
        index=pd.Index(np.asarray([number for number, _ in body], dtype=np.int64), name="row"),
    )
    overflow = [number for number, r in body if not _blank(r[width:])]
    log.at_rows(
        table.file,
        "RAGGED_ROW",
        None,
        np.asarray(overflow, dtype=np.int64),
        "The row has values to the right of the last named column.",
    )
    frame.columns = table.header
    table.frame = frame
