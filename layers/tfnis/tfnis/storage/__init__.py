"""The only package that talks to AWS: buckets, the Submissions table, queues, keys, audit log."""

from tfnis.storage.settings import Settings
from tfnis.storage.store import Store
from tfnis.storage.submissions_table import (
    InvalidTransition,
    ServiceClosed,
    SubmissionNotFound,
    SubmissionTable,
)

__all__ = [
    "InvalidTransition",
    "ServiceClosed",
    "Settings",
    "Store",
    "SubmissionNotFound",
    "SubmissionTable",
    "store_and_table",
]


def store_and_table(settings: Settings) -> tuple[Store, SubmissionTable]:
    """The store and the Submissions table every stage works with, built one way for handlers and the CLI."""
    return Store(settings), SubmissionTable(settings.submissions_table, settings.research_end_date)
