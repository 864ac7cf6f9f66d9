"""The council's HTTP client of the submissions API: create, upload to pre-signed POSTs, wait, read reports."""

from tfnis.client.api import ApiError, SubmissionClient, declared_files

__all__ = ["ApiError", "SubmissionClient", "declared_files"]
