"""The local stack's queue pumps behave like Lambda's SQS event source mappings.

Runs a small template of its own (tests/integration/local_stack/) whose worker does what each message says:
ok, fail (reported in batchItemFailures) or raise.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tfnis_local.stack import LocalStack

TEMPLATE = Path(__file__).resolve().parent / "local_stack" / "template.yaml"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(TEMPLATE, stack_name="pump-test", max_visibility_timeout_s=1) as running:
        yield running


@pytest.fixture
def seen(stack: LocalStack) -> list[dict[str, Any]]:
    """Records the worker was handed during this test."""
    records = stack.lambdas["WorkerFunction"].handler.__globals__["seen"]
    records.clear()
    return records


def send(stack: LocalStack, queue: str, *outcomes: str, **extra: Any) -> list[str]:
    """One message per outcome; bodies differ (a FIFO queue with content-based deduplication drops repeats)."""
    sqs = stack.client("sqs")
    url = stack.resources.queues[queue]
    return [
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"outcome": o, "n": uuid.uuid4().hex}), **extra)[
            "MessageId"
        ]
        for o in outcomes
    ]


def dlq_outcomes(stack: LocalStack, dlq: str) -> list[str]:
    sqs = stack.client("sqs")
    messages = sqs.receive_message(
        QueueUrl=stack.resources.queues[dlq], MaxNumberOfMessages=10, VisibilityTimeout=0
    ).get("Messages", [])
    return [json.loads(m["Body"])["outcome"] for m in messages]


def times_handed(seen: list[dict[str, Any]], message_id: str) -> int:
    return sum(1 for r in seen if r["messageId"] == message_id)


def test_records_have_the_lambda_sqs_event_shape(stack: LocalStack, seen: list[dict[str, Any]]) -> None:
    [message_id] = send(
        stack, "WorkQueue", "ok", MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}}
    )
    stack.drain(timeout=30)
    record = next(r for r in seen if r["messageId"] == message_id)
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == stack.resources.queue_arns["WorkQueue"]
    assert record["awsRegion"] == "eu-west-2"
    assert record["receiptHandle"] and record["md5OfBody"]
    assert json.loads(record["body"])["outcome"] == "ok"
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(record["attributes"])
    assert record["messageAttributes"]["kind"]["stringValue"] == "test"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"


def test_messages_of_one_send_burst_arrive_in_one_batch(stack: LocalStack, seen: list[dict[str, Any]]) -> None:
    send(stack, "WorkQueue", *["ok"] * 4)
    counts = stack.drain(timeout=30)
    assert len(seen) == 4
    assert counts["WorkQueue->WorkerFunction"].deleted >= 4


def test_a_reported_failure_is_retried_alone_then_goes_to_the_dlq(
    stack: LocalStack, seen: list[dict[str, Any]]
) -> None:
    ok_first, failing, ok_last = send(stack, "WorkQueue", "ok", "fail", "ok")
    stack.drain(timeout=60)
    assert times_handed(seen, ok_first) == 1 and times_handed(seen, ok_last) == 1
    assert times_handed(seen, failing) == 2  # MaxReceiveCount in the test template
    receive_counts = [r["attributes"]["ApproximateReceiveCount"] for r in seen if r["messageId"] == failing]
    assert receive_counts == ["1", "2"]
    assert dlq_outcomes(stack, "WorkDLQ") == ["fail"]
    assert stack.queue_depths()["WorkQueue"] == {"visible": 0, "in_flight": 0, "delayed": 0}


def test_a_raised_error_leaves_the_whole_batch_for_retry(stack: LocalStack, seen: list[dict[str, Any]]) -> None:
    stack.client("sqs").purge_queue(QueueUrl=stack.resources.queues["WorkDLQ"])
    [crashing] = send(stack, "WorkQueue", "raise")
    counts = stack.drain(timeout=60)
    assert times_handed(seen, crashing) == 2
    assert counts["WorkQueue->WorkerFunction"].failed_invocations >= 2
    assert dlq_outcomes(stack, "WorkDLQ") == ["raise"]


def test_an_escaping_exception_is_logged_with_its_message_as_the_lambda_runtime_does(
    stack: LocalStack, seen: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    """awslambdaric's bootstrap writes {errorMessage: str(e), errorType, requestId, stackTrace} to the log: an
    identifier in an exception's message reaches CloudWatch, so the stack must show it too."""
    with pytest.raises(RuntimeError):
        stack.invoke("WorkerFunction", {"Records": [{"messageId": "m1", "body": json.dumps({"outcome": "raise"})}]})
    [line] = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"errorType"' in x]
    assert line["errorMessage"] == "asked to raise" and line["errorType"] == "RuntimeError"
    assert line["level"] == "ERROR" and line["requestId"]
    assert any("in handler" in frame and "raise RuntimeError" in frame for frame in line["stackTrace"])
    assert not any("lambdas.py" in frame for frame in line["stackTrace"])  # the runtime's own frames are dropped


def test_fifo_queue_is_pumped_with_its_group_attributes(stack: LocalStack, seen: list[dict[str, Any]]) -> None:
    ids = send(stack, "OrderedQueue", "ok", "ok", MessageGroupId="matching")
    stack.drain(timeout=30)
    records = [r for r in seen if r["messageId"] in ids]
    assert [r["messageId"] for r in records] == ids  # in order, one per batch (BatchSize 1)
    assert all(r["attributes"]["MessageGroupId"] == "matching" for r in records)
    assert all(r["attributes"]["MessageDeduplicationId"] for r in records)  # moto sends no SequenceNumber


def test_a_failed_fifo_message_goes_to_the_fifo_dlq(stack: LocalStack, seen: list[dict[str, Any]]) -> None:
    [failing] = send(stack, "OrderedQueue", "fail", MessageGroupId="matching")
    stack.drain(timeout=60)
    assert times_handed(seen, failing) == 2
    assert dlq_outcomes(stack, "OrderedDLQ") == ["fail"]


def test_background_pumps_empty_the_queues_without_drain_doing_the_work(seen: list[dict[str, Any]]) -> None:
    with LocalStack(TEMPLATE, stack_name="pump-bg", background=True, max_visibility_timeout_s=1) as running:
        records = running.lambdas["WorkerFunction"].handler.__globals__["seen"]
        records.clear()
        send(running, "WorkQueue", "ok", "ok")
        running.drain(timeout=30)
        assert len(records) == 2
        assert all(pump.running for pump in running.pumps)


def test_direct_invoke_runs_the_handler_with_a_context(stack: LocalStack) -> None:
    event = {"Records": []}
    assert stack.invoke("WorkerFunction", event) == {"batchItemFailures": []}


def test_mirror_writes_every_bucket_by_logical_id(stack: LocalStack, tmp_path: Path) -> None:
    s3 = stack.client("s3")
    bucket = stack.resources.buckets["InboxBucket"]
    s3.put_object(Bucket=bucket, Key="in/report.json", Body=b"old")
    s3.put_object(Bucket=bucket, Key="in/report.json", Body=b"new")
    counts = stack.mirror(tmp_path)
    assert (tmp_path / "InboxBucket" / "in" / "report.json").read_bytes() == b"new"
    assert counts["InboxBucket"] >= 1
