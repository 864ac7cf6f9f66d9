"""`tfnis template`: the workbook a council fills in — drop-downs for codes, Text for identifiers, dates as
dates, instructions — and, filled in with a valid return, it validates with nothing to say."""

from __future__ import annotations

import csv
import datetime as dt
from io import BytesIO
from pathlib import Path

import openpyxl
import pytest

from tfnis.cli.main import main
from tfnis.spec.columns import TABLES, Kind
from tfnis.spec.template_workbook import template_workbook
from tfnis.validation import validate_return

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"


@pytest.fixture(scope="module")
def book() -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(template_workbook()))


def test_the_template_has_instructions_and_the_two_sheets_with_their_header_rows(book):
    assert book.sheetnames == ["instructions", "families", "individuals"]
    for table, columns in TABLES.items():
        assert [c.value for c in book[table][1]] == [c.name for c in columns]


@pytest.mark.parametrize("table", list(TABLES))
def test_every_coded_column_has_a_drop_down_of_its_codes(book, table):
    lists = {}
    for validation in book[table].data_validations.dataValidation:
        if validation.type == "list":
            for cells in str(validation.sqref).split():
                lists[cells.split(":")[0].rstrip("0123456789")] = validation.formula1.strip('"').split(",")
    header = [c.value for c in book[table][1]]
    for column in TABLES[table]:
        if column.kind in (Kind.ENUM, Kind.YES_NO):
            letter = openpyxl.utils.get_column_letter(header.index(column.name) + 1)
            assert lists[letter] == list(column.codes), column.name


@pytest.mark.parametrize("table", list(TABLES))
def test_identifiers_are_text_and_dates_are_dates(book, table):
    header = [c.value for c in book[table][1]]
    for column in TABLES[table]:
        letter = openpyxl.utils.get_column_letter(header.index(column.name) + 1)
        number_format = book[table].column_dimensions[letter].number_format
        if column.identifier and column.kind is Kind.TEXT:
            assert number_format == "@", column.name
        if column.kind is Kind.DATE:
            assert number_format == "yyyy-mm-dd", column.name


def test_a_filled_in_template_validates_with_no_findings(tmp_path):
    book = openpyxl.load_workbook(BytesIO(template_workbook()))
    for table in TABLES:
        with (VALID / f"{table}.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        sheet = book[table]
        header = [c.value for c in sheet[1]]
        for number, row in enumerate(rows, start=2):
            for position, name in enumerate(header, start=1):
                value: object = row[name] or None
                kind = next(c.kind for c in TABLES[table] if c.name == name)
                if value and kind is Kind.DATE:
                    value = dt.datetime.fromisoformat(str(value))
                elif value and kind is Kind.INT:
                    value = int(str(value))
                sheet.cell(row=number, column=position, value=value)
    book.save(tmp_path / "return.xlsx")
    report = validate_return([tmp_path / "return.xlsx"])
    assert report.status.value == "VALID" and report.findings == []
    assert (report.counts["families"], report.counts["individuals"]) == (3, 8)


def test_tfnis_template_writes_the_workbook(tmp_path, capsys):
    assert main(["template", "--out", str(tmp_path / "return.xlsx")]) == 0
    assert openpyxl.load_workbook(tmp_path / "return.xlsx").sheetnames == ["instructions", "families", "individuals"]


def test_tfnis_template_refuses_another_extension(tmp_path, capsys):
    assert main(["template", "--out", str(tmp_path / "return.csv")]) == 2
    assert not (tmp_path / "return.csv").exists()
