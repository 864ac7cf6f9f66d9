"""A submission whose upload forms expired before every file arrived becomes EXPIRED; its partial uploads go.

When the API hands out the forms it also queues an expiry check on UploadQueue, due once the forms have expired
and an upload started just before that could have finished. SQS delays a message by at most 15 minutes, so a
check that arrives early is queued again for the time left. validate receives it beside the S3 events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tfnis.pipeline.closure import CLOSED_OUTCOME, discard
from tfnis.storage import InvalidTransition, Store, SubmissionNotFound, SubmissionTable
from tfnis.submissions import SubmissionStatus

EXPIRE = "expire"  # the key of an expiry check's body on UploadQueue
EXPIRED_REASON = "its upload links expired before every file arrived; create a new submission and upload again"


@dataclass(frozen=True)
class ExpiryCheck:
    la_code: str
    submission_id: str
    due_at: datetime

    def message(self) -> dict[str, Any]:
        return {EXPIRE: {"la_code": self.la_code, "submission_id": self.submission_id,
                         "due_at": self.due_at.isoformat()}}  # fmt: skip


def schedule_expiry(check: ExpiryCheck, *, store: Store, now: datetime) -> None:
    """Queue the check for its due time (or as near as SQS's 15-minute delay allows)."""
    if not store.settings.upload_queue_url:
        return  # no queue configured (a library caller): nothing will expire the submission
    seconds = int((check.due_at - now).total_seconds()) + 1
    store.send(store.settings.upload_queue_url, check.message(), delay_seconds=seconds)


def expiry_due(now: datetime, form_seconds: int, grace_seconds: int) -> datetime:
    return now + timedelta(seconds=form_seconds + grace_seconds)


def on_expiry_check(
    check: ExpiryCheck,
    *,
    store: Store,
    table: SubmissionTable,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> str:
    """EXPIRED and partial uploads deleted if still PENDING_UPLOAD when due; otherwise nothing to do."""
    now = clock()
    if now < check.due_at:
        schedule_expiry(check, store=store, now=now)
        return "expiry check queued again: not due yet"
    where = {"la_code": check.la_code, "submission_id": check.submission_id}
    prefix = f"uploads/{check.la_code}/{check.submission_id}/"
    if table.is_closed():
        discard(store, what="raw_upload", bucket=store.settings.upload_bucket, prefix=prefix, **where)
        return CLOSED_OUTCOME
    try:
        submission = table.get(check.la_code, check.submission_id)
    except SubmissionNotFound:
        return "ignored: no such submission"
    if submission.status is not SubmissionStatus.PENDING_UPLOAD:
        return f"ignored: submission already {submission.status}"
    try:
        table.transition(check.la_code, check.submission_id, SubmissionStatus.EXPIRED, reason=EXPIRED_REASON)
    except InvalidTransition:
        return "ignored: the submission moved on"
    removed = discard(store, what="raw_upload", bucket=store.settings.upload_bucket, prefix=prefix, **where)
    store.audit("submission_expired", partial_uploads_deleted=removed, **where)
    return "expired"
