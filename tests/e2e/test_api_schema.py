"""schemathesis against `tfnis serve`: every operation of GET /openapi.json, with generated requests (valid and
invalid bodies, path parameters, content types, methods), as a council (the /submissions routes) and as the
research data team (the /references routes).

No answer is a 5xx, and every answer is one the document declares: its status, its content type and its body's
schema. Bounded and deterministic for CI: the coverage phase's boundary cases plus at most MAX_EXAMPLES
generated requests per operation, in schemathesis' deterministic mode (no seed, no example database).

schemathesis runs as its command line: its pytest plugin (`from_fixture`) does not load under pytest 9.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ServeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MAX_EXAMPLES = 50
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
COUNCIL = "E08000025"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A stack of this module's own: the requests it generates create submissions nobody else should list."""
    server = ServeProcess(tmp_path_factory.mktemp("schema-stack"))
    try:
        server.wait_until_up()
        yield json.loads(server.tokens_file.read_text())
    finally:
        assert server.stop() == 0, server.log_tail()


def schemathesis_run(api: str, token: str, paths: str, workdir: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{api}/openapi.json"]
    command += ["--header", f"Authorization: Bearer {token}", "--include-path-regex", paths, "--checks", CHECKS]
    command += ["--phases", "examples,coverage,fuzzing", "--max-examples", str(MAX_EXAMPLES)]
    command += ["--generation-deterministic", "--workers", "1", "--no-color"]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize(
    ("caller", "paths", "operations"),
    [("council", "^/submissions", 3), ("research team", "^/references", 2)],
)
def test_every_answer_is_declared_and_none_is_a_5xx(
    stack: dict[str, Any], tmp_path: Path, caller: str, paths: str, operations: int
) -> None:
    token = stack["tokens"][COUNCIL] if caller == "council" else stack["research_team"]
    run = schemathesis_run(stack["api"], token, paths, tmp_path)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert f"Tested: {operations}" in run.stdout, run.stdout[-3000:]
    assert token not in run.stdout  # schemathesis prints the Authorization header as [Filtered]


def test_the_document_itself_needs_a_token(stack: dict[str, Any]) -> None:
    assert requests.get(f"{stack['api']}/openapi.json", timeout=10).status_code == 401
