"""The bad-file corpus (tests/data/bad/<case>/): each case's files give exactly the findings in expected.json,
and none of them makes the validator raise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfnis.validation import validate_return

CORPUS = Path(__file__).resolve().parents[1] / "data" / "bad"
CASES = sorted(p for p in CORPUS.iterdir() if (p / "expected.json").is_file())


def test_the_corpus_covers_the_bad_inputs_of_issue_2():
    names = {p.name for p in CASES}
    assert {"empty_file", "header_only", "missing_columns", "duplicated_column", "unknown_column",
            "wrong_delimiter", "cp1252", "bom", "quoted_newlines", "ragged_rows", "formula_injection",
            "xlsx_not_a_workbook", "xlsx_missing_sheet", "xlsx_zip_bomb"} <= names  # fmt: skip


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_bad_file_gives_the_expected_findings(folder):
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    report = validate_return([folder / name for name in expected["files"]], **expected["options"])
    frame = report.findings_frame()
    found = {
        (row.file, None if row.row is None or row.row != row.row else int(row.row), row.column, row.rule)
        for row in frame.astype(object).where(frame.notna(), None).itertuples()
    }
    assert found == {tuple(f) for f in expected["findings"]}
    assert report.status.value == expected["status"]
