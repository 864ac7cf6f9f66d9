"""Benchmark: a council officer uploads a ~10,000-person return through the upload page; prints the seconds from
choosing the files to COMPLETE.

Runs `tfnis serve` as a subprocess, generates the return with `tfnis generate`, and drives Debian's Chromium with
Playwright (as tests/e2e/test_upload_page.py does). Usage (after `make install web chromium`):
    .venv/bin/python bench/upload_page_bench.py [--families 2650] [--workbook]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import ServeProcess  # noqa: E402
from tests.e2e.test_upload_page import CHROMIUM, latest_period_end  # noqa: E402

LA_CODE = "E08000025"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=2650, help="families (~3.8 people each; default 2650)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tfnis-page-bench-") as tmp:
        work = Path(tmp)
        period = latest_period_end(date.today()).isoformat()
        generate = [sys.executable, "-m", "tfnis.cli.main", "generate", "--out", str(work / "returns")]
        generate += ["--councils", "1", "--families", str(args.families), "--periods", "1", "--last-period", period]
        subprocess.run(generate, cwd=ROOT, check=True, capture_output=True)
        folder = work / "returns" / LA_CODE / period
        files = [folder / "families.csv", folder / "individuals.csv"]
        people = sum(1 for _ in (folder / "individuals.csv").open(encoding="utf-8")) - 1
        size = sum(f.stat().st_size for f in files)

        server = ServeProcess(work)
        try:
            stack = server.wait_until_up()
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
                page = browser.new_page(base_url=stack.api_url)
                page.goto("/")
                page.get_by_label("Council").select_option(LA_CODE)
                page.get_by_role("button", name="Sign in").click()
                expect(page.get_by_text("Your council has not sent a return yet.")).to_be_visible()
                started = time.monotonic()
                page.get_by_label("Return files").set_input_files(files)
                page.get_by_role("button", name="Upload").click()
                expect(page.get_by_role("progressbar", name="individuals.csv")).to_have_attribute("value", "100")
                uploaded = time.monotonic() - started
                expect(page.get_by_role("status")).to_contain_text("COMPLETE", timeout=900_000)
                complete = time.monotonic() - started
                counts = page.locator("#counts").inner_text().replace("\n", " ").replace("\t", " ")
                browser.close()
        finally:
            server.stop()
    print(json.dumps({"people": people, "families": args.families, "bytes": size, "uploaded_s": round(uploaded, 1),
                      "choose_to_complete_s": round(complete, 1), "counts": counts}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
