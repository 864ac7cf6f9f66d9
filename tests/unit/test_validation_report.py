"""The report's renderings: the JSON contract, text for a council officer, CSV (formula-escaped), HTML."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from tfnis.submissions.model import FIRST_FINDINGS
from tfnis.validation import escape_formula, findings_csv, render_html, render_text, report_json, validate_return
from tfnis.validation.report import FINDINGS_PER_RULE, first_findings

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"


@pytest.fixture(scope="module")
def big_return(tmp_path_factory):
    """1,500 people in the valid return's families, every one with a UPN whose check letter is wrong."""
    folder = tmp_path_factory.mktemp("big")
    read = {"dtype": str, "keep_default_na": False}
    families = pd.read_csv(VALID / "families.csv", **read)
    individuals = pd.read_csv(VALID / "individuals.csv", **read)
    many = individuals.loc[[1] * 1500].reset_index(drop=True)  # a child of family 1
    many["person_id"] = [f"P{i}" for i in range(1500)]
    many["upn"] = "Q207000016049"
    many.loc[0, "relation_in_family"] = "=WRONG"
    families.to_csv(folder / "families.csv", index=False)
    many.to_csv(folder / "individuals.csv", index=False)
    return validate_return([folder / "families.csv", folder / "individuals.csv"])


@pytest.fixture(scope="module")
def valid_report():
    return validate_return([VALID / "families.csv", VALID / "individuals.csv"])


def test_json_has_exactly_the_contract_keys(big_return):
    body = report_json(big_return)
    assert set(body) == {"spec_version", "status", "counts", "findings", "la_code", "period_end"}
    assert body["status"] == "REJECTED"
    assert set(body["findings"][0]) == {"file", "row", "column", "rule", "severity", "message"}
    json.dumps(body)  # serialisable as it stands


def test_json_lists_findings_up_to_a_cap_per_rule_and_counts_them_all(big_return):
    body = report_json(big_return)
    assert body["counts"]["by_rule"]["UPN_CHECK_LETTER"] == 1500
    listed = [f for f in body["findings"] if f["rule"] == "UPN_CHECK_LETTER"]
    assert len(listed) == FINDINGS_PER_RULE
    assert [f["row"] for f in listed[:3]] == [2, 3, 4]  # spreadsheet rows: the header is row 1
    assert body["counts"]["individuals"] == 1500 and body["counts"]["warnings"] == 1500 + 1


def test_errors_are_listed_before_warnings(big_return):
    severities = [f["severity"] for f in report_json(big_return)["findings"]]
    assert severities.index("warning") > max(i for i, s in enumerate(severities) if s == "error")


def test_text_groups_by_rule_with_the_first_twenty_rows(big_return):
    text = render_text(big_return)
    assert text.startswith("Return from E09000033 for the period ending 2024-03-31: REJECTED")
    heading = "A Unique Pupil Number has the wrong check letter (UPN_CHECK_LETTER, warning) — 1,500 times"
    section = text.split(heading)[1].split("\n\n")[0]
    assert section.count("individuals.csv, row") == 20
    assert "… and 1,480 more" in section


def test_text_says_what_to_fix_first_then_errors_warnings_notes(big_return):
    text = render_text(big_return)
    summary = text.split("There is a problem. Fix these first, then check the return again:\n")[1].split("\n\n")[0]
    assert "A value is not one of the allowed codes (INVALID_CODE): 1 time" in summary
    assert "UPN_CHECK_LETTER" not in summary  # a warning is not something to fix first
    assert text.index("ERRORS: FIX THESE") < text.index("WARNINGS: CHECK THESE")


def test_text_of_a_valid_return_says_so(valid_report):
    text = render_text(valid_report)
    assert "VALID — it can be submitted" in text and "No problems found." in text


def test_findings_csv_escapes_formula_triggers_and_keeps_every_row(big_return):
    rows = list(csv.DictReader(io.StringIO(findings_csv(big_return))))
    # the UPN warnings, the formula and the invalid code on row 1, and families 2 and 3 left with no members
    assert len(rows) == 1500 + 2 + 2
    assert list(rows[0]) == ["file", "row", "column", "rule", "severity", "message"]
    assert all(not v.startswith(("=", "+", "-", "@")) for row in rows for v in row.values())


def test_escape_formula_prefixes_a_quote_to_cells_a_spreadsheet_would_run():
    assert escape_formula("=1+1") == "'=1+1"
    assert escape_formula("@SUM(A1)") == "'@SUM(A1)"
    assert escape_formula("-2") == "'-2"
    assert escape_formula("\tx") == "'\tx"
    assert escape_formula("Smith") == "Smith"
    escaped = escape_formula(pd.Series(["+44", "ok", None]))
    assert escaped.tolist()[:2] == ["'+44", "ok"] and pd.isna(escaped.iloc[2])


def test_html_is_one_self_contained_page(big_return):
    page = render_html(big_return)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "http://" not in page and "https://" not in page and "<link" not in page
    assert "UPN_CHECK_LETTER" in page and "1,500" in page


def test_html_opens_with_gov_uk_there_is_a_problem_linking_each_error_rule(big_return):
    page = render_html(big_return, submission_id="20261126T101010-abcd1234", checked_on=dt.date(2026, 11, 26))
    summary = page.split('<div class="error-summary"')[1].split("</div>")[0]
    assert "There is a problem" in summary and 'role="alert"' in summary
    assert '<a href="#INVALID_CODE">A value is not one of the allowed codes</a>' in summary
    assert page.index('class="error-summary"') < page.index('<h3 id="INVALID_CODE">')
    assert "Submission 20261126T101010-abcd1234" in page and "Checked 2026-11-26" in page


def test_html_headings_are_plain_english_with_the_code_second_errors_before_warnings(big_return):
    page = render_html(big_return)
    heading = re.search(r'<h3 id="UPN_CHECK_LETTER">(.*?)</h3>\s*<p><span class="code">UPN_CHECK_LETTER</span>', page)
    assert heading and heading.group(1).startswith("A Unique Pupil Number has the wrong check letter")
    assert page.index("Errors: fix these") < page.index("Warnings: check these")


def test_html_prints_a_short_report(big_return):
    page = render_html(big_return)
    assert "@media print" in page and ".findings tbody tr:nth-child(n+11){display:none}" in page


def test_a_valid_return_has_no_error_summary(valid_report):
    page = render_html(valid_report)
    assert "There is a problem" not in page and "No problems found." in page


def test_html_escapes_what_it_shows(tmp_path):
    (tmp_path / "<i>families.csv").write_text("", encoding="utf-8")
    report = validate_return([tmp_path / "<i>families.csv"])
    page = render_html(report)
    assert "&lt;i&gt;families.csv" in page and "<i>" not in page


def test_first_findings_are_at_most_50_errors_first_without_values(big_return):
    first = first_findings(big_return)
    assert len(first) == FIRST_FINDINGS == 50
    assert first[0]["severity"] == "error" and first[-1]["rule"] == "UPN_CHECK_LETTER"
    assert set(first[0]) == {"file", "sheet", "row", "column", "rule", "severity", "message"}
    assert {f["file"] for f in first} <= {"families.csv", "individuals.csv"} and {f["sheet"] for f in first} == {None}
    assert "Q207000016049" not in json.dumps(first) and "WRONG" not in json.dumps(first)


def test_first_findings_name_a_workbooks_sheet_apart_from_its_file(tmp_path):
    read = {"dtype": str, "keep_default_na": False}
    individuals = pd.read_csv(VALID / "individuals.csv", **read)
    individuals.loc[0, "upn"] = "Q207000016049"
    with pd.ExcelWriter(tmp_path / "return.xlsx") as workbook:
        pd.read_csv(VALID / "families.csv", **read).to_excel(workbook, sheet_name="families", index=False)
        individuals.to_excel(workbook, sheet_name="individuals", index=False)
    first = first_findings(validate_return([tmp_path / "return.xlsx"]))
    upn = next(f for f in first if f["rule"] == "UPN_CHECK_LETTER")
    assert (upn["file"], upn["sheet"], upn["row"], upn["column"]) == ("return.xlsx", "individuals", 2, "upn")


def test_findings_csv_is_in_the_order_to_act_on(big_return):
    rows = list(csv.DictReader(io.StringIO(findings_csv(big_return))))
    severities = [r["severity"] for r in rows]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    upn = [int(r["row"]) for r in rows if r["rule"] == "UPN_CHECK_LETTER"]
    assert upn == sorted(upn) and upn[0] == 2
