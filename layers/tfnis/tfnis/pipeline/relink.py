"""National re-linkage (the AWS Glue job, glue/relink.py): re-link the whole index on Spark with key continuity.

Reads the live index, writes the re-linked index and the key changes under linkage/relink/<run_id>/ in
LinkageBucket, and audits counts only. The live index is not replaced here: matching is serial and would
overwrite it; promoting a re-link is a deliberate step with the match queue paused (docs/deploy.md).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tfnis.pipeline.closure import CLOSED_OUTCOME, ResearchEnded, discard, write_personal
from tfnis.pipeline.locations import LINKAGE_INDEX_PREFIX, relink_prefix
from tfnis.storage import Store, SubmissionTable

if TYPE_CHECKING:
    import pandas as pd

RUN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


def national_relink(run_id: str, *, store: Store, table: SubmissionTable, engine: str = "spark") -> str:
    """Re-link the index; returns the outcome (never a key or an identifier)."""
    from tfnis.linkage.relink import relink_index

    if not RUN_ID.match(run_id):
        raise ValueError("run id: 1-128 letters, digits, '_', '.' or '-'")
    settings = store.settings
    if table.is_closed():
        return CLOSED_OUTCOME
    index = read_index(store)
    if index is None:
        store.audit("national_relink", run_id=run_id, engine=engine, rows=0)
        return "no index yet: nothing to re-link"
    result = relink_index(index, engine=engine)
    prefix = relink_prefix(run_id)
    try:
        write_personal(store, table, settings.linkage_bucket, prefix + "index.parquet", result.index)
        write_personal(store, table, settings.linkage_bucket, prefix + "key_changes.parquet", result.key_changes)
    except ResearchEnded:
        discard(store, what="relink", bucket=settings.linkage_bucket, prefix=prefix, run_id=run_id)
        return CLOSED_OUTCOME
    store.audit("national_relink", run_id=run_id, engine=engine, **result.counts)
    counts = result.counts
    return (
        f"re-linked {counts['rows']} index rows: {counts['persons_before']} persons before, "
        f"{counts['persons_after']} after; {counts['merges']} merges, {counts['splits']} splits"
    )


def read_index(store: Store) -> pd.DataFrame | None:
    """The whole index: every Parquet file under linkage/index/ (one file, or one plus a segment per
    submission), as one frame; None before the first match."""
    import pandas as pd

    bucket = store.settings.linkage_bucket
    keys = sorted(k for k in store.list_keys(bucket, LINKAGE_INDEX_PREFIX) if k.endswith(".parquet"))
    if not keys:
        return None
    return pd.concat([store.get_frame(bucket, key) for key in keys], ignore_index=True).drop_duplicates()
