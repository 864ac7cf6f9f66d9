"""Unreadable stage messages go straight to their DLQ, and one in the FIFO MatchQueue holds nobody back.

On the embedded stack: the same handlers, queues and redrive policies as on AWS. A message no retry can read
(not JSON, the wrong shape, about no known submission) is received once, put in the stage's own DLQ by the
handler and deleted; without that, MatchQueue's single message group would wait VisibilityTimeout x
maxReceiveCount for every council.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.test_validate_stage import COUNCIL, council_files, submit

# The fixture returns are a few families: k = 5 would refuse them, and this file is not about k
# (tests/integration/test_disclosure_stage.py pins k on a generated return).
SMALL_RETURNS = {"DisclosureK": "1"}

SUBMISSION_ID = "20261124T210000-abcd1234"  # well formed, but no such submission
STAGE_QUEUES = {
    "UploadQueue": "UploadDLQ",
    "CoverageQueue": "CoverageDLQ",
    "MatchQueue": "MatchDLQ",
    "AnonymiseQueue": "AnonymiseDLQ",
}
POISON = {
    "not JSON": "{'la_code': E08000025",
    "wrong shape": json.dumps({"submission": SUBMISSION_ID}),
    "period_end not a date": json.dumps({"la_code": COUNCIL, "submission_id": SUBMISSION_ID, "period_end": "soon"}),
    "wrong types": json.dumps({"la_code": 8000025, "submission_id": [SUBMISSION_ID], "period_end": 20250331}),
    "no such submission": json.dumps({"la_code": COUNCIL, "submission_id": SUBMISSION_ID, "period_end": "2025-03-31"}),
}


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    from tfnis_local.stack import LocalStack

    with LocalStack(stack_name=f"tfnis-poison-{os.getpid()}", parameters=SMALL_RETURNS) as running:
        yield running


def send(stack: Any, queue: str, body: str) -> None:
    """As a stage sends: MatchQueue's one group; a deduplication id of its own, as the same body is sent twice."""
    extra = {"MessageGroupId": "linkage", "MessageDeduplicationId": uuid.uuid4().hex} if queue == "MatchQueue" else {}
    stack.client("sqs").send_message(QueueUrl=stack.resources.queues[queue], MessageBody=body, **extra)


def dead_letters(stack: Any, dlq: str) -> list[dict[str, Any]]:
    """Every message in a DLQ (received and left there: visibility 0)."""
    response = stack.client("sqs").receive_message(
        QueueUrl=stack.resources.queues[dlq],
        MaxNumberOfMessages=10,
        VisibilityTimeout=0,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
    )
    return response.get("Messages", [])


def pump(stack: Any, queue: str) -> Any:
    return next(p for p in stack.pumps if p.source.queue_logical_id == queue)


# validate's body is S3's event, not a stage message: for it only the malformed kinds are poison (an upload for
# no known submission is an object in the bucket, ignored and kept: test_validate_stage.py).
CASES = [(q, k) for q in STAGE_QUEUES for k in POISON if not (q == "UploadQueue" and k == "no such submission")]


@pytest.mark.parametrize(("queue", "kind"), CASES)
def test_an_unreadable_message_is_in_its_dlq_after_exactly_one_receive(stack: Any, queue: str, kind: str) -> None:
    dlq = STAGE_QUEUES[queue]
    body = POISON[kind]
    before = pump(stack, queue).counts.messages
    send(stack, queue, body)
    stack.drain(timeout=60)
    assert pump(stack, queue).counts.messages - before == 1  # received once: no retry, no visibility timeout
    [dead] = [m for m in dead_letters(stack, dlq) if m["Body"] == body]
    assert dead["MessageAttributes"]["problem"]["StringValue"]
    assert stack.queue_depths()[queue] == {"visible": 0, "in_flight": 0, "delayed": 0}


def test_a_valid_submission_behind_a_poison_message_in_matchqueue_is_matched(stack: Any, tmp_path: Path) -> None:
    poison = json.dumps({"la_code": COUNCIL, "submission_id": uuid.uuid4().hex, "period_end": "2025-03-31"})
    failed_before = pump(stack, "MatchQueue").counts.failed_messages
    send(stack, "MatchQueue", poison)
    client, submission_id = submit(stack, council_files(tmp_path))
    stack.drain(timeout=120)
    assert client.get(submission_id)["status"] == "COMPLETE"
    assert [m["Body"] for m in dead_letters(stack, "MatchDLQ")].count(poison) == 1
    assert pump(stack, "MatchQueue").counts.failed_messages == failed_before  # nothing waited for a retry


# --- POST /submissions over the local HTTP API: the same status codes as the handler gives -----------------


def post(stack: Any, body: str, la_code: str = COUNCIL) -> requests.Response:
    headers = {"authorization": stack.token_for(la_code), "content-type": "application/json"}
    return requests.post(f"{stack.api_url}/submissions", data=body, headers=headers, timeout=30)


def test_a_deeply_nested_body_gets_400_not_500(stack: Any) -> None:
    response = post(stack, "[" * 30_000 + "]" * 30_000)  # 60 kB: under the size limit, too deep for json
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["message"]


def test_a_body_over_64_kib_gets_413(stack: Any) -> None:
    body = json.dumps({"period_end": "2025-03-31", "files": ["return.xlsx"], "padding": "x" * 70_000})
    response = post(stack, body)
    assert response.status_code == 413
    assert "64 KiB" in response.json()["message"]


@pytest.mark.parametrize("claim", ["E07000008", "e08000025", "E0800002", "Zebedee Quartermaine"])
def test_a_malformed_council_claim_gets_403_and_creates_nothing(stack: Any, claim: str) -> None:
    body = json.dumps({"period_end": "2025-03-31", "files": ["return.xlsx"]})
    response = post(stack, body, la_code=claim)
    assert response.status_code == 403
    assert "GSS code" in response.json()["message"] and claim not in response.text
    table = stack.client("dynamodb")
    items = table.scan(TableName=stack.resources.tables["SubmissionsTable"])["Items"]
    assert not [item for item in items if item.get("la_code", {}).get("S") == claim]
