"""The submission record and its state machine (DESIGN.md "Submission states")."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class SubmissionStatus(StrEnum):
    PENDING_UPLOAD = "PENDING_UPLOAD"
    RECEIVED = "RECEIVED"
    VALIDATING = "VALIDATING"
    REJECTED = "REJECTED"
    VALIDATED = "VALIDATED"
    MATCHED = "MATCHED"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"
    EXPIRED = "EXPIRED"  # its upload forms expired before every file arrived; partial uploads deleted


S = SubmissionStatus
# The claim of a Cognito ID token that carries the council's GSS code: the API's authorizer, the council's
# client and the local stack's tokens all name it from here.
LA_CODE_CLAIM = "custom:la_code"
FIRST_FINDINGS = 50  # findings a submission's status carries, so the upload page needs no second request
# Legal moves. Anything else (a duplicate or late event) is refused by the conditional write.
SUCCESSORS: dict[SubmissionStatus, frozenset[SubmissionStatus]] = {
    S.PENDING_UPLOAD: frozenset({S.RECEIVED, S.FAILED, S.EXPIRED}),
    S.RECEIVED: frozenset({S.VALIDATING, S.FAILED}),
    S.VALIDATING: frozenset({S.REJECTED, S.VALIDATED, S.FAILED}),
    S.VALIDATED: frozenset({S.MATCHED, S.FAILED}),
    S.MATCHED: frozenset({S.COMPLETE, S.FAILED}),
    S.REJECTED: frozenset(),
    S.COMPLETE: frozenset(),
    S.EXPIRED: frozenset(),
    # A FAILED submission is retried by redriving its message from the DLQ: the stage that failed may run again.
    S.FAILED: frozenset({S.VALIDATING, S.REJECTED, S.VALIDATED, S.MATCHED, S.COMPLETE}),
}
TERMINAL = frozenset({S.REJECTED, S.COMPLETE, S.EXPIRED})


def allowed_predecessors(target: SubmissionStatus) -> frozenset[SubmissionStatus]:
    return frozenset(s for s, nexts in SUCCESSORS.items() if target in nexts)


# A return is two CSVs or one workbook; these are the only file names a submission may declare.
RETURN_FILE_NAMES: frozenset[str] = frozenset({"families.csv", "individuals.csv", "return.xlsx"})
VALID_FILE_SETS: tuple[frozenset[str], ...] = (
    frozenset({"families.csv", "individuals.csv"}),
    frozenset({"return.xlsx"}),
)


class Submission(BaseModel):
    """One item of the Submissions table: no identifier values, only counts and codes."""

    la_code: str
    submission_id: str
    period_end: date
    status: SubmissionStatus = SubmissionStatus.PENDING_UPLOAD
    files: list[str]
    created_at: datetime
    updated_at: datetime
    counts: dict[str, int] = Field(default_factory=dict)
    findings_summary: dict[str, int] = Field(default_factory=dict)  # rule code → number of findings
    # the first findings of the validation report (file, sheet, row, column, rule, severity, message; no values)
    first_findings: list[dict[str, str | int | None]] = Field(default_factory=list)
    reason: str | None = None  # why FAILED or REJECTED, in words for the council
    reports: dict[str, str] = Field(default_factory=dict)  # report kind → key in ReportsBucket
    # file name → the S3 version id validated: any other version of that key is a replayed form and is deleted
    upload_versions: dict[str, str] = Field(default_factory=dict)
    validated_at: datetime | None = None  # when it passed validation: the newer submission's coverage wins


PERIOD_END_YEARS = range(2015, 2036)  # the programme's returns and the study's horizon
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_period_end(value: str) -> date:
    """A period ends on 31 March or 30 September of 2015–2035, written YYYY-MM-DD (DATA_SPEC.md).

    date.fromisoformat alone also takes 20240331 and 2024-W13-7 (Python 3.11+): the shape is checked first.
    """
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("period_end must be a date written YYYY-MM-DD")
    try:
        period_end = date.fromisoformat(value)
    except ValueError:
        raise ValueError("period_end must be a date written YYYY-MM-DD") from None
    if (period_end.month, period_end.day) not in ((3, 31), (9, 30)):
        raise ValueError("period_end must be 31 March or 30 September")
    if period_end.year not in PERIOD_END_YEARS:
        raise ValueError(f"period_end must fall between {PERIOD_END_YEARS[0]} and {PERIOD_END_YEARS[-1]}")
    return period_end


def upload_key(la_code: str, submission_id: str, file_name: str) -> str:
    return f"uploads/{la_code}/{submission_id}/{file_name}"


_UPLOAD_KEY = re.compile(r"^uploads/(?P<la_code>[^/]+)/(?P<submission_id>[^/]+)/(?P<file_name>[^/]+)$")


def parse_upload_key(key: str) -> tuple[str, str, str] | None:
    """(la_code, submission_id, file_name) of an upload key, or None if the key is not an upload."""
    match = _UPLOAD_KEY.match(key)
    return (match["la_code"], match["submission_id"], match["file_name"]) if match else None
