"""Stage 2b: link a validated submission's people to persons seen before (serial: one FIFO message group)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tfnis.pipeline.closure import CLOSED_OUTCOME, ResearchEnded, discard, write_personal
from tfnis.pipeline.locations import LINKAGE_INDEX_PREFIX, SubmissionRef, index_segment_key, linkage_quality_key
from tfnis.storage import InvalidTransition, Store, SubmissionTable
from tfnis.storage.parquet import frame_to_parquet
from tfnis.submissions import SubmissionStatus

if TYPE_CHECKING:
    from tfnis.linkage.index import ParquetIndex

S = SubmissionStatus
NEW_PERSON = "new_person"  # tfnis.linkage.incremental.NEW_PERSON, not imported at cold start
# DuckDB's share of the function's memory while it reads the index; pandas and splink need the rest.
INDEX_MEMORY_SHARE = 0.35


def _local_index(store: Store, directory: Path) -> ParquetIndex | None:
    """The index's Parquet files, downloaded to local disk (the function's ephemeral storage, not memory),
    for DuckDB to query under a memory limit set from the function's memory; None before the first match."""
    from tfnis.linkage.index import ParquetIndex

    bucket = store.settings.linkage_bucket
    keys = sorted(store.list_keys(bucket, LINKAGE_INDEX_PREFIX))
    if not keys:
        return None
    paths = tuple(store.download(bucket, key, directory / f"part-{i:05d}.parquet") for i, key in enumerate(keys))
    memory_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008"))
    spill = directory / "spill"
    spill.mkdir()
    return ParquetIndex(paths, memory_limit=f"{int(memory_mb * INDEX_MEMORY_SHARE)}MB", temp_directory=spill)


def match_stage(ref: SubmissionRef, *, store: Store, table: SubmissionTable) -> str:
    """Write record_token → person_key, family_key to WorkBucket, update the index, move to MATCHED.

    A replay finds the submission already MATCHED (or later) and changes nothing.
    """
    from tfnis.linkage import match_submission

    if table.is_closed():
        discard(store, what="identifiers", bucket=store.settings.linkage_bucket, prefix=ref.identifiers_key,
                la_code=ref.la_code, submission_id=ref.submission_id)  # fmt: skip
        return CLOSED_OUTCOME
    submission = table.get(ref.la_code, ref.submission_id)
    if submission.status not in (S.VALIDATED, S.FAILED):
        return f"ignored: submission already {submission.status}"
    settings = store.settings
    identifiers = store.get_frame(settings.linkage_bucket, ref.identifiers_key)
    with tempfile.TemporaryDirectory(prefix="tfnis-index-") as tmp:
        index = _local_index(store, Path(tmp))
        result = match_submission(identifiers, index)
    tokens = identifiers[["record_token", "family_token"]]
    key_map = result.key_map.merge(tokens, on="record_token", how="left", validate="one_to_one")
    key_map = key_map[["record_token", "family_token", "person_key", "family_key"]]
    try:
        write_personal(store, table, settings.work_bucket, ref.key_map_key, key_map)
        if len(result.new_rows):  # a replay adds nothing: the index stays as it is
            write_personal(store, table, settings.linkage_bucket, index_segment_key(ref), result.new_rows)
    except ResearchEnded:
        for what, bucket, key in (("key_map", settings.work_bucket, ref.key_map_key),
                                  ("identifiers", settings.linkage_bucket, ref.identifiers_key)):  # fmt: skip
            discard(store, what=what, bucket=bucket, prefix=key, la_code=ref.la_code, submission_id=ref.submission_id)
        return CLOSED_OUTCOME
    try:
        write_linkage_quality(ref, result.quality, store=store, table=table)
    except ResearchEnded:
        return CLOSED_OUTCOME
    counts = {
        **submission.counts,
        "persons_linked_to_earlier": int((result.key_map["match_rule"] != NEW_PERSON).sum()),
        "persons": int(key_map["person_key"].nunique()),
        **quality_counts(result.quality),
    }
    try:
        table.transition(ref.la_code, ref.submission_id, S.MATCHED, counts=counts)
    except InvalidTransition:
        return "ignored: submission moved on while matching"
    store.send(settings.anonymise_queue_url, ref.message())
    store.audit("submission_matched", la_code=ref.la_code, submission_id=ref.submission_id,
                records=len(key_map), persons=counts["persons"])  # fmt: skip
    return "matched"


def quality_counts(quality: dict[str, float | int]) -> dict[str, int]:
    """The linkage quality as the submission's counts (whole numbers: rates per 10,000 records or links)."""
    counts = {f"linkage_{c}": int(quality[c]) for c in ("by_council_id", "by_match_key", "by_model")}
    counts |= {
        f"linkage_{c}": round(float(quality[c])) for c in ("estimated_false_matches", "estimated_missed_matches")
    }
    rates = ("match_rate", "false_match_rate", "missed_match_rate")
    return counts | {f"linkage_{c}_per_10000": round(float(quality[c]) * 10_000) for c in rates}


def write_linkage_quality(ref: SubmissionRef, quality: dict[str, float | int], *, store: Store,
                          table: SubmissionTable) -> None:  # fmt: skip
    """One row of counts and rates (tfnis.linkage.quality, never a key) into ResearchBucket's extract, under the
    extract's own key, so research end destroys it with the extract."""
    import pandas as pd

    from tfnis.linkage.quality import QUALITY_COLUMNS

    settings = store.settings
    # period_end and la_code are the hive partition of the key, not columns of the file.
    frame = pd.DataFrame([{"submission_id": ref.submission_id, **{c: quality[c] for c in QUALITY_COLUMNS}}])
    key = linkage_quality_key(ref)
    if table.is_closed():
        raise ResearchEnded(key)
    body = frame_to_parquet(frame)
    store.put_bytes(settings.research_bucket, key, body, "application/vnd.apache.parquet",
                    kms_key_id=settings.extract_key_id)  # fmt: skip
    if table.is_closed():
        store.delete_all_versions(settings.research_bucket, key)
        raise ResearchEnded(key)
