"""The local stack's page server and development sign-in (tfnis_local.web), without a stack."""

from __future__ import annotations

import json
from pathlib import Path

from tfnis_local.tokens import DevTokenIssuer
from tfnis_local.web import UploadPage


def page(tmp_path: Path) -> tuple[UploadPage, DevTokenIssuer]:
    root = tmp_path / "build"
    (root / "assets").mkdir(parents=True)
    (root / "index.html").write_text("<!DOCTYPE html><title>page</title>")
    (root / "assets" / "app.js").write_text("start();")
    (tmp_path / "secret.txt").write_text("outside the page")
    issuer = DevTokenIssuer(issuer="https://issuer.example", audiences=("client",))
    return UploadPage(root, ("E08000025", "E09000012"), issuer), issuer


def test_the_page_is_served_at_the_root_with_its_assets_and_no_referrer(tmp_path: Path) -> None:
    upload_page, _ = page(tmp_path)
    status, headers, body = upload_page.handle("GET", "/", b"")
    assert status == 200 and body.startswith(b"<!DOCTYPE html>")
    assert headers["content-type"] == "text/html; charset=utf-8" and headers["referrer-policy"] == "no-referrer"
    status, headers, _ = upload_page.handle("GET", "/assets/app.js", b"")
    assert status == 200 and "javascript" in headers["content-type"]


def test_nothing_outside_the_built_page_is_served(tmp_path: Path) -> None:
    upload_page, _ = page(tmp_path)
    assert upload_page.handle("GET", "/../secret.txt", b"") is None
    assert upload_page.handle("GET", "/assets/../../secret.txt", b"") is None
    assert upload_page.handle("GET", "/submissions", b"") is None  # left to the API's routes
    assert upload_page.handle("POST", "/index.html", b"") is None


def test_an_unbuilt_page_says_how_to_build_it(tmp_path: Path) -> None:
    upload_page = UploadPage(tmp_path / "missing", ("E08000025",))
    status, _, body = upload_page.handle("GET", "/", b"")
    assert status == 503 and b"make web" in body


def test_dev_sign_in_mints_a_token_for_one_of_the_stacks_councils_only(tmp_path: Path) -> None:
    upload_page, issuer = page(tmp_path)
    status, _, body = upload_page.handle("GET", "/dev/councils", b"")
    assert status == 200
    assert json.loads(body)["councils"][0] == {"la_code": "E08000025", "name": "Birmingham"}
    status, _, body = upload_page.handle("POST", "/dev/sign-in", b'{"la_code": "E09000012"}')
    assert status == 200
    assert issuer.verify(json.loads(body)["id_token"])["custom:la_code"] == "E09000012"
    for refused in (b'{"la_code": "E06000001"}', b"not json", b"[]"):
        assert upload_page.handle("POST", "/dev/sign-in", refused)[0] == 400


def test_the_template_workbook_is_made_by_tfnis_template(tmp_path: Path) -> None:
    from tfnis.spec.template_workbook import template_workbook

    upload_page, _ = page(tmp_path)
    status, headers, body = upload_page.handle("GET", "/return-template.xlsx", b"")
    assert status == 200 and body[:2] == b"PK"
    # the same workbook as `tfnis template` makes (compared by content: a zip's bytes carry the time it was made)
    assert sheets_and_headers(body) == sheets_and_headers(template_workbook())
    assert headers["content-disposition"] == 'attachment; filename="return.xlsx"'


def sheets_and_headers(workbook: bytes) -> dict[str, list[object]]:
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook), read_only=True)
    return {sheet.title: [c.value for c in next(sheet.iter_rows(max_row=1))] for sheet in book.worksheets}


def test_swagger_ui_is_served_at_docs_from_its_own_build_and_nothing_beside_it(tmp_path: Path) -> None:
    docs = tmp_path / "build-docs"
    docs.mkdir()
    (docs / "index.html").write_text("<!DOCTYPE html><title>docs</title>")
    (docs / "swagger-ui-bundle.js").write_text("SwaggerUIBundle = () => {};")
    upload_page = UploadPage(tmp_path / "build", ("E08000025",), docs_root=docs)
    for path in ("/docs", "/docs/"):
        status, headers, body = upload_page.handle("GET", path, b"")
        assert status == 200 and body.startswith(b"<!DOCTYPE html><title>docs")
    status, headers, _ = upload_page.handle("GET", "/docs/swagger-ui-bundle.js", b"")
    assert status == 200 and "javascript" in headers["content-type"]
    assert upload_page.handle("GET", "/docs/../secret.txt", b"") is None
    assert upload_page.handle("GET", "/docs/missing.js", b"") is None
    assert upload_page.handle("POST", "/docs", b"") is None
    unbuilt = UploadPage(tmp_path / "build", ("E08000025",), docs_root=tmp_path / "none")
    status, _, body = unbuilt.handle("GET", "/docs", b"")
    assert status == 503 and b"make web" in body
