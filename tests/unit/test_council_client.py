"""`tfnis upload` and `tfnis result` as a council meets them, against a small stand-in for the API and S3 over
real HTTP (http.server): what is checked before any request, and each answer the service gives, in a sentence."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tfnis.cli.main import main

VALID = Path(__file__).resolve().parents[1] / "data" / "valid"


def a_token(expires_in: float = 3600) -> str:
    def part(body: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part({'custom:la_code': 'E09000033', 'exp': time.time() + expires_in})}.sig"


class Service:
    """Answers each request with the next canned (status, headers, body) for its method and path prefix."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.answers: dict[tuple[str, str], tuple[int, dict[str, str], bytes]] = {}
        self.url = ""

    def answer(self, method: str, path: str, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.answers[(method, path)] = (status, headers or {"content-type": "application/json"}, data)

    def respond(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        if length:
            handler.rfile.read(length)
        self.requests.append((handler.command, handler.path))
        found = next(
            (v for (m, p), v in self.answers.items() if m == handler.command and handler.path.startswith(p)), None
        )
        status, headers, body = found or (404, {}, b'{"message": "Not Found"}')
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("content-length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@pytest.fixture
def service() -> Iterator[Service]:
    state = Service()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.respond(self)

        def do_POST(self) -> None:
            state.respond(self)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


def created(service: Service, max_bytes: int = 1 << 20) -> dict[str, Any]:
    upload = {"url": f"{service.url}/s3", "fields": {"key": "uploads/x"}}
    return {
        "submission_id": "20261126T101010-abcd1234", "la_code": "E09000033", "period_end": "2024-03-31",
        "status": "PENDING_UPLOAD", "uploads": {"families.csv": upload, "individuals.csv": upload},
        "max_bytes": max_bytes,
    }  # fmt: skip


def upload(service: Service, *files: Path, token: str | None = None) -> int:
    args = ["upload", "--api", service.url, "--token", token or a_token(), *map(str, files)]
    return main(args)


VALID_FILES = (VALID / "families.csv", VALID / "individuals.csv")


def test_an_empty_file_is_refused_before_any_request(service, tmp_path, capsys):
    (tmp_path / "families.csv").write_bytes(b"")
    assert upload(service, tmp_path / "families.csv", VALID / "individuals.csv") == 2
    assert "families.csv is empty (0 bytes)" in capsys.readouterr().err
    assert service.requests == []


def test_a_missing_file_is_refused_before_any_request(service, tmp_path, capsys):
    assert upload(service, tmp_path / "nope.csv", VALID / "individuals.csv") == 2
    assert "does not exist" in capsys.readouterr().err and service.requests == []


def test_a_file_with_a_name_the_service_cannot_take_is_refused(service, tmp_path, capsys):
    (tmp_path / "return.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    assert upload(service, tmp_path / "return.xls") == 2
    assert "save it as 'Excel Workbook (.xlsx)'" in capsys.readouterr().err and service.requests == []


@pytest.mark.parametrize(
    ("token", "says"),
    [("not-a-token", "not a sign-in token"), (a_token(expires_in=-60), "sign in again"), ("a.%%%.c", "damaged")],
)
def test_a_malformed_or_expired_token_is_explained_before_any_request(service, capsys, token, says):
    assert upload(service, *VALID_FILES, token=token) == 2
    assert says in capsys.readouterr().err and service.requests == []


def test_a_file_over_the_apis_size_limit_is_not_sent(service, capsys):
    service.answer("POST", "/submissions", 201, created(service, max_bytes=500))
    assert upload(service, *VALID_FILES) == 2
    err = capsys.readouterr().err
    size = (VALID / "individuals.csv").stat().st_size
    assert f"individuals.csv is {size:,} bytes; the service accepts files up to 500 bytes" in err
    assert "will expire unused" in err
    assert service.requests == [("POST", "/submissions")]  # created, then nothing sent to storage


def test_the_apis_own_message_and_problems_are_printed(service, capsys):
    body = {"message": "invalid request", "problems": [{"field": "period_end", "message": "not 31 March"}]}
    service.answer("POST", "/submissions", 400, body)
    assert upload(service, *VALID_FILES) == 2
    assert "The service answered 400: invalid request: period_end: not 31 March." in capsys.readouterr().err


def test_401_says_to_sign_in_again_and_why_when_the_gateway_says(service, capsys):
    challenge = 'Bearer scope="" error="invalid_token" error_description="the token has expired"'
    service.answer("POST", "/submissions", 401, {"message": "Unauthorized"}, {"www-authenticate": challenge})
    assert upload(service, *VALID_FILES) == 2
    err = capsys.readouterr().err
    assert "did not accept your token (the token has expired)" in err and "Sign in again" in err


def test_storage_refusing_a_file_is_a_sentence_not_xml(service, capsys):
    service.answer("POST", "/submissions", 201, created(service))
    xml = b"<Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum</Message></Error>"
    service.answer("POST", "/s3", 400, xml, {"content-type": "application/xml"})
    assert upload(service, *VALID_FILES) == 2
    err = capsys.readouterr().err
    assert "larger than the service accepts" in err and "<Error>" not in err


def test_an_unreachable_api_is_said_in_a_sentence(capsys):
    args = ["upload", "--api", "http://127.0.0.1:9", "--token", a_token(), *map(str, VALID_FILES)]
    assert main(args) == 3
    err = capsys.readouterr().err
    assert "cannot reach the service at http://127.0.0.1:9" in err and "Errno" not in err and "Traceback" not in err


def test_upload_without_wait_says_how_to_see_the_result(service, capsys):
    service.answer("POST", "/submissions", 201, created(service))
    service.answer("POST", "/s3", 204, b"")
    assert upload(service, *VALID_FILES) == 0
    out, err = capsys.readouterr()
    assert out.strip() == "20261126T101010-abcd1234" and "tfnis result 20261126T101010-abcd1234" in err


def result(service: Service, submission: dict[str, Any], report: dict[str, Any] | None) -> int:
    service.answer("GET", "/submissions/", 200, submission)
    if report is not None:
        service.answer("GET", "/reports/validation.json", 200, report)
    return main(["result", submission["submission_id"], "--api", service.url, "--token", a_token()])


def a_submission(service: Service, status: str) -> dict[str, Any]:
    return {
        "submission_id": "20261126T101010-abcd1234", "la_code": "E09000033", "period_end": "2024-03-31",
        "status": status, "counts": {"families": 3, "individuals": 8, "errors": 1}, "reason": None,
        "findings_summary": {"INVALID_CODE": 1}, "report_links_expire_in_seconds": 300,
        "reports": {"validation_json": f"{service.url}/reports/validation.json",
                    "validation_html": f"{service.url}/reports/validation.html"},
    }  # fmt: skip


def test_result_shows_status_counts_findings_and_fresh_links_and_exits_as_validate(service, capsys):
    finding = {"file": "RETURN.xlsx[individuals]", "row": 6, "column": "sex", "rule": "INVALID_CODE",
               "severity": "error", "message": "Sex must be one of: 0, 1, 2, 9."}  # fmt: skip
    assert result(service, a_submission(service, "REJECTED"), {"findings": [finding]}) == 1
    out = capsys.readouterr().out
    assert "Submission 20261126T101010-abcd1234: REJECTED" in out and "families 3, individuals 8" in out
    assert "A value is not one of the allowed codes (INVALID_CODE, error)" in out
    assert "RETURN.xlsx, sheet individuals, row 6, column sex" in out
    assert f"validation_html: {service.url}/reports/validation.html" in out


def test_result_of_a_valid_return_exits_0(service, capsys):
    assert result(service, a_submission(service, "VALIDATED"), {"findings": []}) == 0


def test_result_not_checked_yet_exits_3_and_says_so(service, capsys):
    submission = a_submission(service, "RECEIVED") | {"reports": {}}
    assert result(service, submission, None) == 3
    assert "Not checked yet" in capsys.readouterr().out


def test_result_of_an_unknown_submission_prints_the_apis_message(service, capsys):
    service.answer("GET", "/submissions/", 404, {"message": "no submission 2026X for your council"})
    assert main(["result", "2026X", "--api", service.url, "--token", a_token()]) == 2
    assert "no submission 2026X for your council" in capsys.readouterr().err


def test_result_of_an_expired_submission_gives_its_reason_and_exits_3(service, capsys):
    reason = "its upload links expired before every file arrived; create a new submission and upload again"
    submission = a_submission(service, "EXPIRED") | {"reports": {}, "reason": reason}
    assert result(service, submission, None) == 3
    out = capsys.readouterr().out
    assert reason in out and "Not checked yet" not in out
