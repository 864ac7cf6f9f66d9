"""`tfnis demo`, the README's main job, end to end in a subprocess (small, so the suite stays quick)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def demo(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tfnis.cli.main", "demo", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def test_demo_runs_every_return_to_complete_and_leaves_reports_and_the_extract(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    # 25 families a return cannot be 5-anonymous within the default 10% suppression: the demo says so with a
    # template parameter, as a deployment would (docs/disclosure.md).
    done = demo("--out", str(out), "--councils", "2", "--families", "25", "--periods", "2", "--research-end",
                "--parameter", "MaxSuppressionShare=0.5", "--parameter", "PanelMaxSuppressionShare=0.5")  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.count(": COMPLETE") == 4
    assert "Coverage (% with data provided)" in done.stdout
    assert '"complete": true' in done.stdout  # the destruction certificate
    assert "Reference extracts (research team):" in done.stdout and "match rate" in done.stdout  # issue 15
    # the comparison ran on the extract before research end destroyed it; its output-checked results stay
    assert "The comparison: supported families against comparison families" in done.stdout
    assert (out / "impact" / "impact.json").is_file()
    assert len(list(out.glob("ReportsBucket/reports/*/*/coverage.html"))) == 4
    # research end destroyed the row-level extract too; the output-checked tables stay
    assert not list(out.glob("ResearchBucket/extract/**/*.parquet"))
    assert list(out.glob("ResearchBucket/published/coverage/period_end=*/coverage.csv"))
    assert list(out.glob("ResearchBucket/coverage/period_end=*/coverage.csv"))
    # after research end the personal buckets hold nothing
    assert not [
        p
        for bucket in ("UploadBucket", "LinkageBucket", "WorkBucket")
        for p in out.glob(f"{bucket}/**/*")
        if p.is_file()
    ]


def test_demo_takes_returns_from_input_and_refuses_an_empty_folder(tmp_path: Path) -> None:
    done = demo("--out", str(tmp_path / "out"), "--input", str(tmp_path))
    assert done.returncode == 2
    assert "no returns" in done.stdout + done.stderr
