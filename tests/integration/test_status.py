"""`tfnis status`: the research team's view, through a stack file as `tfnis serve` writes it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_validate_stage import COUNCIL, council_files, submit
from tfnis.cli.main import main

# The fixture returns are a few families: k = 5 would refuse them, and this file is not about k
# (tests/integration/test_disclosure_stage.py pins k on a generated return).
SMALL_RETURNS = {"DisclosureK": "1"}


def test_status_lists_every_council_submission_and_national_coverage_without_identifiers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tfnis.cli.serve import stack_file
    from tfnis_local.stack import LocalStack

    with LocalStack(stack_name=f"tfnis-status-{os.getpid()}", parameters=SMALL_RETURNS) as stack:
        _, submission_id = submit(stack, council_files(tmp_path))
        stack.drain(timeout=120)
        path = tmp_path / "stack.json"
        path.write_text(json.dumps(stack_file(stack, stack.tokens)))
        for name in list(os.environ):
            if name.endswith(("_BUCKET", "_TABLE")):
                monkeypatch.delenv(name)
        capsys.readouterr()
        assert main(["status", "--stack-file", str(path), "--format", "json"]) == 0
    status: dict[str, Any] = json.loads(capsys.readouterr().out)
    ours = next(s for s in status["submissions"] if s["submission_id"] == submission_id)
    assert ours["la_code"] == COUNCIL and ours["status"] == "COMPLETE" and ours["individuals"] == 8
    assert "2024-03-31" in status["national_coverage"]
    assert any(
        key.startswith("extract/individuals/") and key.endswith("part-0.parquet") for key in status["extract_files"]
    )
    text = json.dumps(status)
    for identifier in ("O'Connor", "SW1A 1AA", "AB123456C", "P207000016049", "P-0001", "FAM-001"):
        assert identifier not in text


def test_status_without_a_stack_says_which_settings_are_missing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SUBMISSIONS_TABLE", raising=False)
    assert main(["status"]) == 2
    assert "SUBMISSIONS_TABLE" in capsys.readouterr().err
