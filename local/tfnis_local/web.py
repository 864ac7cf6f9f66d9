"""The upload page on the local HTTP API's origin, and the embedded stack's development sign-in.

On AWS the page is served by CloudFront from S3 and officers sign in with Cognito's hosted UI. Locally there is
no Cognito, so the stack serves the built page (web/build, made by `make web`) at `/` and adds what only it can:
`GET /dev/councils` lists its councils and `POST /dev/sign-in {"la_code": …}` mints that council's dev token.
It also serves Swagger UI at `/docs` (web/build-docs: swagger-ui-dist from npm), which reads the API's own
`GET /openapi.json` with a dev token.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfnis_local.tokens import DEV_COUNCIL_NAMES, DevTokenIssuer

Response = tuple[int, dict[str, str], bytes]
TEMPLATE_PATH = "/return-template.xlsx"  # `tfnis template`'s workbook, linked from the page

# Headers the page is served with (on AWS, CloudFront's response headers policy sets the same).
PAGE_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",  # report links are pre-signed: never pass them on
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


def default_page_root() -> Path:
    """web/build of this repository (local/ is not shipped, so the repository is always beside it)."""
    return Path(__file__).resolve().parents[2] / "web" / "build"


def default_docs_root() -> Path:
    """web/build-docs of this repository: Swagger UI and its page, built by `make web` beside the upload page."""
    return Path(__file__).resolve().parents[2] / "web" / "build-docs"


@dataclass
class UploadPage:
    """Answers GET for the page's files and the dev sign-in; anything else is left to the API's routes."""

    root: Path
    councils: tuple[str, ...]
    issuer: DevTokenIssuer | None = None
    docs_root: Path = field(default_factory=default_docs_root)

    def handle(self, method: str, path: str, body: bytes) -> Response | None:
        if path == "/docs" or path.startswith("/docs/"):
            return self._docs(path) if method in ("GET", "HEAD") else None
        if path == "/dev/councils" and method in ("GET", "HEAD"):
            councils = [{"la_code": c, "name": DEV_COUNCIL_NAMES.get(c, c)} for c in self.councils]
            return _json(200, {"councils": councils})
        if path == "/dev/sign-in" and method == "POST":
            return self._sign_in(body)
        if path == "/config.json" and method in ("GET", "HEAD"):
            # The page reads how to sign in and where the API is; the API is this origin.
            return _json(200, {"api": "", "sign_in": "dev"})
        if path == TEMPLATE_PATH and method in ("GET", "HEAD"):
            return self._template_workbook()
        if method in ("GET", "HEAD"):
            return self._file(path)
        return None

    @staticmethod
    def _template_workbook() -> Response:
        """Made from the column rules on each request (on AWS it is published beside the page, docs/deploy.md)."""
        from tfnis.spec.template_workbook import template_workbook

        headers = {
            "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "content-disposition": 'attachment; filename="return.xlsx"',
            **PAGE_HEADERS,
        }
        return 200, headers, template_workbook()

    def _sign_in(self, body: bytes) -> Response:
        try:
            request: Any = json.loads(body or b"{}")
        except ValueError:
            return _json(400, {"message": 'send {"la_code": "<one of GET /dev/councils>"}'})
        la_code = request.get("la_code") if isinstance(request, dict) else None
        if self.issuer is None or la_code not in self.councils:
            return _json(400, {"message": "choose one of the embedded stack's councils (GET /dev/councils)"})
        return _json(200, {"id_token": self.issuer.mint(la_code), "la_code": la_code})

    def _docs(self, path: str) -> Response | None:
        relative = path.removeprefix("/docs").strip("/") or "index.html"
        if not (self.docs_root / "index.html").is_file():
            message = b"Swagger UI is not built: run `make web` (npm ci and web/build.mjs)."
            return 503, {"content-type": "text/plain; charset=utf-8"}, message
        return self._file(f"/{relative}", self.docs_root)

    def _file(self, path: str, root: Path | None = None) -> Response | None:
        relative = "index.html" if path in ("", "/") else path.lstrip("/")
        root = (root or self.root).resolve()
        target = (root / relative).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            if path in ("", "/"):
                message = b"The upload page is not built: run `make web` (npm ci and web/build.mjs)."
                return 503, {"content-type": "text/plain; charset=utf-8"}, message
            return None  # not a file of the page: the API answers (its routes or 404)
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        return 200, {"content-type": content_type, **PAGE_HEADERS}, target.read_bytes()


def _json(status: int, payload: Any) -> Response:
    return status, {"content-type": "application/json", "cache-control": "no-store"}, json.dumps(payload).encode()
