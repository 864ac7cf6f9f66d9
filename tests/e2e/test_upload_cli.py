"""`tfnis upload` as a council runs it: a subprocess against `tfnis serve`, exit codes as `tfnis validate`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_council_journey import COUNCIL_A, council_return

pytestmark = pytest.mark.e2e


def upload(served_stack: Any, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tfnis.cli.main", "upload", "--api", served_stack.api_url, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_a_valid_return_uploads_and_exits_0_with_the_summary(served_stack: Any, tmp_path: Path) -> None:
    files = council_return(tmp_path, COUNCIL_A)
    done = upload(served_stack, "--token", served_stack.tokens[COUNCIL_A], "--wait", *map(str, files.values()))
    assert done.returncode == 0, done.stderr
    assert "VALIDATED" in done.stdout or "MATCHED" in done.stdout or "COMPLETE" in done.stdout
    assert "uploaded" in done.stderr  # progress and confirmation go to stderr


def test_a_rejected_return_exits_1_and_names_rule_row_and_column(served_stack: Any, tmp_path: Path) -> None:
    files = council_return(tmp_path, COUNCIL_A, break_it=True)
    done = upload(served_stack, "--token", served_stack.tokens[COUNCIL_A], "--wait", *map(str, files.values()))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "REJECTED" in done.stdout
    assert "DUPLICATE_PERSON_ID" in done.stdout and "individuals.csv, row" in done.stdout
    assert "P-0001" not in done.stdout + done.stderr


def test_a_malformed_token_exits_2_saying_so_before_any_request(served_stack: Any, tmp_path: Path) -> None:
    files = council_return(tmp_path, COUNCIL_A)
    done = upload(served_stack, "--token", "not-a-token", *map(str, files.values()))
    assert done.returncode == 2
    assert "not a sign-in token" in done.stderr


def test_a_token_the_service_refuses_exits_2_saying_to_sign_in_again(served_stack: Any, tmp_path: Path) -> None:
    files = council_return(tmp_path, COUNCIL_A)
    header, claims, _ = served_stack.tokens[COUNCIL_A].split(".")
    done = upload(served_stack, "--token", f"{header}.{claims}.bm90LXRoZS1zaWduYXR1cmU", *map(str, files.values()))
    assert done.returncode == 2
    assert "did not accept your token" in done.stderr and "Sign in again" in done.stderr


def test_a_missing_file_exits_2(served_stack: Any, tmp_path: Path) -> None:
    done = upload(served_stack, "--token", "x", str(tmp_path / "nope.csv"), str(tmp_path / "nada.csv"))
    assert done.returncode == 2
    assert "cannot open" in done.stderr
