"""The upload page in a real browser (Debian's Chromium driven by Playwright) against `tfnis serve`.

A council officer signs in with the keyboard alone, uploads a valid and an invalid return over real HTTP to the
pre-signed URLs, reads the result and the findings, opens both reports, and cannot see another council's
submission. axe-core (web/node_modules, from npm) runs in every state: no serious or critical violation.
Screenshots of each state go to out/screens/ for a person to look at.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Locator, Page, expect

from tests.e2e.conftest import ROOT, ServedStack, ServeProcess

pytestmark = pytest.mark.e2e

AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = ROOT / "out" / "screens"
FINAL_STATUS = r"COMPLETE|REJECTED|FAILED|EXPIRED"
PIPELINE_TIMEOUT_MS = 180_000
BIRMINGHAM, HACKNEY = "E08000025", "E09000012"


def latest_period_end(today: date) -> date:
    """The most recent 31 March or 30 September: what the page offers first."""
    for candidate in (date(today.year, 9, 30), date(today.year, 3, 31)):
        if candidate <= today:
            return candidate
    return date(today.year - 1, 9, 30)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedStack]:
    """A stack of this module's own, so the councils' lists hold only what these tests sent.

    K=1: a 20-family return is refused by disclosure control at the default K=5 (tested in
    tests/integration/test_disclosure_stage.py); the page's journey needs one that completes, quickly.
    """
    server = ServeProcess(tmp_path_factory.mktemp("page-stack"), "--parameter", "DisclosureK=1")
    try:
        yield server.wait_until_up()
    finally:
        assert server.stop() == 0, server.log_tail()


@pytest.fixture(scope="module")
def returns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic return of Birmingham for the period the page offers first."""
    out = tmp_path_factory.mktemp("returns")
    period = latest_period_end(date.today()).isoformat()
    command = [sys.executable, "-m", "tfnis.cli.main", "generate", "--out", str(out), "--councils", "1"]
    command += ["--families", "20", "--periods", "1", "--seed", "7", "--last-period", period]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    folder = out / BIRMINGHAM / period
    assert (folder / "families.csv").exists()
    return folder


@pytest.fixture
def page(browser: Browser, stack: ServedStack) -> Iterator[Page]:
    context = browser.new_context(base_url=stack.api_url, viewport={"width": 1100, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page's script failed: {errors}"


def audit(page: Page, state: str) -> list[dict[str, Any]]:
    """Screenshot the state and run axe-core on it; the serious and critical violations found."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / f"{state}.png", full_page=True)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        """() => axe.run(document, {runOnly: {type: "tag",
             values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})"""
    )
    summary = {
        "state": state,
        "url": page.url.split("?")[0],
        "passes": len(results["passes"]),
        "violations": [
            {"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"]), "help": v["help"]}
            for v in results["violations"]
        ],
    }
    (SCREENS / f"{state}.axe.json").write_text(json.dumps(summary, indent=2) + "\n")
    return [v for v in summary["violations"] if v["impact"] in ("serious", "critical")]


def tab_to(page: Page, target: Locator, presses: int = 40) -> None:
    """Press Tab until target has the focus: it is reachable with the keyboard alone."""
    for _ in range(presses):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{target} not reached with {presses} presses of Tab")


def sign_in(page: Page, la_code: str) -> None:
    page.goto("/")
    page.get_by_label("Council").select_option(la_code)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#submissions-empty, #submissions-table").locator("visible=true")).to_have_count(1)


def test_whole_journey_with_the_keyboard_alone(page: Page, returns: Path) -> None:
    page.goto("/")
    expect(page).to_have_title("Sign in – Upload a Troubled Families return – GOV.UK")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Council")).to_be_visible()
    assert audit(page, "01-signed-out") == []

    tab_to(page, page.get_by_label("Council"))  # Birmingham is the first council listed
    tab_to(page, page.get_by_role("button", name="Sign in"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your council has not sent a return yet.")).to_be_visible()
    expect(page).to_have_title("Upload a Troubled Families return – GOV.UK")
    assert audit(page, "02-signed-in") == []

    files = page.get_by_label("Return files")
    assert files.get_attribute("multiple") is not None
    tab_to(page, files)
    expect(files).to_be_focused()
    # 90 s, not Playwright's 30: on a loaded 2-CPU machine (CI beside `make demo`) Chromium once took longer.
    with page.expect_file_chooser(timeout=90_000) as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files([returns / "families.csv", returns / "individuals.csv"])
    tab_to(page, page.get_by_role("button", name="Upload"))
    page.keyboard.press("Enter")

    status = page.get_by_role("status")
    expect(status).to_contain_text("COMPLETE", timeout=PIPELINE_TIMEOUT_MS)
    expect(page.locator("#counts")).to_contain_text("20")  # families
    expect(page.get_by_role("progressbar", name="families.csv")).to_have_attribute("value", "100")
    expect(page.get_by_role("link", name="Coverage report", exact=True)).to_be_visible(timeout=60_000)
    expect(page.locator("#submissions")).to_contain_text("COMPLETE")
    assert audit(page, "03-complete") == []

    for name, heading in (("Validation report", "Validation"), ("Coverage report", "overage")):
        link = page.get_by_role("link", name=name, exact=True)
        tab_to(page, link, presses=80)
        with page.context.expect_page() as opened:
            page.keyboard.press("Enter")
        report = opened.value
        report.wait_for_load_state()
        expect(report.locator("h1")).to_contain_text(heading)
        report.screenshot(path=SCREENS / f"04-{name.lower().replace(' ', '-')}.png", full_page=True)
        report.close()

    tab_to(page, page.get_by_role("button", name="Sign out"), presses=80)
    page.keyboard.press("Enter")
    expect(page.get_by_label("Council")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


def test_invalid_return_shows_findings_by_rule_never_values(page: Page, returns: Path, tmp_path: Path) -> None:
    with (returns / "individuals.csv").open(newline="", encoding="utf-8") as source:
        rows = list(csv.DictReader(source))
    bad_code, bad_date = "ZZQ", "31/02/2024"
    for row in rows[:3]:
        row["ethnicity"], row["date_of_birth"] = bad_code, bad_date
    broken = tmp_path / "individuals.csv"
    with broken.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    sign_in(page, BIRMINGHAM)
    page.get_by_label("Return files").set_input_files([returns / "families.csv", broken])
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("REJECTED", timeout=PIPELINE_TIMEOUT_MS)

    findings = page.locator("#findings")
    for rule in ("INVALID_CODE", "INVALID_DATE"):
        table = findings.locator("table", has=page.locator("caption", has_text=rule))
        expect(table).to_have_count(1)
        expect(table.locator("tbody tr")).to_have_count(3)
        expect(table.locator("tbody tr").first).to_contain_text("individuals.csv")
    text = page.locator("main").inner_text()
    quoted = {bad_code, bad_date} | {row[c] for row in rows[:3] for c in ("forename", "surname", "postcode", "nino")}
    assert not [value for value in quoted if value and value in text]
    assert audit(page, "05-rejected") == []

    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Validation report", exact=True).click()
    report = opened.value
    report.wait_for_load_state()
    expect(report.locator("body")).to_contain_text("INVALID_CODE")
    report.close()


def test_checks_before_upload_show_an_error_summary(page: Page, returns: Path, tmp_path: Path) -> None:
    sign_in(page, BIRMINGHAM)
    before = page.locator("#submissions tr").count()
    page.get_by_label("Return files").set_input_files([returns / "families.csv"])
    page.get_by_role("button", name="Upload").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text("Select individuals.csv as well: a CSV return is both files")
    expect(page).to_have_title("Error: Upload a Troubled Families return – GOV.UK")
    assert audit(page, "06-error-summary") == []

    empty = tmp_path / "individuals.csv"
    empty.write_bytes(b"")
    page.get_by_label("Return files").set_input_files([returns / "families.csv", empty])
    page.get_by_role("button", name="Upload").click()
    expect(summary.get_by_role("link")).to_have_text("The selected file individuals.csv is empty")
    summary.get_by_role("link").click()
    expect(page.get_by_label("Return files")).to_be_focused()
    assert page.locator("#submissions tr").count() == before  # nothing was created


def test_the_template_workbook_downloads_from_the_page(page: Page, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    sign_in(page, BIRMINGHAM)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the return template (Excel workbook)").click()
    assert download.value.suggested_filename == "return.xlsx"
    saved = tmp_path / "return.xlsx"
    download.value.save_as(saved)
    sheets = {name.lower() for name in load_workbook(saved, read_only=True).sheetnames}
    assert {"families", "individuals"} <= sheets


def test_another_councils_submission_cannot_be_seen(page: Page, stack: ServedStack) -> None:
    created = requests.post(
        f"{stack.api_url}/submissions",
        headers={"authorization": f"Bearer {stack.tokens[BIRMINGHAM]}"},
        json={"period_end": "2024-03-31", "files": ["return.xlsx"]},
        timeout=30,
    )
    assert created.status_code == 201
    birmingham_submission = created.json()["submission_id"]

    sign_in(page, HACKNEY)
    expect(page.get_by_text("Your council has not sent a return yet.")).to_be_visible()
    answered = page.evaluate(
        """async (id) => {
             const token = JSON.parse(sessionStorage.getItem("tfnis.session")).token;
             const response = await fetch(`/submissions/${id}`, {headers: {authorization: `Bearer ${token}`}});
             return response.status;
           }""",
        birmingham_submission,
    )
    assert answered == 404
    assert birmingham_submission not in page.content()
    assert audit(page, "07-other-council") == []
