"""What the queues carry, read strictly: a message that does not parse can never succeed, so it is poison.

A stage message names a submission (la_code, submission_id, period_end) and nothing else; validate's body is
S3's event (or its s3:TestEvent, or an expiry notice). `UnreadableMessage.problem` says what is wrong in
words fit for a log line: it names fields and pydantic's error types, never a value from the message.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tfnis.pipeline.expiry import EXPIRE, ExpiryCheck
from tfnis.pipeline.locations import SubmissionRef
from tfnis.spec.columns import LA_CODE_PATTERN
from tfnis.storage import SubmissionNotFound, SubmissionTable
from tfnis.submissions import check_period_end, parse_upload_key

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

# As tfnis.pipeline.submissions.new_submission_id makes them: creation time (UTC) and 8 random hex digits.
SUBMISSION_ID_PATTERN = r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$"


class UnreadableMessage(ValueError):
    """A message no retry can process: not JSON, not the right shape, or about no known submission."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


class StageMessage(BaseModel):
    """The body one stage sends the next (SubmissionRef.message())."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    la_code: str = Field(pattern=LA_CODE_PATTERN)
    submission_id: str = Field(pattern=SUBMISSION_ID_PATTERN)
    period_end: date

    @field_validator("period_end", mode="before")
    @classmethod
    def _period_end(cls, value: object) -> date:
        if not isinstance(value, str):
            raise ValueError("period_end must be a string YYYY-MM-DD")
        return check_period_end(value)

    def ref(self) -> SubmissionRef:
        return SubmissionRef(self.la_code, self.submission_id, self.period_end)


def _problem(model: str, error: ValidationError) -> str:
    """Field locations and error types only: pydantic's messages and inputs may quote the value."""
    return f"not a {model}: " + "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'body'} {e['type']}" for e in error.errors(include_input=False)
    )


def _json(body: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise UnreadableMessage("body is not JSON") from None


def receive_count(record: SQSRecord) -> int:
    """How often SQS has delivered this message: 1 on the first delivery, maxReceiveCount on the last."""
    return int(record.attributes.approximate_receive_count or 1)


def read_stage_message(body: str) -> SubmissionRef:
    """The submission a stage message names, or UnreadableMessage."""
    try:
        return StageMessage.model_validate(_json(body)).ref()
    except ValidationError as error:
        raise UnreadableMessage(_problem("stage message", error)) from None


def submission_named(body: str, *, table: SubmissionTable) -> SubmissionRef:
    """read_stage_message, and the submission exists: a message about no submission never will succeed.

    Once research has ended the stage itself decides (it discards what the message names), so then a missing
    submission is no reason to keep the message in a DLQ.
    """
    ref = read_stage_message(body)
    try:
        table.get(ref.la_code, ref.submission_id)
    except SubmissionNotFound:
        if not table.is_closed():
            raise UnreadableMessage("no such submission") from None
    return ref


class _S3Object(BaseModel):
    key: str = Field(min_length=1)
    versionId: str | None = None


class _S3Bucket(BaseModel):
    name: str = Field(min_length=1)


class _S3Entity(BaseModel):
    bucket: _S3Bucket
    object: _S3Object


class _S3Record(BaseModel):
    s3: _S3Entity


class S3Notice(BaseModel):
    """The part of S3's ObjectCreated event validate reads (keys arrive URL-encoded)."""

    Records: list[_S3Record] = Field(min_length=1)


class _ExpiryNotice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    la_code: str = Field(pattern=LA_CODE_PATTERN)
    submission_id: str = Field(pattern=SUBMISSION_ID_PATTERN)
    due_at: datetime


def expiry_check_in(body: str) -> ExpiryCheck | None:
    """The expiry check an UploadQueue message carries ({"expire": {...}}, queued by the API); None when the
    message is of another kind; UnreadableMessage when it is an expiry check that cannot be read."""
    document = _json(body)
    if not (isinstance(document, dict) and EXPIRE in document):
        return None
    try:
        notice = _ExpiryNotice.model_validate(document[EXPIRE])
    except ValidationError as error:
        raise UnreadableMessage(_problem("expiry check", error)) from None
    return ExpiryCheck(notice.la_code, notice.submission_id, notice.due_at)


def uploaded_objects(body: str) -> list[tuple[str, str, str | None]]:
    """(bucket, key, version id) of each object an UploadQueue message announces; [] for S3's test event."""
    document = _json(body)
    if isinstance(document, dict) and document.get("Event") == "s3:TestEvent":
        return []
    try:
        notice = S3Notice.model_validate(document)
    except ValidationError as error:
        raise UnreadableMessage(_problem("S3 event", error)) from None
    return [(r.s3.bucket.name, unquote_plus(r.s3.object.key), r.s3.object.versionId) for r in notice.Records]


def loggable_upload(key: str) -> dict[str, str]:
    """la_code and submission_id of an upload key when both are well formed (then they are ours, fit for a
    log line); {} for any other key, which could hold anything."""
    parsed = parse_upload_key(key)
    if parsed is None:
        return {}
    la_code, submission_id, _ = parsed
    if re.match(LA_CODE_PATTERN, la_code) and re.match(SUBMISSION_ID_PATTERN, submission_id):
        return {"la_code": la_code, "submission_id": submission_id}
    return {}
