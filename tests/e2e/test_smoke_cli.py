"""`tfnis smoke` as an engineer runs it after a deploy: a subprocess against `tfnis serve`."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.test_council_journey import COUNCIL_B

pytestmark = pytest.mark.e2e


def smoke(served_stack: Any, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tfnis.cli.main", "smoke", "--api", served_stack.api_url, "--token", token]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=600, check=False)


def test_smoke_sends_a_generated_return_through_to_complete_and_exits_0(served_stack: Any) -> None:
    done = smoke(served_stack, served_stack.tokens[COUNCIL_B], "--timeout", "300", "--families", "25")
    assert done.returncode == 0, done.stdout + done.stderr
    submission_id, status = done.stdout.split()
    assert status == "COMPLETE"
    assert f"submission {submission_id} ({COUNCIL_B}" in done.stderr


def test_smoke_with_a_token_the_api_refuses_exits_3_with_the_api_message(served_stack: Any) -> None:
    # A well-formed token naming a council, signed by nobody the stack trusts: the authorizer answers 401.
    claims = base64.urlsafe_b64encode(json.dumps({"custom:la_code": COUNCIL_B}).encode()).decode().rstrip("=")
    done = smoke(served_stack, f"e30.{claims}.c2lnbmF0dXJl")
    assert done.returncode == 3
    assert "401" in done.stderr


def test_smoke_with_a_token_without_a_council_exits_3_before_calling_the_api(served_stack: Any) -> None:
    done = smoke(served_stack, "not-a-jwt")
    assert done.returncode == 3
    assert "custom:la_code" in done.stderr
