"""Nothing personal is left behind: replayed forms, rejected returns and abandoned submissions leave no upload.

On the embedded stack: forms over HTTP, S3 events (with the version ids AWS sends) through UploadQueue.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_research_end_final import audit_events, versions
from tests.integration.test_validate_stage import COUNCIL, council_files
from tfnis.client import SubmissionClient
from tfnis.pipeline.expiry import ExpiryCheck

# The fixture returns are a few families: k = 5 would refuse them, and this file is not about k
# (tests/integration/test_disclosure_stage.py pins k on a generated return).
SMALL_RETURNS = {"DisclosureK": "1"}


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    from tfnis_local.stack import LocalStack

    with LocalStack(stack_name=f"tfnis-left-{os.getpid()}", parameters=SMALL_RETURNS) as running:
        yield running


def create(stack: Any, files: dict[str, Path]) -> tuple[SubmissionClient, dict[str, Any]]:
    client = SubmissionClient(stack.api_url, stack.token_for(COUNCIL))
    return client, client.create("2024-03-31", list(files))


def uploads_of(stack: Any, submission_id: str) -> int:
    return versions(stack, "UploadBucket", f"uploads/{COUNCIL}/{submission_id}/")


def test_a_form_replayed_after_complete_leaves_no_new_version(stack: Any, tmp_path: Path) -> None:
    files = council_files(tmp_path)
    client, created = create(stack, files)
    for name, path in files.items():
        client.upload(created["uploads"][name], path)
    stack.drain(timeout=120)
    assert client.get(created["submission_id"])["status"] == "COMPLETE"
    assert uploads_of(stack, created["submission_id"]) == 0

    client.upload(created["uploads"]["families.csv"], files["families.csv"])  # the same form, still valid
    stack.drain(timeout=60)

    assert uploads_of(stack, created["submission_id"]) == 0
    replays = [e for e in audit_events(stack) if e.get("submission_id") == created["submission_id"]]
    assert any(e["event"] == "upload_deleted" and e["reason"] == "submission already COMPLETE" for e in replays)


def test_a_rejected_returns_raw_files_are_deleted_once_its_report_is_written(stack: Any, tmp_path: Path) -> None:
    files = council_files(tmp_path)
    files["individuals.csv"].write_text("this is not the individuals table\n")
    client, created = create(stack, files)
    for name, path in files.items():
        client.upload(created["uploads"][name], path)
    stack.drain(timeout=120)
    submission = client.get(created["submission_id"])
    assert submission["status"] == "REJECTED"
    assert client.report(submission)["status"] == "REJECTED"
    assert uploads_of(stack, created["submission_id"]) == 0


def test_creating_a_submission_queues_its_expiry_check_for_after_its_forms_expire(stack: Any) -> None:
    before = stack.queue_depths()["UploadQueue"]["delayed"]
    client, created = create(stack, {"return.xlsx": Path("return.xlsx")})
    assert stack.queue_depths()["UploadQueue"]["delayed"] == before + 1
    assert client.get(created["submission_id"])["status"] == "PENDING_UPLOAD"


def test_a_submission_whose_forms_expired_with_a_file_missing_becomes_expired_and_its_upload_goes(
    stack: Any, tmp_path: Path
) -> None:
    files = council_files(tmp_path)
    client, created = create(stack, files)
    client.upload(created["uploads"]["families.csv"], files["families.csv"])  # individuals.csv never comes
    stack.drain(timeout=60)
    assert uploads_of(stack, created["submission_id"]) == 1

    due = ExpiryCheck(COUNCIL, created["submission_id"], datetime.now(UTC) - timedelta(seconds=1))
    stack.client("sqs").send_message(
        QueueUrl=stack.resources.queues["UploadQueue"], MessageBody=json.dumps(due.message())
    )
    stack.drain(timeout=60)

    submission = client.get(created["submission_id"])
    assert submission["status"] == "EXPIRED" and "expired" in submission["reason"]
    assert uploads_of(stack, created["submission_id"]) == 0
    # the last form, used late, is deleted too: nothing will ever read it
    client.upload(created["uploads"]["individuals.csv"], files["individuals.csv"])
    stack.drain(timeout=60)
    assert uploads_of(stack, created["submission_id"]) == 0
    assert client.get(created["submission_id"])["status"] == "EXPIRED"


def test_an_expiry_check_that_comes_early_is_queued_again_and_changes_nothing(stack: Any, tmp_path: Path) -> None:
    files = council_files(tmp_path)
    client, created = create(stack, files)
    early = ExpiryCheck(COUNCIL, created["submission_id"], datetime.now(UTC) + timedelta(minutes=20))
    delayed = stack.queue_depths()["UploadQueue"]["delayed"]
    stack.client("sqs").send_message(
        QueueUrl=stack.resources.queues["UploadQueue"], MessageBody=json.dumps(early.message())
    )
    stack.drain(timeout=60)
    assert client.get(created["submission_id"])["status"] == "PENDING_UPLOAD"
    assert stack.queue_depths()["UploadQueue"]["delayed"] == delayed + 1


def test_validate_reads_the_version_its_event_names_and_deletes_a_later_one(stack: Any, tmp_path: Path) -> None:
    """S3 may notify after a second POST of the same form has replaced the object: the event's version counts."""
    files = council_files(tmp_path)
    client, created = create(stack, files)
    for name, path in files.items():
        client.upload(created["uploads"][name], path)
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"\x00\x01 not a return")
    client.upload(created["uploads"]["families.csv"], garbage)  # before anything is processed
    stack.drain(timeout=120)
    assert client.get(created["submission_id"])["status"] == "COMPLETE"  # the first families.csv was validated
    assert uploads_of(stack, created["submission_id"]) == 0


def national_families(stack: Any) -> tuple[int, str]:
    """The council's families count the national roll-up uses (its unsuppressed copy: 2 or 3 families would be
    suppressed in the published table), and which submission the published table says its rows come from."""
    import io

    import pandas as pd

    s3 = stack.client("s3")
    latest_key = f"coverage-latest/period_end=2024-03-31/la_code={COUNCIL}/coverage.json"
    latest = json.loads(s3.get_object(Bucket=stack.resources.buckets["ReportsBucket"], Key=latest_key)["Body"].read())
    families = next(f for f in latest["figures"] if f["id"] == "families")
    research = stack.resources.buckets["ResearchBucket"]
    body = s3.get_object(Bucket=research, Key="coverage/period_end=2024-03-31/coverage.csv")["Body"].read()
    table = pd.read_csv(io.BytesIO(body), dtype=str)
    rows = table[table["la_code"] == COUNCIL]
    assert rows["submission_id"].nunique() == 1 and rows["validated_at"].notna().all()
    assert latest["submission_id"] == rows["submission_id"].iloc[0]
    return int(families["denominator"]), str(latest["submission_id"])


def test_a_late_coverage_message_about_an_older_submission_leaves_the_newer_figures(stack: Any, tmp_path: Path) -> None:
    (tmp_path / "first").mkdir(), (tmp_path / "second").mkdir()
    first = council_files(tmp_path / "first")
    second = council_files(tmp_path / "second")  # a corrected return: FAM-003 and its people removed
    for name in second:
        lines = second[name].read_text().splitlines(keepends=True)
        second[name].write_text("".join(line for line in lines if "FAM-003" not in line))
    submitted = []
    for files in (first, second):
        client, created = create(stack, files)
        for name, path in files.items():
            client.upload(created["uploads"][name], path)
        stack.drain(timeout=120)
        submitted.append(created["submission_id"])
    assert national_families(stack) == (2, submitted[1])

    late = {"la_code": COUNCIL, "submission_id": submitted[0], "period_end": "2024-03-31"}  # redelivered
    stack.client("sqs").send_message(QueueUrl=stack.resources.queues["CoverageQueue"], MessageBody=json.dumps(late))
    stack.drain(timeout=60)

    assert national_families(stack) == (2, submitted[1])
