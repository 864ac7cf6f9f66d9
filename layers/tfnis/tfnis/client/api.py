"""A thin client of the submissions API; used by `tfnis upload`, `tfnis demo` and the e2e tests alike."""

from __future__ import annotations

import base64
import binascii
import csv
import json
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Where a council's wait ends: validation has said yes or no, or the pipeline gave up.
SETTLED = frozenset({"REJECTED", "VALIDATED", "MATCHED", "COMPLETE", "FAILED", "EXPIRED"})
FINISHED = frozenset({"REJECTED", "COMPLETE", "FAILED", "EXPIRED"})
NOT_CHECKED_YET = frozenset({"PENDING_UPLOAD", "RECEIVED", "VALIDATING"})


class ApiError(RuntimeError):
    """The API answered with an error status; the message is the API's own words (and its list of problems)."""

    def __init__(self, status: int, message: str, problems: Sequence[str] = ()) -> None:
        text = message.rstrip(".") + (": " + "; ".join(problems) if problems else "")
        super().__init__(f"The service answered {status}: {text}.")
        self.status = status
        self.message = message


class FilesNotReady(ValueError):
    """The files cannot be sent as they are; the message says why in a sentence, before any request is made."""


UPLOADABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def check_files(paths: Sequence[Path]) -> dict[str, Path]:
    """The files a council passes, checked before anything is sent: they exist, are files, are not empty and
    have names the service can take; mapped to the names the submission declares."""
    for path in paths:
        if not path.exists():
            raise FilesNotReady(f"{path} does not exist: check the name and the folder.")
        if not path.is_file():
            raise FilesNotReady(f"{path} is not a file.")
        if path.stat().st_size == 0:
            raise FilesNotReady(f"{path.name} is empty (0 bytes): save the return again and re-send.")
        if path.suffix.lower() == ".xls":
            raise FilesNotReady(f"{path.name} is an old Excel (.xls) file: save it as 'Excel Workbook (.xlsx)'.")
        if path.suffix.lower() not in UPLOADABLE_SUFFIXES:
            raise FilesNotReady(
                f"{path.name} is not a .csv or .xlsx file: send families.csv and individuals.csv, or one .xlsx."
            )
    return declared_files(paths)


def oversized(files: dict[str, Path], max_bytes: int) -> list[str]:
    """A sentence for each file larger than the service accepts."""
    return [
        f"{path.name} is {_size(path.stat().st_size)}; the service accepts files up to {_size(max_bytes)}."
        for path in files.values()
        if path.stat().st_size > max_bytes
    ]


def _size(n: int) -> str:
    return f"{n / (1 << 20):,.1f} MB" if n >= 1 << 20 else f"{n:,} bytes"


def token_problem(token: str, now: float | None = None) -> str | None:
    """What is wrong with a bearer token that can be told without asking the service (it is not a JWT, or it
    has expired), as a sentence; None when it looks usable. The signature is the service's to check."""
    if token.strip().lower().startswith("bearer ") or len(token.strip().split(".")) != 3:
        return "The token is not a sign-in token: copy it again, whole, from the upload page (without 'Bearer')."
    claims = token_claims(token)
    if claims is None:
        return "The token is damaged: copy it again, whole, from the upload page."
    expires = claims.get("exp")
    if isinstance(expires, int | float) and expires < (now if now is not None else time.time()):
        return "Your sign-in has expired: sign in again on the upload page and copy the new token."
    return None


def _unauthorised(response: Any) -> ApiError:
    """401: API Gateway says only "Unauthorized"; its WWW-Authenticate header may say why."""
    challenge = response.headers.get("www-authenticate", "")
    reason = re.search(r'error_description="([^"]*)"', challenge)
    why = f" ({reason[1]})" if reason else ""
    return ApiError(
        401,
        f"the service did not accept your token{why}. Sign in again on the upload page and copy the new token; "
        "if that fails, check that --api is your environment's address",
    )


def _storage_refusal(response: Any, name: str) -> ApiError:
    """S3 answers an upload with XML: say its message (and code) in a sentence, never the raw XML."""
    code = re.search(r"<Code>([^<]*)</Code>", response.text or "")
    message = re.search(r"<Message>([^<]*)</Message>", response.text or "")
    if code and code[1] == "EntityTooLarge":
        return ApiError(response.status_code, f"{name} is larger than the service accepts (EntityTooLarge)")
    if code and code[1] in ("AccessDenied", "ExpiredToken") and "expired" in (message[1] if message else "").lower():
        return ApiError(response.status_code, f"the upload link for {name} has expired: run the upload again")
    said = f"{message[1].rstrip('.')} ({code[1]})" if code and message else f"HTTP {response.status_code}"
    return ApiError(response.status_code, f"storage refused {name}: {said}")


def declared_files(paths: Sequence[Path]) -> dict[str, Path]:
    """Map the files a council passes to the names a submission declares (families.csv, individuals.csv or
    return.xlsx). CSVs are told apart by name, else by header (individuals carry person_id)."""
    if len(paths) == 1 and paths[0].suffix.lower() in (".xlsx", ".xlsm"):
        return {"return.xlsx": paths[0]}
    if len(paths) != 2:
        raise ValueError("give families.csv and individuals.csv, or one .xlsx workbook")
    by_name = {p.name.lower(): p for p in paths}
    if set(by_name) == {"families.csv", "individuals.csv"}:
        return {name: by_name[name] for name in ("families.csv", "individuals.csv")}
    roles: dict[str, Path] = {}
    for path in paths:
        header, _ = _header_and_first_row(path)
        roles["individuals.csv" if "person_id" in header else "families.csv"] = path
    if len(roles) != 2:
        raise ValueError("could not tell which file is families and which individuals (individuals have person_id)")
    return roles


def _header_and_first_row(path: Path) -> tuple[list[str], dict[str, str]]:
    """A CSV's header (as specification names, found below any title) and its first data row."""
    from tfnis.validation.reading import header_index, header_name

    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        rows = [row for _, row in zip(range(12), csv.reader(handle), strict=False)]
    if not rows:
        return [], {}
    at = header_index(rows)
    header = [header_name(name) for name in rows[at]]
    first = next((r for r in rows[at + 1 :] if any(v.strip() for v in r)), [])
    return header, dict(zip(header, first, strict=False))


def period_end_of(path: Path) -> str | None:
    """The period_end of a CSV return's first data row (a council need not type it twice)."""
    if path.suffix.lower() != ".csv":
        return None
    value = (_header_and_first_row(path)[1].get("period_end") or "").strip().split(" ")[0]
    day_first = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)  # DATA_SPEC accepts DD/MM/YYYY in returns
    return f"{day_first[3]}-{int(day_first[2]):02d}-{int(day_first[1]):02d}" if day_first else (value or None)


def token_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT, read without checking the signature (the API's authorizer checks it); None when the
    token is not a JWT or its claims are not an object."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    return claims if isinstance(claims, dict) else None


def council_of_token(token: str) -> str | None:
    """The `custom:la_code` claim of a Cognito ID token, read without checking the signature: only to choose
    which council's data to send; the API's authorizer checks the token and takes the council from it itself."""
    from tfnis.submissions.model import LA_CODE_CLAIM

    la_code = (token_claims(token) or {}).get(LA_CODE_CLAIM)
    return la_code if isinstance(la_code, str) and la_code else None


@dataclass
class SubmissionClient:
    api_url: str
    token: str
    timeout: float = 30.0

    def _session(self) -> Any:
        import requests

        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {self.token}"
        return session

    def _json(self, response: Any) -> Any:
        if response.status_code == 401:
            raise _unauthorised(response)
        try:
            body = response.json()
        except ValueError:
            body = {"message": response.text[:500]}
        if response.status_code >= 400:
            body = body if isinstance(body, dict) else {"message": str(body)}
            problems = [
                f"{p.get('field')}: {p.get('message')}" if p.get("field") else str(p.get("message"))
                for p in body.get("problems") or []
                if isinstance(p, dict)
            ]
            raise ApiError(response.status_code, str(body.get("message", "no message")), problems)
        return body

    def create(self, period_end: str, files: Sequence[str]) -> dict[str, Any]:
        response = self._session().post(
            f"{self.api_url.rstrip('/')}/submissions",
            json={"period_end": period_end, "files": list(files)},
            timeout=self.timeout,
        )
        return self._json(response)

    def get(self, submission_id: str) -> dict[str, Any]:
        return self._json(
            self._session().get(f"{self.api_url.rstrip('/')}/submissions/{submission_id}", timeout=self.timeout)
        )

    def list(self) -> list[dict[str, Any]]:
        return self._json(self._session().get(f"{self.api_url.rstrip('/')}/submissions", timeout=self.timeout))[
            "submissions"
        ]

    @staticmethod
    def upload(post: dict[str, Any], path: Path, progress: Callable[[int], None] | None = None) -> None:
        """Multipart POST of one file to its pre-signed URL, streamed, reporting bytes sent."""
        import requests
        from requests_toolbelt import MultipartEncoder, MultipartEncoderMonitor

        with path.open("rb") as handle:
            encoder = MultipartEncoder(
                fields={**post["fields"], "file": (path.name, handle, "application/octet-stream")}
            )
            sent = 0

            def _tick(monitor: MultipartEncoderMonitor) -> None:
                nonlocal sent
                if progress:
                    progress(monitor.bytes_read - sent)
                sent = monitor.bytes_read

            monitor = MultipartEncoderMonitor(encoder, _tick)
            response = requests.post(
                post["url"], data=monitor, headers={"Content-Type": monitor.content_type}, timeout=300
            )
        if response.status_code >= 300:
            raise _storage_refusal(response, path.name)

    def wait(
        self, submission_id: str, until: frozenset[str] = SETTLED, timeout: float = 600, poll: float = 0.5
    ) -> dict[str, Any]:
        """Poll until the submission reaches one of `until`; returns its last state (also on timeout)."""
        deadline = time.monotonic() + timeout
        while True:
            submission = self.get(submission_id)
            if submission["status"] in until or time.monotonic() > deadline:
                return submission
            time.sleep(poll)

    def report(self, submission: dict[str, Any], kind: str = "validation_json") -> Any:
        """Fetch one report through its short-lived link (JSON reports parsed, others as text)."""
        import requests

        url = submission.get("reports", {}).get(kind)
        if not url:
            return None
        response = requests.get(url, timeout=self.timeout)
        if response.status_code >= 300:
            raise ApiError(response.status_code, "the report link did not work (it may have expired); ask again")
        return response.json() if kind.endswith("_json") else response.text
