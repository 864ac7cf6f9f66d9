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


class ApiError(RuntimeError):
    """The API answered with an error status; the message is the API's own words."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


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
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            header = next(csv.reader(handle), [])
        roles["individuals.csv" if "person_id" in header else "families.csv"] = path
    if len(roles) != 2:
        raise ValueError("could not tell which file is families and which individuals (individuals have person_id)")
    return roles


def period_end_of(path: Path) -> str | None:
    """The period_end of a CSV return's first data row (a council need not type it twice)."""
    if path.suffix.lower() != ".csv":
        return None
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        row = next(csv.DictReader(handle), None)
    value = ((row or {}).get("period_end") or "").strip()
    day_first = re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", value)  # DATA_SPEC accepts DD/MM/YYYY in returns
    return f"{day_first[3]}-{day_first[2]}-{day_first[1]}" if day_first else (value or None)


def council_of_token(token: str) -> str | None:
    """The `custom:la_code` claim of a Cognito ID token, read without checking the signature: only to choose
    which council's data to send; the API's authorizer checks the token and takes the council from it itself."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, binascii.Error):
        return None
    la_code = claims.get("custom:la_code") if isinstance(claims, dict) else None
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
        try:
            body = response.json()
        except ValueError:
            body = {"message": response.text[:500]}
        if response.status_code >= 400:
            raise ApiError(response.status_code, str(body.get("message", body)))
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
            raise ApiError(response.status_code, f"upload of {path.name} refused: {response.text[:300]}")

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
        response.raise_for_status()
        return response.json() if kind.endswith("_json") else response.text
