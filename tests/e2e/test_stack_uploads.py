"""Uploads to `tfnis serve` go over real HTTP to pre-signed POSTs whose policy is held as S3 holds it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from tests.e2e.conftest import ServedStack, ServeProcess

pytestmark = pytest.mark.e2e


def create_submission(api_url: str, token: str) -> dict[str, Any]:
    created = requests.post(
        f"{api_url}/submissions",
        json={"period_end": "2024-03-31", "files": ["families.csv", "individuals.csv"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    return created.json()


def post_file(post: dict[str, Any], content: bytes, **field_changes: str) -> requests.Response:
    fields = {**post["fields"], **field_changes}
    return requests.post(post["url"], data=fields, files={"file": ("families.csv", content)}, timeout=60)


def test_a_council_cannot_redirect_its_upload_to_another_councils_prefix(served_stack: ServedStack) -> None:
    created = create_submission(served_stack.api_url, served_stack.tokens["E08000025"])
    post = created["uploads"]["families.csv"]
    elsewhere = post["fields"]["key"].replace("E08000025", "E09000012")
    response = post_file(post, b"la_code\n", key=elsewhere)
    assert response.status_code == 403, response.text
    assert "<Code>AccessDenied</Code>" in response.text


def test_an_upload_within_its_policy_is_accepted(served_stack: ServedStack) -> None:
    created = create_submission(served_stack.api_url, served_stack.tokens["E06000017"])
    response = post_file(created["uploads"]["families.csv"], b"la_code\nE06000017\n")
    assert response.status_code in (200, 201, 204), response.text


@pytest.mark.slow
def test_an_upload_over_upload_max_bytes_is_refused(tmp_path: Path) -> None:
    server = ServeProcess(tmp_path, "--parameter", "UploadMaxBytes=1024")
    try:
        served = server.wait_until_up()
        created = create_submission(served.api_url, served.tokens["E08000018"])
        response = post_file(created["uploads"]["families.csv"], b"x" * 1025)
        assert response.status_code == 400 and "<Code>EntityTooLarge</Code>" in response.text
    finally:
        assert server.stop() == 0, server.log_tail()
