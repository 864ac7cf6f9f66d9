"""`tfnis serve` as a council and an engineer meet it: a URL, dev tokens, the authorizer, a clean stop."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import jwt
import pytest
import requests

from tests.e2e.conftest import ServedStack, ServeProcess
from tfnis_local.tokens import DEV_COUNCILS, LA_CODE_CLAIM

pytestmark = pytest.mark.e2e


def test_serve_writes_the_api_url_and_a_token_per_dev_council(served_stack: ServedStack) -> None:
    api_url, tokens = served_stack
    assert api_url.startswith("http://127.0.0.1:")
    assert set(tokens) == set(DEV_COUNCILS)
    for la_code, token in tokens.items():
        assert jwt.decode(token, options={"verify_signature": False})[LA_CODE_CLAIM] == la_code


def test_the_api_refuses_a_request_without_a_token(served_stack: ServedStack) -> None:
    response = requests.get(f"{served_stack.api_url}/submissions", timeout=30)
    assert response.status_code == 401


def test_the_api_refuses_a_token_it_did_not_issue(served_stack: ServedStack) -> None:
    claims = jwt.decode(served_stack.tokens["E08000025"], options={"verify_signature": False})
    forged = jwt.encode(claims, "a guessed secret of thirty-two bytes!", algorithm="HS256")
    response = requests.get(
        f"{served_stack.api_url}/submissions", headers={"Authorization": f"Bearer {forged}"}, timeout=30
    )
    assert response.status_code == 401


def test_a_dev_token_reaches_the_submissions_api(served_stack: ServedStack) -> None:
    response = requests.get(
        f"{served_stack.api_url}/submissions",
        headers={"Authorization": f"Bearer {served_stack.tokens['E06000017']}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_stops_cleanly_on_ctrl_c_and_sigterm(tmp_path: Path, sig: int) -> None:
    server = ServeProcess(tmp_path)
    served = server.wait_until_up()
    assert server.stop(sig, timeout=90) == 0, server.log_tail()  # a loaded CI machine is slow to unwind
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{served.api_url}/submissions", timeout=5)


@pytest.mark.slow
def test_serve_on_a_taken_port_exits_with_an_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = ServeProcess(tmp_path, "--port", str(taken.getsockname()[1]))
        code = server.process.wait(90)
        server.stop()
    assert code != 0
    assert "Address already in use" in server.log_tail()
