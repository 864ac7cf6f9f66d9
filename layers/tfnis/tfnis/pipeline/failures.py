"""When a stage fails: what may be logged about it, FAILED on the last delivery, and poison to the DLQ at once.

An exception message can quote a cell (pandas does: "could not convert 'Smith' …"), and identifier values
must never reach a log (privacy invariant 2). What leaves a handler is therefore a `StageFailed` that carries
only the exception's type and where it happened: the Lambda runtime logs an uncaught exception's message to
CloudWatch, Powertools' batch processor puts it in BatchProcessingError's, and the tracer in the X-Ray segment.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from tfnis.pipeline.messages import UnreadableMessage, receive_count
from tfnis.storage import InvalidTransition, Store, SubmissionNotFound, SubmissionTable
from tfnis.submissions import SubmissionStatus

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def where_raised(error: BaseException, frames: int = 6) -> list[str]:
    """file:line in function of the innermost frames: points at a crash without quoting anything."""
    stack = traceback.extract_tb(error.__traceback__)[-frames:]
    return [f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}" for frame in stack]


def failure_fields(error: BaseException, frames: int = 6) -> dict[str, object]:
    return {"error_type": type(error).__name__, "where": where_raised(error, frames)}


class StageFailed(RuntimeError):
    """A stage's crash retold without its message. Raise it `from None`: neither the message nor the cause's
    text may reach the runtime's log line, Powertools' error or a trace."""

    def __init__(self, stage: str, error_type: str, where: list[str]) -> None:
        super().__init__(f"{stage} failed: {error_type} at {' < '.join(reversed(where)) or '?'}")
        self.stage, self.error_type, self.where = stage, error_type, where

    @classmethod
    def of(cls, stage: str, error: BaseException) -> StageFailed:
        return cls(stage, type(error).__name__, where_raised(error))


def mark_failed(la_code: str, submission_id: str, reason: str, *, table: SubmissionTable) -> None:
    """The last delivery of a stage's message failed: the message goes to the DLQ, the submission to FAILED."""
    with contextlib.suppress(InvalidTransition, SubmissionNotFound):
        table.transition(la_code, submission_id, SubmissionStatus.FAILED, reason=reason)


@contextlib.contextmanager
def failing_stage(
    stage: str,
    record: SQSRecord,
    where: Mapping[str, str],
    *,
    max_receive_count: int,
    table: SubmissionTable,
    log: Callable[..., None],
) -> Iterator[None]:
    """Log a crash safely and raise it again as StageFailed (the queue retries); on the record's last delivery
    mark the submission FAILED.

    `where` is what may be logged about the submission: its la_code and submission_id, or nothing for an upload
    key that is not one of ours (then there is no submission to mark).
    """
    try:
        yield
    except Exception as error:
        deliveries = receive_count(record)
        log(f"{stage} failed", extra={**where, "message_id": record.message_id, **failure_fields(error)})
        la_code, submission_id = where.get("la_code", ""), where.get("submission_id", "")
        if deliveries >= max_receive_count and la_code and submission_id:
            reason = f"{stage} failed {deliveries} times; the message is in the dead-letter queue for redrive"
            mark_failed(la_code, submission_id, reason, table=table)
        raise StageFailed.of(stage, error) from None


def dead_letter(
    body: str,
    message_id: str,
    problem: UnreadableMessage,
    *,
    store: Store,
    log: Callable[..., None],
    group_id: str | None = None,
) -> None:
    """Send a message that can never be read to the stage's own DLQ now, instead of after maxReceiveCount retries.

    Retrying cannot help it, and in the FIFO MatchQueue (one message group) it would hold back every council's
    matching for VisibilityTimeout x maxReceiveCount. The log names the problem and the message id, never a value.
    """
    store.send_dead_letter(body, problem=problem.problem, message_id=message_id, group_id=group_id)
    log(
        "unreadable message sent to the dead-letter queue without retries",
        extra={"problem": problem.problem, "message_id": message_id},
    )
