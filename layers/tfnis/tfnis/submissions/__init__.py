"""A submission: one council x one period, its files, and the states it moves through."""

from tfnis.submissions.model import (
    RETURN_FILE_NAMES,
    SUCCESSORS,
    Submission,
    SubmissionStatus,
    allowed_predecessors,
    check_period_end,
    parse_upload_key,
    upload_key,
)

__all__ = [
    "RETURN_FILE_NAMES",
    "SUCCESSORS",
    "Submission",
    "SubmissionStatus",
    "allowed_predecessors",
    "check_period_end",
    "parse_upload_key",
    "upload_key",
]
