"""When a stage fails: what may be logged about it, and FAILED on the last delivery of its message.

An exception message can quote a cell (pandas does: "could not convert 'Smith' …"), and identifier values
must never reach a log (privacy invariant 2): only the exception's type and where it happened are logged.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

from tfnis.storage import InvalidTransition, SubmissionNotFound, SubmissionTable
from tfnis.submissions import SubmissionStatus


def failure_fields(error: BaseException, frames: int = 6) -> dict[str, object]:
    stack = traceback.extract_tb(error.__traceback__)[-frames:]
    return {
        "error_type": type(error).__name__,
        "where": [f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}" for frame in stack],
    }


def mark_failed(la_code: str, submission_id: str, reason: str, *, table: SubmissionTable) -> None:
    """The last delivery of a stage's message failed: the message goes to the DLQ, the submission to FAILED."""
    with contextlib.suppress(InvalidTransition, SubmissionNotFound):
        table.transition(la_code, submission_id, SubmissionStatus.FAILED, reason=reason)


@contextlib.contextmanager
def failing_stage(
    stage: str,
    la_code: str,
    submission_id: str,
    *,
    receive_count: int,
    max_receive_count: int,
    table: SubmissionTable,
    log: Callable[..., None],
) -> Iterator[None]:
    """Log a crash safely and re-raise it (the queue retries); on the last delivery also mark FAILED."""
    try:
        yield
    except Exception as error:
        log(f"{stage} failed", extra={"la_code": la_code, "submission_id": submission_id, **failure_fields(error)})
        if receive_count >= max_receive_count and la_code and submission_id:
            reason = f"{stage} failed {receive_count} times; the message is in the dead-letter queue for redrive"
            mark_failed(la_code, submission_id, reason, table=table)
        raise
