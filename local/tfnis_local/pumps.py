"""Feed SQS queues into their functions the way a Lambda event source mapping does.

A pump receives a batch (BatchSize, MaximumBatchingWindowInSeconds from the template), hands the handler a
real SQS event, and deletes only what succeeded: everything when the handler returns, nothing when it
raises, everything but the `batchItemFailures` when the mapping reports batch item failures. What is left
comes back after the queue's visibility timeout and moto moves it to the DLQ after maxReceiveCount.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tfnis_local.lambdas import LocalLambda, where_raised
from tfnis_local.template import QueueSource

# Not named tfnis_local.*: Powertools adds a filter to the root handlers that drops every record whose logger
# name contains its service name ("tfnis").
log = logging.getLogger("local_stack.pumps")

# The message attributes Lambda copies into a record's "attributes" (moto returns a few more).
_RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "SentTimestamp",
    "SenderId",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "MessageDeduplicationId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


@dataclass
class PumpCounts:
    invocations: int = 0
    messages: int = 0
    deleted: int = 0
    failed_invocations: int = 0
    failed_messages: int = 0


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One message as a Lambda SQS event record."""
    attributes = message.get("Attributes") or {}
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {k: str(attributes[k]) for k in _RECORD_ATTRIBUTES if k in attributes},
        "messageAttributes": {
            name: _message_attribute(value) for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    def b64(raw: bytes | str) -> str:
        return base64.b64encode(raw if isinstance(raw, bytes) else raw.encode()).decode()

    out: dict[str, Any] = {
        "stringListValues": list(value.get("StringListValues") or []),
        "binaryListValues": [b64(v) for v in value.get("BinaryListValues") or []],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = b64(value["BinaryValue"])
    return out


def failed_message_ids(result: Any, batch_ids: list[str]) -> set[str] | None:
    """The ids a partial-batch response marks failed; None when the response fails the whole batch.

    As Lambda does: a missing or empty itemIdentifier, or one not in the batch, fails every message.
    """
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    failures = result["batchItemFailures"]
    if not isinstance(failures, list):
        return None
    ids: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in batch_ids:
            return None
        ids.add(identifier)
    return ids


class QueuePump:
    """One event source mapping: a queue, its batching settings, and the function it feeds."""

    def __init__(
        self,
        *,
        client_factory: Callable[[], Any],
        queue_url: str,
        queue_arn: str,
        region: str,
        source: QueueSource,
        target: LocalLambda,
    ):
        self.client_factory = client_factory
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.region = region
        self.source = source
        self.target = target
        self.counts = PumpCounts()
        self.busy = False
        self._local = threading.local()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def name(self) -> str:
        return f"{self.source.queue_logical_id}->{self.target.function.logical_id}"

    @property
    def sqs(self) -> Any:
        if not hasattr(self._local, "sqs"):
            self._local.sqs = self.client_factory()
        return self._local.sqs

    def receive_batch(self, wait_s: float = 0) -> list[dict[str, Any]]:
        """Up to BatchSize messages; keeps receiving for the batching window while the batch is not full."""
        batch: list[dict[str, Any]] = []
        window_ends = time.monotonic() + self.source.batching_window_s
        while len(batch) < self.source.batch_size:
            wait = int(wait_s) if not batch else 0
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=min(10, self.source.batch_size - len(batch)),
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages") or []
            batch += received
            remaining = window_ends - time.monotonic()
            if remaining <= 0 or not batch:
                break
            if not received:
                time.sleep(min(0.2, remaining))
        return batch

    def poll_once(self, wait_s: float = 0) -> int:
        """Receive one batch and invoke the function with it; returns how many messages were handed over."""
        messages = self.receive_batch(wait_s)
        if not messages:
            return 0
        self.invoke(messages)
        return len(messages)

    def invoke(self, messages: list[dict[str, Any]]) -> None:
        # Received messages are in flight until deleted, so a watcher sees them in the queue's depth; `busy`
        # and `invocations` cover the moment between their deletion and the handler's own sends being seen.
        self.busy = True
        self.counts.invocations += 1
        try:
            self._invoke(messages)
        finally:
            self.busy = False

    def _invoke(self, messages: list[dict[str, Any]]) -> None:
        event = {"Records": [sqs_record(m, self.queue_arn, self.region) for m in messages]}
        ids = [m["MessageId"] for m in messages]
        self.counts.messages += len(messages)
        try:
            result = self.target.invoke(event)
        except Exception as error:
            # A raised error fails the whole batch: every message comes back after its visibility timeout.
            log.error(
                "%s: handler raised %s at %s; %d message(s) left for retry",
                self.name,
                type(error).__name__,
                where_raised(error),
                len(messages),
            )
            log.debug("%s: traceback", self.name, exc_info=True)  # the message may quote data: DEBUG only
            self.counts.failed_invocations += 1
            self.counts.failed_messages += len(messages)
            return
        failed = failed_message_ids(result, ids) if self.source.report_batch_item_failures else set()
        if failed is None:
            log.warning("%s: invalid batchItemFailures; the whole batch is retried", self.name)
            self.counts.failed_messages += len(messages)
            return
        if failed:
            log.warning("%s: %d of %d message(s) failed; left for retry", self.name, len(failed), len(messages))
            self.counts.failed_messages += len(failed)
        done = [m for m in messages if m["MessageId"] not in failed]
        for start in range(0, len(done), 10):
            chunk = done[start : start + 10]
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(chunk)],
            )
        self.counts.deleted += len(done)

    # background --------------------------------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"pump {self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if self.poll_once(wait_s=1) == 0:
                    self._stop.wait(0.05)
            except Exception:
                if self._stop.is_set():
                    break
                log.exception("%s: polling failed; retrying in 1 s", self.name)
                self._stop.wait(1)
