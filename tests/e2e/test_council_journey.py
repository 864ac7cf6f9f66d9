"""A council's journey over plain HTTP against `tfnis serve` running as a subprocess.

POST /submissions, multipart POST of each file to its pre-signed URL, poll the status, read the reports.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import DATA

pytestmark = pytest.mark.e2e
COUNCIL_A, COUNCIL_B = "E08000025", "E09000012"


def council_return(tmp_path: Path, la_code: str, break_it: bool = False) -> dict[str, Path]:
    """The hand-written valid return, re-coded for a dev council; optionally with a duplicate person_id."""
    files = {}
    for name in ("families.csv", "individuals.csv"):
        text = (DATA / "valid" / name).read_text(encoding="utf-8").replace("E09000033", la_code)
        if break_it and name == "individuals.csv":
            text = text.replace("P-0002", "P-0001")
        files[name] = tmp_path / f"{la_code}-{name}"
        files[name].write_text(text, encoding="utf-8")
    return files


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def submit(api: str, token: str, files: dict[str, Path], period_end: str = "2024-03-31") -> str:
    created = requests.post(
        f"{api}/submissions", json={"period_end": period_end, "files": list(files)}, headers=bearer(token), timeout=30
    )
    assert created.status_code == 201, created.text
    body = created.json()
    for name, path in files.items():
        post = body["uploads"][name]
        with path.open("rb") as handle:
            upload = requests.post(post["url"], data=post["fields"], files={"file": (name, handle)}, timeout=60)
        assert upload.status_code in (200, 201, 204), upload.text
    return body["submission_id"]


def wait_for(
    api: str, token: str, submission_id: str, states: set[str], report: str | None = None, timeout: float = 120
) -> dict[str, Any]:
    """Poll until the submission is in one of `states` (and, if given, `report` is linked: coverage runs beside
    matching, so COMPLETE can come first)."""
    deadline = time.monotonic() + timeout
    while True:
        answer = requests.get(f"{api}/submissions/{submission_id}", headers=bearer(token), timeout=30)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        settled = body["status"] in states and (report is None or report in body["reports"])
        if settled or time.monotonic() > deadline:
            return body
        time.sleep(0.5)


def test_a_valid_return_goes_all_the_way_to_complete_with_reports(served_stack: Any, tmp_path: Path) -> None:
    api, token = served_stack.api_url, served_stack.tokens[COUNCIL_A]
    submission_id = submit(api, token, council_return(tmp_path, COUNCIL_A))
    submission = wait_for(api, token, submission_id, {"COMPLETE", "REJECTED", "FAILED"}, report="coverage_json")
    assert submission["status"] == "COMPLETE", submission
    assert submission["counts"]["individuals"] == 8
    validation = requests.get(submission["reports"]["validation_json"], timeout=30).json()
    assert validation["status"] == "VALID"
    coverage = requests.get(submission["reports"]["coverage_json"], timeout=30).json()
    assert {f["id"] for f in coverage["figures"]} >= {"housing_status_provided", "ethnicity_provided"}
    html = requests.get(submission["reports"]["coverage_html"], timeout=30).text
    assert "<html" in html.lower()
    assert 'src="http' not in html and "<link" not in html  # self-contained: no external assets


def test_an_invalid_return_is_rejected_with_a_report_naming_row_column_and_rule(
    served_stack: Any, tmp_path: Path
) -> None:
    api, token = served_stack.api_url, served_stack.tokens[COUNCIL_A]
    submission_id = submit(api, token, council_return(tmp_path, COUNCIL_A, break_it=True))
    submission = wait_for(api, token, submission_id, {"COMPLETE", "REJECTED", "FAILED"})
    assert submission["status"] == "REJECTED"
    assert submission["findings_summary"].get("DUPLICATE_PERSON_ID", 0) >= 1
    report = requests.get(submission["reports"]["validation_json"], timeout=30).json()
    duplicate = next(f for f in report["findings"] if f["rule"] == "DUPLICATE_PERSON_ID")
    assert duplicate["file"] == "individuals.csv" and duplicate["row"] >= 1 and duplicate["column"] == "person_id"
    assert "P-0001" not in str(report)  # a council person id is an identifier: never echoed


def test_council_a_can_neither_read_nor_create_council_b_submissions(served_stack: Any, tmp_path: Path) -> None:
    api = served_stack.api_url
    token_a, token_b = served_stack.tokens[COUNCIL_A], served_stack.tokens[COUNCIL_B]
    created = requests.post(
        f"{api}/submissions",
        json={"period_end": "2024-03-31", "files": ["families.csv", "individuals.csv"]},
        headers=bearer(token_b),
        timeout=30,
    ).json()
    other = requests.get(f"{api}/submissions/{created['submission_id']}", headers=bearer(token_a), timeout=30)
    assert other.status_code == 404
    listed = requests.get(f"{api}/submissions", headers=bearer(token_a), timeout=30).json()["submissions"]
    assert created["submission_id"] not in {s["submission_id"] for s in listed}
    forged = requests.post(
        f"{api}/submissions",
        json={"period_end": "2024-03-31", "files": ["families.csv", "individuals.csv"], "la_code": COUNCIL_B},
        headers=bearer(token_a),
        timeout=30,
    )
    assert forged.status_code == 422  # the body's model has no la_code: the council comes from the token
    assert [p["field"] for p in forged.json()["problems"]] == ["la_code"]
    assert requests.get(f"{api}/submissions", timeout=30).status_code == 401
    assert requests.get(f"{api}/submissions", headers=bearer(token_a + "x"), timeout=30).status_code == 401
