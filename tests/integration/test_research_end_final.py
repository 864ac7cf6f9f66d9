"""Research end is final (DESIGN.md invariant 5): nothing that arrives after it brings personal data back.

Each test runs its own embedded stack (research end closes it for good): forms go over HTTP to the pre-signed
POSTs, S3 notifies UploadQueue, and the pumps hand real SQS events to the same handlers Lambda runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_validate_stage import COUNCIL, council_files
from tfnis.client import SubmissionClient
from tfnis.pipeline.locations import LINKAGE_INDEX_KEY

PERSONAL = ("UploadBucket", "LinkageBucket", "WorkBucket")


@pytest.fixture
def stack() -> Iterator[Any]:
    from tfnis_local.stack import LocalStack

    with LocalStack(stack_name=f"tfnis-end-{os.getpid()}") as running:
        yield running


def versions(stack: Any, logical_id: str, prefix: str = "") -> int:
    listing = stack.client("s3").list_object_versions(Bucket=stack.resources.buckets[logical_id], Prefix=prefix)
    return len(listing.get("Versions", [])) + len(listing.get("DeleteMarkers", []))


def audit_events(stack: Any) -> list[dict[str, Any]]:
    import json

    s3, bucket = stack.client("s3"), stack.resources.buckets["AuditBucket"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="audit/").get("Contents", [])]
    return [json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read()) for k in keys]


def end_research(stack: Any) -> dict[str, Any]:
    certificate = stack.invoke("ResearchEndFunction", {"confirm": True, "source": "test"})
    assert certificate["complete"] is True
    return certificate


def pump(stack: Any, queue: str) -> Any:
    return next(p for p in stack.pumps if p.source.queue_logical_id == queue)


def test_a_form_issued_before_research_end_and_used_after_it_leaves_no_personal_object(
    stack: Any, tmp_path: Path
) -> None:
    client = SubmissionClient(stack.api_url, stack.token_for(COUNCIL))
    files = council_files(tmp_path)
    created = client.create("2024-03-31", list(files))
    end_research(stack)

    for name, path in files.items():  # the forms are still within their 15 minutes
        client.upload(created["uploads"][name], path)
    stack.drain(timeout=120)

    assert {bucket: versions(stack, bucket) for bucket in PERSONAL} == dict.fromkeys(PERSONAL, 0)
    assert versions(stack, "LinkageBucket", LINKAGE_INDEX_KEY) == 0
    assert versions(stack, "ResearchBucket", "extract/") == 0
    assert versions(stack, "ResearchBucket", "staging/") == 0
    deleted = [e for e in audit_events(stack) if e["event"] == "upload_deleted"]
    assert {e["reason"] for e in deleted} == {"research_ended"} and len(deleted) == len(files)


def test_a_message_queued_before_research_end_and_processed_after_it_writes_nothing(stack: Any, tmp_path: Path) -> None:
    client = SubmissionClient(stack.api_url, stack.token_for(COUNCIL))
    files = council_files(tmp_path)
    created = client.create("2024-03-31", list(files))
    for name, path in files.items():
        client.upload(created["uploads"][name], path)
    uploads = pump(stack, "UploadQueue")
    while client.get(created["submission_id"])["status"] != "VALIDATED":
        assert uploads.poll_once(wait_s=1) or uploads.counts.invocations < 10, "validation did not happen"
    assert stack.queue_depths()["MatchQueue"]["visible"] == 1  # matching and coverage are queued, not run

    end_research(stack)
    stack.drain(timeout=120)

    assert {bucket: versions(stack, bucket) for bucket in PERSONAL} == dict.fromkeys(PERSONAL, 0)
    assert versions(stack, "LinkageBucket", LINKAGE_INDEX_KEY) == 0
    assert versions(stack, "ResearchBucket", "extract/") == 0
    assert versions(stack, "ResearchBucket", "staging/") == 0
    assert versions(stack, "ReportsBucket", "coverage-latest/") == 0
    assert client.get(created["submission_id"])["status"] == "VALIDATED"  # nothing moved it on
    assert all(stack.queue_depths()[q]["visible"] == 0 for q in ("MatchDLQ", "AnonymiseDLQ", "CoverageDLQ"))


def test_after_research_end_the_api_refuses_and_forms_never_outlive_it(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from tfnis_local.stack import LocalStack

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    with LocalStack(stack_name=f"tfnis-end-soon-{os.getpid()}", parameters={"ResearchEndDate": tomorrow}) as running:
        client = SubmissionClient(running.api_url, running.token_for(COUNCIL))
        created = client.create("2024-03-31", ["return.xlsx"])
        left = (datetime.fromisoformat(f"{tomorrow}T00:00:00+00:00") - datetime.now(UTC)).total_seconds()
        assert created["upload_expires_in_seconds"] <= min(900, left + 1)
        end_research(running)
        from tfnis.client import ApiError

        with pytest.raises(ApiError) as refused:
            client.create("2024-03-31", ["return.xlsx"])
        assert refused.value.status == 410
