"""The only package that talks to AWS: buckets, the Submissions table, queues, keys, audit log."""

from tfnis.storage.settings import Settings
from tfnis.storage.store import Store
from tfnis.storage.submissions_table import (
    InvalidTransition,
    ServiceClosed,
    SubmissionNotFound,
    SubmissionTable,
)

__all__ = ["InvalidTransition", "ServiceClosed", "Settings", "Store", "SubmissionNotFound", "SubmissionTable"]
