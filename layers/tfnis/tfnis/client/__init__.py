"""The council's HTTP client of the submissions API: create, upload to pre-signed POSTs, wait, read reports."""

from tfnis.client.api import (
    ApiError,
    FilesNotReady,
    SubmissionClient,
    check_files,
    declared_files,
    oversized,
    token_problem,
)

__all__ = [
    "ApiError",
    "FilesNotReady",
    "SubmissionClient",
    "check_files",
    "declared_files",
    "oversized",
    "token_problem",
]
