"""Research end is final (DESIGN.md invariant 5): no stage may bring personal data back once the service closed.

research_end writes the closed marker first, then destroys. A stage asks the marker when it starts and again
right after each personal write: a write that lands after the destruction pass is seen by the stage's own second
look (the marker was set before the pass began) and deleted there. Only a crash between the write and the look
leaves anything, and the lifecycle rules at ResearchEndDate are the backstop for that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tfnis.storage import Store, SubmissionTable

if TYPE_CHECKING:
    import pandas as pd

CLOSED_OUTCOME = "ignored: research has ended"


class ResearchEnded(RuntimeError):
    """The service closed while a stage was running: what it wrote has been deleted again."""


def write_personal(store: Store, table: SubmissionTable, bucket: str, key: str, content: pd.DataFrame | bytes) -> None:
    """Write personal (or pseudonymised) data as Parquet, unless research ends before or during the write."""
    if table.is_closed():
        raise ResearchEnded(key)
    if isinstance(content, bytes):
        store.put_bytes(bucket, key, content, "application/vnd.apache.parquet")
    else:
        store.put_frame(bucket, key, content)
    if table.is_closed():
        store.delete_all_versions(bucket, key)
        raise ResearchEnded(key)


def discard(store: Store, *, what: str, bucket: str, prefix: str, **where: str) -> int:
    """Delete every version under prefix and audit the count (never a value); returns versions removed."""
    counts = store.delete_all_versions(bucket, prefix)
    removed = counts["versions"] + counts["delete_markers"]
    if removed:
        store.audit("personal_data_deleted", what=what, versions=counts["versions"],
                    delete_markers=counts["delete_markers"], **where)  # fmt: skip
    return removed
