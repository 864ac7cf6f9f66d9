"""`tfnis serve` as a subprocess, for tests that act as a council over plain HTTP.

`served_stack` starts one server per test session (per xdist worker) and yields (api_url, tokens); it stops
it with SIGTERM at the end and fails the session's teardown if the server did not exit cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple

import pytest
from playwright.sync_api import Browser, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"  # Debian's package: `make test` installs it; Playwright's download is not used
STARTUP_TIMEOUT_S = 90


class ServedStack(NamedTuple):
    api_url: str
    tokens: dict[str, str]  # la_code -> dev token


class ServeProcess:
    """A running `tfnis serve --port 0 --tokens-file F`, its log kept for failure messages."""

    def __init__(self, workdir: Path, *extra_args: str):
        self.tokens_file = workdir / "tokens.json"
        self.log_file = workdir / "serve.log"
        self._log: IO[bytes] = self.log_file.open("wb")
        environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        environment["PYTHONUNBUFFERED"] = "1"
        command = [sys.executable, "-m", "tfnis.cli.main", "serve", "--port", "0"]
        command += ["--tokens-file", str(self.tokens_file), "--log-level", "WARNING", *extra_args]
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=self._log, stderr=subprocess.STDOUT)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def wait_until_up(self, timeout: float = STARTUP_TIMEOUT_S) -> ServedStack:
        deadline = time.monotonic() + timeout
        while not self.tokens_file.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"tfnis serve exited {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"tfnis serve not up after {timeout:.0f} s:\n{self.log_tail()}")
            time.sleep(0.1)
        written = json.loads(self.tokens_file.read_text())
        return ServedStack(api_url=written["api"], tokens=written["tokens"])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        """Signal the server and wait; kill it (and report -9) if it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


@pytest.fixture(scope="session")
def served_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedStack]:
    # The council fixtures are returns of a few families: k = 5 would refuse them, and these tests are about the
    # journey, not k (tests/integration/test_disclosure_stage.py pins k on a generated return).
    server = ServeProcess(tmp_path_factory.mktemp("serve"), "--parameter", "DisclosureK=1")
    try:
        served = server.wait_until_up()
    except BaseException:
        server.stop()
        raise
    yield served
    code = server.stop()
    assert code == 0, f"tfnis serve exited {code} on SIGTERM:\n{server.log_tail()}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright, one per test module (the page tests and the API docs tests)."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()
