"""Swagger UI at /docs of `tfnis serve`, in a real browser (Debian's Chromium driven by Playwright).

The page renders every operation of GET /openapi.json (read with a dev token, as the route is behind the JWT
authorizer), every file it loads comes from the stack itself (swagger-ui-dist from npm, no CDN), and "Try it
out" reaches the API as the signed-in council.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ServedStack

pytestmark = pytest.mark.e2e

OPERATIONS = {
    ("post", "/submissions"),
    ("get", "/submissions"),
    ("get", "/submissions/{submission_id}"),
    ("post", "/references"),
    ("get", "/references/{upload_id}"),
}


@pytest.fixture
def docs(browser: Browser, served_stack: ServedStack) -> Iterator[tuple[Page, list[str]]]:
    context = browser.new_context(base_url=served_stack.api_url, viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    requested: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/docs")
    yield page, requested
    context.close()
    assert not errors, f"the docs page's script failed: {errors}"


def test_docs_renders_every_operation_from_the_stacks_own_files(
    docs: tuple[Page, list[str]], served_stack: ServedStack
) -> None:
    page, requested = docs
    expect(page.locator(".opblock")).to_have_count(len(OPERATIONS), timeout=30_000)
    shown = {
        (
            block.get_attribute("class").split("opblock-")[1].split()[0],
            block.locator(".opblock-summary-path").inner_text(),
        )
        for block in page.locator(".opblock").all()
    }
    assert {(method, path.replace("\u200b", "")) for method, path in shown} == OPERATIONS
    expect(page.get_by_text("tfnis submissions API")).to_be_visible()
    assert requested and all(url.startswith(served_stack.api_url) for url in requested), requested


def test_try_it_out_lists_the_signed_in_councils_submissions(docs: tuple[Page, list[str]]) -> None:
    page, _ = docs
    operation = page.locator("#operations-default-list_submissions_submissions_get")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    answer = operation.locator(".live-responses-table tr.response")
    expect(answer.locator(".response-col_status")).to_have_text("200", timeout=30_000)
    expect(answer.locator(".response-col_description")).to_contain_text('"max_bytes"')
