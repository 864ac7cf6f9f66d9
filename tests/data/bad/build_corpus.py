"""Rebuild the bad-file corpus: one folder per case with its input files and expected.json.

The expectations are written here by hand — never derived from the validator — so the corpus tests the
validator rather than recording it. Run from the repository root: .venv/bin/python tests/data/bad/build_corpus.py
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
VALID = HERE.parent / "valid"
FAM, IND = "families.csv", "individuals.csv"


def valid_text(name: str) -> str:
    return (VALID / name).read_text(encoding="utf-8")


def lines(name: str) -> list[str]:
    return valid_text(name).splitlines()


def case(name: str, files: dict[str, bytes | str], status: str, findings: list[tuple], **options) -> None:
    folder = HERE / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for file, body in files.items():
        data = body.encode("utf-8") if isinstance(body, str) else body
        (folder / file).write_bytes(data)
    expected = {
        "files": list(files),
        "options": options,
        "status": status,
        "findings": [list(f) for f in sorted(findings, key=lambda f: (f[0], f[1] or 0, f[2] or "", f[3]))],
    }
    (folder / "expected.json").write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")


def with_cell(name: str, row: int, column: str, value: str) -> str:
    """The valid table with one cell replaced (row as the spreadsheet numbers it: the header is row 1, the first
    data row is row 2); values here hold no commas."""
    return _cell(valid_text(name), row, column, value)


def _cell(text: str, row: int, column: str, value: str) -> str:
    header, *rows = text.splitlines()
    index = header.split(",").index(column)
    cells = rows[row - 2].split(",")
    cells[index] = value
    rows[row - 2] = ",".join(cells)
    return "\n".join([header, *rows]) + "\n"


def workbook(sheets: dict[str, str], text_only: bool = False) -> bytes:
    from io import BytesIO

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, csv_text in sheets.items():
        sheet = book.create_sheet(title)
        for line in csv_text.splitlines():
            sheet.append(line.split(","))
            if text_only:  # cells typed with a leading apostrophe: text, even when they start with '='
                for cell in sheet[sheet.max_row]:
                    cell.data_type = "s"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def typed_workbook() -> bytes:
    """The valid return as Excel keeps it when typed by hand: real dates, numbers as numbers."""
    import datetime as dt
    from io import BytesIO

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, name in (("families", FAM), ("individuals", IND)):
        sheet = book.create_sheet(title)
        header, *rows = lines(name)
        sheet.append(header.split(","))
        for row in rows:
            cells: list[object] = []
            for value in row.split(","):
                if len(value) == 10 and value[4] == "-" and value[7] == "-":
                    cells.append(dt.datetime.fromisoformat(value))
                elif value.isdigit() and len(value) < 5:
                    cells.append(float(value) if value == "2" else int(value))
                else:
                    cells.append(value or None)
            sheet.append(cells)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A zip that looks like a workbook but expands to 4 MiB of zeros (the case caps workbooks at 1 MiB)."""
    from io import BytesIO

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (4 << 20))
    return buffer.getvalue()


def zip_bomb_by_directory() -> bytes:
    """A small zip whose central directory claims a 4 GB sheet: refused on the directory alone."""
    import struct

    data = bytearray(zip_bomb())
    entry = data.rfind(b"PK\x01\x02")  # the last central-directory entry: the sheet
    struct.pack_into("<I", data, entry + 24, 0xFFFFFFF0)
    return bytes(data)


def main() -> None:
    for old in HERE.iterdir():
        if old.is_dir():
            shutil.rmtree(old)
    fam, ind = valid_text(FAM), valid_text(IND)

    case("empty_file", {FAM: b"", IND: ind}, "REJECTED", [(FAM, None, None, "FILE_EMPTY")])
    case("header_only", {FAM: fam, IND: lines(IND)[0] + "\n"}, "REJECTED", [(IND, None, None, "HEADER_ONLY")])
    case("bom", {FAM: "\ufeff" + fam, IND: "\ufeff" + ind}, "VALID", [])
    case("crlf_line_endings", {FAM: fam.replace("\n", "\r\n"), IND: ind.replace("\n", "\r\n")}, "VALID", [])
    case("wrong_delimiter", {FAM: fam, IND: ind.replace(",", ";")}, "REJECTED", [(IND, None, None, "WRONG_DELIMITER")])
    case("tab_delimited", {FAM: fam.replace(",", "\t"), IND: ind}, "REJECTED", [(FAM, None, None, "WRONG_DELIMITER")])
    case("cp1252", {FAM: fam, IND: ind.encode("cp1252")}, "VALID", [(IND, None, None, "WINDOWS_1252")])
    case("utf16", {FAM: fam.encode("utf-16"), IND: ind}, "REJECTED", [(FAM, None, None, "NOT_UTF8")])
    case("not_text_at_all", {FAM: fam, IND: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))}, "REJECTED",
         [(IND, None, None, "NOT_UTF8")])  # fmt: skip

    # A quoted value with a line break inside is one cell (one spreadsheet row); rows after it keep their numbers.
    # rows[i] below is spreadsheet row i + 2.
    header, *rows = lines(IND)
    rows[2] = rows[2].replace(",Anne,", ',"Anne\nMarie",')
    rows[7] = rows[7].replace(",1,,Y,", ",7,,Y,")  # row 9: sex 7 is not a code
    case("quoted_newlines", {FAM: fam, IND: "\n".join([header, *rows]) + "\n"}, "REJECTED",
         [(IND, 9, "sex", "INVALID_CODE")])  # fmt: skip

    header, *rows = lines(IND)
    rows[2] += ",extra"  # row 4: one field too many
    rows[4] = rows[4].rsplit(",", 1)[0]  # row 6: one field short
    rows[6] = rows[6].replace(",2,,Y,", ",5,,Y,")  # row 8 still row 8 after the ragged rows
    case("ragged_rows", {FAM: fam, IND: "\n".join([header, *rows]) + "\n"}, "REJECTED",
         [(IND, 4, None, "RAGGED_ROW"), (IND, 6, None, "RAGGED_ROW"), (IND, 8, "sex", "INVALID_CODE")])  # fmt: skip

    header, *rows = lines(IND)
    rows[7] = rows[7] + ',"never closed'
    case("unclosed_quote", {FAM: fam, IND: "\n".join([header, *rows]) + "\n"}, "REJECTED",
         [(IND, 9, None, "RAGGED_ROW")])  # fmt: skip

    header, *rows = lines(IND)
    case("blank_lines", {FAM: fam, IND: "\n".join([header, rows[0], "", *rows[1:], "", ""]) + "\n"}, "VALID", [])

    # Excel's habit: empty columns to the right with no name.
    case("excel_trailing_commas", {FAM: "\n".join(line + ",," for line in lines(FAM)) + "\n", IND: ind}, "VALID", [])

    names = lines(IND)[0].split(",")
    keep = [i for i, n in enumerate(names) if n not in ("surname", "date_of_birth")]
    dropped = "\n".join(",".join(line.split(",")[i] for i in keep) for line in lines(IND)) + "\n"
    case("missing_columns", {FAM: fam, IND: dropped}, "REJECTED",
         [(IND, None, "surname", "MISSING_COLUMN"), (IND, None, "date_of_birth", "MISSING_COLUMN")])  # fmt: skip

    case("duplicated_column", {FAM: "\n".join(line + "," + line.split(",")[3] for line in lines(FAM)) + "\n",
                               IND: ind}, "REJECTED", [(FAM, None, "framework", "DUPLICATE_COLUMN")])  # fmt: skip

    case("unknown_column", {FAM: fam, IND: "\n".join(
        [lines(IND)[0] + ",shoe_size", *(line + ",9" for line in lines(IND)[1:])]) + "\n"},
        "VALID", [(IND, None, "shoe_size", "UNKNOWN_COLUMN")])  # fmt: skip

    formula = with_cell(IND, 2, "middle_names", "=cmd|' /C calc'!A0")
    formula = _cell(formula, 4, "mental_health", "@SUM(1)")
    case("formula_injection", {FAM: with_cell(FAM, 3, "support_intensity", "+MEDIUM"), IND: formula}, "REJECTED",
         [(IND, 2, "middle_names", "FORMULA_INJECTION"), (IND, 4, "mental_health", "FORMULA_INJECTION"),
          (IND, 4, "mental_health", "INVALID_CODE"), (FAM, 3, "support_intensity", "FORMULA_INJECTION"),
          (FAM, 3, "support_intensity", "INVALID_CODE")])  # fmt: skip

    case("two_csvs_named_anyhow", {"export_a.csv": ind, "export_b.csv": fam}, "VALID", [])
    case("two_csvs_not_a_return", {"a.csv": "x,y\n1,2\n", "b.csv": "p,q\n3,4\n"}, "REJECTED",
         [("a.csv", None, None, "TABLE_UNIDENTIFIED"), ("b.csv", None, None, "TABLE_UNIDENTIFIED"),
          (FAM, None, None, "FILE_MISSING"), (IND, None, None, "FILE_MISSING")])  # fmt: skip

    book = "RETURN.xlsx"
    case("xlsx_valid", {book: workbook({"families": fam, "individuals": ind})}, "VALID", [])
    case("xlsx_typed_cells", {book: typed_workbook()}, "VALID", [])
    case("xlsx_sheet_names_any_case", {book: workbook({"Families ": fam, "INDIVIDUALS": ind})}, "VALID", [])
    case("xlsx_missing_sheet", {book: workbook({"families": fam, "Sheet2": ind})}, "REJECTED",
         [(book, None, None, "XLSX_MISSING_SHEET")])  # fmt: skip
    case("xlsx_not_a_workbook", {book: ind}, "REJECTED", [(book, None, None, "XLSX_NOT_WORKBOOK")])
    case("xlsx_zip_not_a_workbook", {book: _plain_zip()}, "REJECTED", [(book, None, None, "XLSX_NOT_WORKBOOK")])
    case("xlsx_zip_bomb", {book: zip_bomb()}, "REJECTED", [(book, None, None, "XLSX_TOO_LARGE")],
         max_xlsx_uncompressed_bytes=1 << 20)  # fmt: skip
    case("xlsx_zip_bomb_by_directory", {book: zip_bomb_by_directory()}, "REJECTED",
         [(book, None, None, "XLSX_TOO_LARGE")])  # fmt: skip
    formula_text = workbook({"families": with_cell(FAM, 2, "evictions", "=1/0"), "individuals": ind}, text_only=True)
    case("xlsx_formula_as_text", {book: formula_text},
         "REJECTED", [("RETURN.xlsx[families]", 2, "evictions", "FORMULA_INJECTION"),
                      ("RETURN.xlsx[families]", 2, "evictions", "INVALID_INTEGER")])  # fmt: skip
    # A real formula is read by its computed value (here none was saved: the cell is blank), never as a formula.
    formula_cell = workbook({"families": with_cell(FAM, 2, "evictions", "=1+1"), "individuals": ind})
    case("xlsx_formula_cell", {book: formula_cell}, "VALID", [])


def _plain_zip() -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


if __name__ == "__main__":
    main()
