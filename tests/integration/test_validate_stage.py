"""The validate stage on the embedded stack: not-a-return files, crashes, duplicates, late events.

Uploads go over HTTP to the pre-signed POSTs; S3 notifies UploadQueue; the stack pumps real SQS events into
the same handler Lambda runs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA
from tfnis.client import SubmissionClient

# The fixture returns are a few families: k = 5 would refuse them, and this file is not about k
# (tests/integration/test_disclosure_stage.py pins k on a generated return).
SMALL_RETURNS = {"DisclosureK": "1"}

COUNCIL = "E08000025"


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    from tfnis_local.stack import LocalStack

    with LocalStack(stack_name=f"tfnis-validate-{os.getpid()}", parameters=SMALL_RETURNS) as running:
        yield running


def council_files(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for name in ("families.csv", "individuals.csv"):
        files[name] = tmp_path / name
        files[name].write_text((DATA / "valid" / name).read_text().replace("E09000033", COUNCIL))
    return files


def submit(stack: Any, files: dict[str, Path]) -> tuple[SubmissionClient, str]:
    client = SubmissionClient(stack.api_url, stack.token_for(COUNCIL))
    created = client.create("2024-03-31", list(files))
    for name, path in files.items():
        client.upload(created["uploads"][name], path)
    return client, created["submission_id"]


def upload_versions(stack: Any, submission_id: str) -> int:
    s3 = stack.client("s3")
    prefix = f"uploads/{COUNCIL}/{submission_id}/"
    listing = s3.list_object_versions(Bucket=stack.resources.buckets["UploadBucket"], Prefix=prefix)
    return len(listing.get("Versions", []))


def dlq_depth(stack: Any, logical_id: str) -> int:
    return stack.queue_depths()[logical_id]["visible"]


def test_a_binary_file_is_rejected_with_a_report_and_never_reaches_the_dlq(stack: Any, tmp_path: Path) -> None:
    files = council_files(tmp_path)
    files["families.csv"].write_bytes(os.urandom(4096))
    client, submission_id = submit(stack, files)
    stack.drain(timeout=120)
    submission = client.get(submission_id)
    assert submission["status"] == "REJECTED"
    report = client.report(submission)
    assert report["status"] == "REJECTED"
    assert {f["file"] for f in report["findings"] if f["severity"] == "error"} >= {"families.csv"}
    assert dlq_depth(stack, "UploadDLQ") == 0


def test_an_upload_for_no_known_submission_is_ignored_and_kept(stack: Any) -> None:
    bucket = stack.resources.buckets["UploadBucket"]
    stack.client("s3").put_object(Bucket=bucket, Key=f"uploads/{COUNCIL}/no-such-submission/families.csv", Body=b"x")
    stack.drain(timeout=60)
    assert dlq_depth(stack, "UploadDLQ") == 0
    assert stack.client("s3").head_object(Bucket=bucket, Key=f"uploads/{COUNCIL}/no-such-submission/families.csv")


def test_a_duplicate_upload_event_changes_nothing(stack: Any, tmp_path: Path) -> None:
    client, submission_id = submit(stack, council_files(tmp_path))
    stack.drain(timeout=120)
    before = client.get(submission_id)
    assert before["status"] == "COMPLETE"
    # S3 delivers at least once: the same object-created event again, as the queue would carry it.
    bucket = stack.resources.buckets["UploadBucket"]
    key = f"uploads/{COUNCIL}/{submission_id}/families.csv"
    record = {"eventSource": "aws:s3", "eventName": "ObjectCreated:Post", "awsRegion": "eu-west-2"}
    record["s3"] = {"bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"}, "object": {"key": key, "size": 1}}
    event = {"Records": [record]}
    stack.client("sqs").send_message(QueueUrl=stack.resources.queues["UploadQueue"], MessageBody=json.dumps(event))
    stack.drain(timeout=60)
    after = client.get(submission_id)
    assert after["status"] == "COMPLETE" and after["updated_at"] == before["updated_at"]


def test_a_late_event_cannot_move_a_submission_backwards(stack: Any, tmp_path: Path) -> None:
    from tfnis.storage import InvalidTransition, SubmissionTable
    from tfnis.submissions import SubmissionStatus

    client, submission_id = submit(stack, council_files(tmp_path))
    stack.drain(timeout=120)
    table = SubmissionTable(stack.resources.tables["SubmissionsTable"])
    for earlier in (SubmissionStatus.RECEIVED, SubmissionStatus.VALIDATING, SubmissionStatus.VALIDATED):
        with pytest.raises(InvalidTransition):
            table.transition(COUNCIL, submission_id, earlier)
    assert client.get(submission_id)["status"] == "COMPLETE"
