"""Pre-signed POST uploads to the local stack are held to their policy, as S3 holds them (moto alone does not)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tfnis_local.stack import LocalStack

TEMPLATE = Path(__file__).resolve().parent / "local_stack" / "template.yaml"
KEY = "in/E08000025/sub-1/families.csv"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(TEMPLATE, stack_name="post-test") as running:
        yield running


def presigned(stack: LocalStack, key: str = KEY, max_bytes: int = 100, expires: int = 900) -> dict[str, Any]:
    return stack.client("s3").generate_presigned_post(
        Bucket=stack.resources.buckets["InboxBucket"],
        Key=key,
        Fields={"x-amz-server-side-encryption": "aws:kms"},
        Conditions=[["content-length-range", 1, max_bytes], {"x-amz-server-side-encryption": "aws:kms"}],
        ExpiresIn=expires,
    )


def upload(post: dict[str, Any], content: bytes, **field_changes: str) -> requests.Response:
    fields = {**post["fields"], **field_changes}
    return requests.post(post["url"], data=fields, files={"file": ("families.csv", content)}, timeout=30)


def stored(stack: LocalStack, key: str) -> bool:
    listed = stack.client("s3").list_objects_v2(Bucket=stack.resources.buckets["InboxBucket"], Prefix=key)
    return listed.get("KeyCount", 0) > 0


def test_an_upload_within_its_policy_is_stored(stack: LocalStack) -> None:
    response = upload(presigned(stack), b"la_code\nE08000025\n")
    assert response.status_code == 204, response.text
    assert stored(stack, KEY)


def test_an_upload_over_the_size_cap_is_refused(stack: LocalStack) -> None:
    key = "in/too-big.csv"
    response = upload(presigned(stack, key=key, max_bytes=10), b"x" * 11)
    assert response.status_code == 400 and "<Code>EntityTooLarge</Code>" in response.text
    assert not stored(stack, key)


def test_an_upload_to_another_key_is_refused(stack: LocalStack) -> None:
    response = upload(presigned(stack), b"data", key="in/E09000012/sub-9/families.csv")
    assert response.status_code == 403 and "Policy Condition failed" in response.text
    assert not stored(stack, "in/E09000012/")


def test_a_policy_edited_by_the_client_fails_its_signature(stack: LocalStack) -> None:
    post = presigned(stack, max_bytes=10)
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    policy["conditions"] = [
        c for c in policy["conditions"] if not (isinstance(c, list) and c[0] == "content-length-range")
    ]
    forged = base64.b64encode(json.dumps(policy).encode()).decode()
    response = upload(post, b"x" * 50, policy=forged)
    assert response.status_code == 403 and "SignatureDoesNotMatch" in response.text


def test_an_expired_policy_is_refused(stack: LocalStack) -> None:
    response = upload(presigned(stack, expires=-60), b"data")
    assert response.status_code == 403 and "Policy expired" in response.text


def test_a_field_the_policy_does_not_cover_is_refused(stack: LocalStack) -> None:
    response = upload(presigned(stack), b"data", **{"x-amz-meta-note": "added"})
    assert response.status_code == 403 and "Extra input fields" in response.text
