"""The return template: an .xlsx workbook a council fills in, built from the column rules so it cannot drift
from them. Sheets 'families' and 'individuals' carry the header row, a drop-down list (data validation) on every
coded column, identifier and text columns formatted as Text (so Excel keeps leading zeros and long numbers),
date columns as dates, whole-number columns checked; an 'instructions' sheet says how to fill it in.
"""

from __future__ import annotations

import datetime as dt
from io import BytesIO
from typing import TYPE_CHECKING

from tfnis.spec import SPEC_VERSION
from tfnis.spec.codes import FRAMEWORKS, SEX_LABELS
from tfnis.spec.columns import TABLES, Column, Kind, Need

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

TEMPLATE_ROWS = 100_000  # rows the drop-downs and formats cover (DESIGN.md: a return is at most ~100k people)
DATE_FORMAT = "yyyy-mm-dd"
TEXT_FORMAT = "@"
_NEED = {Need.REQUIRED: "required", Need.CONDITIONAL: "depends on other columns", Need.OPTIONAL: "optional"}


def _what(column: Column) -> str:
    """What a column holds, for the instructions sheet."""
    if column.name == "sex":
        return "one of " + ", ".join(f"{code} {label}" for code, label in SEX_LABELS.items())
    if column.kind is Kind.ENUM or column.kind is Kind.YES_NO:
        codes = ", ".join(column.codes)
        return f"one of {codes}" if len(codes) < 120 else "a DfE ethnicity main code (choose from the list)"
    if column.kind is Kind.DATE:
        return "a date (YYYY-MM-DD or DD/MM/YYYY)"
    if column.kind is Kind.INT:
        bounds = f"{column.minimum} or more" if column.maximum is None else f"{column.minimum} to {column.maximum}"
        return f"a whole number, {bounds}"
    return "text" + (f", at most {column.max_length} characters" if column.max_length else "")


def _data_sheet(sheet: Worksheet, columns: tuple[Column, ...]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet.append([c.name for c in columns])
    sheet.freeze_panes = "A2"
    for position, column in enumerate(columns, start=1):
        letter = get_column_letter(position)
        sheet.cell(row=1, column=position).font = Font(bold=True)
        dimension = sheet.column_dimensions[letter]
        dimension.width = max(12, len(column.name) + 2)
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        validation = None
        if column.kind in (Kind.ENUM, Kind.YES_NO):
            dimension.number_format = TEXT_FORMAT
            validation = DataValidation(type="list", formula1='"' + ",".join(column.codes) + '"', allow_blank=True)
            validation.error = f"{column.name} must be one of the codes in the list."
        elif column.kind is Kind.DATE:
            dimension.number_format = DATE_FORMAT
            validation = DataValidation(
                type="date", operator="between", formula1="DATE(1900,1,1)", formula2="DATE(2200,12,31)",
                allow_blank=True,
            )  # fmt: skip
            validation.error = f"{column.name} must be a date."
        elif column.kind is Kind.INT:
            validation = DataValidation(
                type="whole",
                operator="between" if column.maximum is not None else "greaterThanOrEqual",
                formula1=str(column.minimum or 0),
                formula2=None if column.maximum is None else str(column.maximum),
                allow_blank=True,
            )
            validation.error = f"{column.name} must be {_what(column)}."
        else:  # identifiers and names: Text, so Excel never turns them into numbers or drops leading zeros
            dimension.number_format = TEXT_FORMAT
        if validation is not None:
            validation.errorTitle = "Not allowed in this column"
            validation.showErrorMessage = True
            validation.add(cells)
            sheet.add_data_validation(validation)


def _instructions(sheet: Worksheet) -> None:
    from openpyxl.styles import Font

    minimums = "; ".join(f"{code}: at least {fw.minimum}" for code, fw in FRAMEWORKS.items())
    lines = [
        f"Troubled Families National Impact Study: council return (data specification v{SPEC_VERSION})",
        "",
        "Fill in the sheets 'families' (one row per family) and 'individuals' (one row per person).",
        "Keep row 1 as it is: it is the header row the service reads. Do not rename or reorder the sheets.",
        "Coded columns have a drop-down list. Identifier and name columns are formatted as Text: paste values "
        "with 'Paste Special > Values' so Excel keeps leading zeros and long numbers.",
        "Leave a cell empty when the value is not known: an empty cell means 'not provided'; 0 is a real value.",
        f"Headline problems (hp_ columns): Y, N or empty, for the family's framework ({minimums} marked Y).",
        "Check the file before sending: tfnis validate RETURN.xlsx (rows are numbered as Excel shows them).",
        "",
        "Column",
    ]
    for line in lines:
        sheet.append([line])
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    header = sheet.max_row
    for position, title in enumerate(("sheet", "column", "need", "what it holds"), start=1):
        sheet.cell(row=header, column=position, value=title).font = Font(bold=True)
    for table, columns in TABLES.items():
        for column in columns:
            sheet.append([table, column.name, _NEED[column.need], _what(column)])
    for letter, width in (("A", 14), ("B", 28), ("C", 24), ("D", 90)):
        sheet.column_dimensions[letter].width = width


def template_workbook(created: dt.date | None = None) -> bytes:
    """The return template as .xlsx bytes: instructions, then the families and individuals sheets."""
    import openpyxl

    book = openpyxl.Workbook()
    instructions = book.active
    instructions.title = "instructions"
    _instructions(instructions)
    for table, columns in TABLES.items():
        _data_sheet(book.create_sheet(table), columns)
    book.properties.title = f"TFNIS council return template v{SPEC_VERSION}"
    book.properties.created = dt.datetime.combine(created or dt.date.today(), dt.time())
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
