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
    excel_saves()


def words(header_line: str) -> str:
    """A header as an officer retypes it: 'date_of_birth' as 'Date Of Birth'."""
    return ",".join(name.replace("_", " ").title() for name in header_line.split(","))


def column_map(text: str, column: str, mapping: dict[str, str]) -> str:
    """Every cell of one column replaced through `mapping` (cells not in it kept)."""
    header, *rows = text.splitlines()
    index = header.split(",").index(column)
    out = [header]
    for row in rows:
        cells = row.split(",")
        cells[index] = mapping.get(cells[index], cells[index])
        out.append(",".join(cells))
    return "\n".join(out) + "\n"


def excel_saves() -> None:
    """Returns as Excel and council officers really make them (issue 12): the meaning is plain, or the damage
    is named. Rows are spreadsheet rows: the header is row 1 unless a title sits above it."""
    fam, ind = valid_text(FAM), valid_text(IND)
    header, *rows = lines(IND)
    fam_words = "\n".join([words(lines(FAM)[0]), *lines(FAM)[1:]]) + "\n"
    ind_words = "\n".join([words(header), *rows]) + "\n"
    case("excel_headers_as_words", {FAM: fam_words, IND: ind_words}, "VALID",
         [(FAM, None, None, "HEADER_RENAMED"), (IND, None, None, "HEADER_RENAMED")])  # fmt: skip

    # A title on row 1, the header on row 2: the first person is row 3; rows[3] (sex 7) is row 6.
    titled = list(rows)
    titled[3] = titled[3].replace(",1979-12-31,1,", ",1979-12-31,7,")
    title = "Troubled Families return - individuals" + "," * (len(header.split(",")) - 1)
    case("excel_title_row", {FAM: fam, IND: "\n".join([title, header, *titled]) + "\n"}, "REJECTED",
         [(IND, None, None, "TITLE_ROW_SKIPPED"), (IND, 6, "sex", "INVALID_CODE")])  # fmt: skip

    yes_no = column_map(column_map(fam, "hp_EDUCATION", {"Y": "Yes"}), "rent_arrears", {"Y": "Yes", "N": "No"})
    true_false = column_map(ind, "mental_health", {"Y": "TRUE", "N": "FALSE"})
    case("excel_yes_no", {FAM: yes_no, IND: true_false}, "VALID",
         [(FAM, 2, "hp_EDUCATION", "YES_NO_ALIAS"), (FAM, 2, "rent_arrears", "YES_NO_ALIAS"),
          (IND, 2, "mental_health", "YES_NO_ALIAS")])  # fmt: skip

    case("excel_sex_words", {FAM: fam, IND: column_map(ind, "sex", {"1": "Male", "2": "female"})}, "VALID",
         [(IND, 2, "sex", "SEX_ALIAS")])  # fmt: skip

    midnight = column_map(
        fam, "date_identified", {d: d + " 00:00:00" for d in ("2023-06-12", "2023-09-01", "2019-11-20")}
    )
    midnight = column_map(midnight, "support_start_date", {"2023-09-15": "2023-09-15T00:00"})
    born = column_map(ind, "date_of_birth", {"1985-04-02": "02/04/1985 00:00"})
    case("excel_midnight_dates", {FAM: midnight, IND: born}, "VALID",
         [(FAM, 2, "date_identified", "DATE_WITH_TIME"), (FAM, 3, "support_start_date", "DATE_WITH_TIME"),
          (IND, 2, "date_of_birth", "DATE_WITH_TIME")])  # fmt: skip
    afternoon = column_map(fam, "date_identified", {"2023-09-01": "2023-09-01 14:30:00"})
    case("excel_date_with_a_real_time", {FAM: afternoon, IND: ind}, "REJECTED",
         [(FAM, 3, "date_identified", "DATE_FORMAT")])  # fmt: skip

    # CRLF; a row of separators (Excel's blank row) on row 4, an empty line on row 7, a short one at the end.
    separators = "," * (len(header.split(",")) - 1)
    spaced = list(rows)
    spaced[7] = spaced[7].replace(",1,,Y,", ",7,,Y,")
    body = [header, spaced[0], spaced[1], separators, spaced[2], spaced[3], "", *spaced[4:], ",,,"]
    case("excel_blank_and_separator_rows", {FAM: fam, IND: "\r\n".join(body) + "\r\n"}, "REJECTED",
         [(IND, 11, "sex", "INVALID_CODE")])  # fmt: skip

    curly = ind.replace("Sarah,Jane,O'Connor", "Seán,Jane,O’Connor")
    case("excel_cp1252_crlf", {FAM: fam, IND: curly.replace("\n", "\r\n").encode("cp1252")}, "VALID",
         [(IND, None, None, "WINDOWS_1252")])  # fmt: skip
    odd = ind.replace("Sarah,Jane,O'Connor", "Sarah,Jane,O¦Connor")
    case("excel_cp1252_ambiguous", {FAM: fam, IND: odd.encode("cp1252")}, "REJECTED",
         [(IND, None, None, "NOT_UTF8"), (IND, 2, "surname", "INVALID_CHARACTERS")])  # fmt: skip
    case("excel_csv_utf8_bom_crlf", {FAM: "\ufeff" + fam.replace("\n", "\r\n"),
                                     IND: "\ufeff" + ind.replace("\n", "\r\n")}, "VALID", [])  # fmt: skip

    damaged = _cell(_cell(_cell(ind, 2, "nhs_number", "9.43E+09"), 3, "nhs_number", "943476591"), 4, "person_id",
                    "1.23E+05")  # fmt: skip
    case("excel_scientific_notation", {FAM: fam, IND: damaged}, "REJECTED",
         [(IND, 2, "nhs_number", "EXCEL_NUMBER_FORMAT"), (IND, 3, "nhs_number", "EXCEL_NUMBER_FORMAT"),
          (IND, 4, "person_id", "EXCEL_NUMBER_FORMAT")])  # fmt: skip

    book = "RETURN.xlsx"
    case("xlsx_as_excel_saves", {book: excel_workbook()}, "REJECTED",
         [(f"{book}[individuals]", None, None, "TITLE_ROW_SKIPPED"),
          (f"{book}[individuals]", None, None, "HEADER_RENAMED"),
          (f"{book}[individuals]", 3, "mental_health", "YES_NO_ALIAS"),
          (f"{book}[individuals]", 9, "date_of_birth", "EXCEL_NUMBER_FORMAT")])  # fmt: skip


def excel_workbook() -> bytes:
    """The valid return as an officer keeps it in Excel: real date cells, ids and codes as Text cells, a title
    above the individuals' header (written in words), Yes/No, a blank row, and one date that Excel shows as its
    day count (a number cell formatted General) on row 9."""
    import datetime as dt
    from io import BytesIO

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, name in (("families", FAM), ("individuals", IND)):
        sheet = book.create_sheet(title)
        header, *rows = lines(name)
        if title == "individuals":
            sheet.append(["Troubled Families return: individuals, period ending 31 March 2024"])
            header = words(header)
        sheet.append(header.split(","))
        mental_health = (
            header.lower().replace(" ", "_").split(",").index("mental_health") if title == "individuals" else -1
        )
        for number, row in enumerate(rows):
            if title == "individuals" and number == 4:
                sheet.append([])  # a blank row: row 7
            cells: list[object] = []
            for position, value in enumerate(row.split(",")):
                if len(value) == 10 and value[4] == "-" and value[7] == "-":
                    cells.append(dt.datetime.fromisoformat(value))
                else:
                    cells.append({"Y": "Yes", "N": "No"}.get(value, value) if position == mental_health else value)
            sheet.append(cells)
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "dd/mm/yyyy"
                elif cell.value not in (None, ""):
                    cell.number_format = "@"
                    cell.data_type = "s"
    individuals = book["individuals"]
    dob = next(c.column for c in individuals[2] if c.value == "Date Of Birth")
    serial = individuals.cell(row=9, column=dob)
    serial.value, serial.number_format = (serial.value - dt.datetime(1899, 12, 30)).days, "General"
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _plain_zip() -> bytes:
    from io import BytesIO

    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


if __name__ == "__main__":
    main()
