"""Stage 2b: link a validated submission's people to persons seen before (serial: one FIFO message group)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from tfnis.pipeline.closure import CLOSED_OUTCOME, ResearchEnded, discard, write_personal
from tfnis.pipeline.locations import (
    LINKAGE_INDEX_PREFIX,
    LINKAGE_MODEL_KEY,
    SubmissionRef,
    compacted_segment_key,
    index_segment_key,
    linkage_quality_key,
)
from tfnis.storage import InvalidTransition, Store, SubmissionTable
from tfnis.storage.parquet import frame_to_parquet
from tfnis.submissions import SubmissionStatus

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.linkage.index import ParquetIndex
    from tfnis.linkage.model import EngineMemory
    from tfnis.linkage.parameters import ModelParameters

S = SubmissionStatus
NEW_PERSON = "new_person"  # tfnis.linkage.incremental.NEW_PERSON, not imported at cold start
# DuckDB's share of the function's memory while it reads the index; pandas and splink need the rest.
INDEX_MEMORY_SHARE = 0.35
# The model's DuckDB share while it trains and predicts (the index's connection is closed by then): the
# looked-up rows are in pandas meanwhile (about 2.4 GB at a 5M index), so the engine spills past 15 %
# (451 MB at 3008 MB) rather than take the function past its memory. At a 2M index a 400 MB limit gave
# the same links in the same time (bench/index_bench.py).
MODEL_MEMORY_SHARE = 0.15
# Each submission that adds rows adds a segment. Past COMPACT_SEGMENTS segments, the match stage merges every
# segment under COMPACT_ROWS rows into one sorted segment, so the index stays a few large files (read once
# each) plus a few recent small ones, and a large segment is not rewritten at every compaction.
COMPACT_SEGMENTS = 24
COMPACT_ROWS = 1_000_000


def _local_index(store: Store, directory: Path) -> dict[str, Path]:
    """The index's Parquet files (key → local path), downloaded to local disk (the function's ephemeral
    storage, not memory); empty before the first match."""
    bucket = store.settings.linkage_bucket
    keys = sorted(store.list_keys(bucket, LINKAGE_INDEX_PREFIX))
    return {key: store.download(bucket, key, directory / f"part-{i:05d}.parquet") for i, key in enumerate(keys)}


def _parquet_index(paths: list[Path], directory: Path) -> ParquetIndex | None:
    """The files for DuckDB to query under a memory limit set from the function's memory; None for none."""
    from tfnis.linkage.index import ParquetIndex

    if not paths:
        return None
    memory_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008"))
    spill = directory / "spill"
    spill.mkdir(exist_ok=True)
    return ParquetIndex(tuple(paths), memory_limit=f"{int(memory_mb * INDEX_MEMORY_SHARE)}MB", temp_directory=spill)


def _engine_memory(directory: Path) -> EngineMemory:
    """The model's DuckDB limit from the function's memory, spilling to the function's ephemeral storage."""
    from tfnis.linkage.model import EngineMemory

    memory_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008"))
    spill = directory / "model-spill"
    spill.mkdir(exist_ok=True)
    return EngineMemory(f"{int(memory_mb * MODEL_MEMORY_SHARE)}MB", spill)


def add_index_segment(
    ref: SubmissionRef, new_rows: pd.DataFrame, segments: dict[str, Path], directory: Path, *, store: Store,
    table: SubmissionTable,
) -> None:  # fmt: skip
    """Write the submission's new index rows as a sorted segment, then compact the index if it is due."""
    from tfnis.linkage.index import write_parquet

    key = index_segment_key(ref)
    path = write_parquet(new_rows, directory / "new-segment.parquet")
    write_personal(store, table, store.settings.linkage_bucket, key, path.read_bytes())
    compact_index(ref, {**segments, key: path}, directory, store=store, table=table)


def compact_index(
    ref: SubmissionRef, segments: dict[str, Path], directory: Path, *, store: Store, table: SubmissionTable,
    most: int = COMPACT_SEGMENTS, large: int = COMPACT_ROWS,
) -> int:  # fmt: skip
    """Past `most` segments, those under `large` rows become one sorted segment of their distinct rows;
    returns how many were merged. The merged segment is written before the old ones are deleted (all
    versions), so a failure between leaves rows twice, never missing (a duplicate row changes no match)."""
    index = _parquet_index(list(segments.values()), directory)
    if index is None or len(segments) <= most:
        return 0
    rows = index.rows_per_file()
    small = [key for key, path in segments.items() if rows[path] < large]
    if len(small) < 2:
        return 0
    from dataclasses import replace

    merged = replace(index, paths=tuple(segments[key] for key in small)).compact(directory / "compacted.parquet")
    target = compacted_segment_key(ref)
    bucket = store.settings.linkage_bucket
    write_personal(store, table, bucket, target, merged.read_bytes())
    for key in small:
        if key != target:  # a retry may find its own compacted segment among the small ones
            store.delete_all_versions(bucket, key)
    store.audit("index_compacted", la_code=ref.la_code, submission_id=ref.submission_id, segments=len(small),
                rows=sum(rows[segments[key]] for key in small))  # fmt: skip
    return len(small)


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
        segments = _local_index(store, Path(tmp))
        index = _parquet_index(list(segments.values()), Path(tmp))
        result = match_submission(
            identifiers, index, model=stored_model(store), engine_memory=_engine_memory(Path(tmp))
        )
        tokens = identifiers[["record_token", "family_token"]]
        key_map = result.key_map.merge(tokens, on="record_token", how="left", validate="one_to_one")
        key_map = key_map[["record_token", "family_token", "person_key", "family_key"]]
        try:
            write_personal(store, table, settings.work_bucket, ref.key_map_key, key_map)
            if len(result.new_rows):  # a replay adds nothing: the index stays as it is
                add_index_segment(ref, result.new_rows, segments, Path(tmp), store=store, table=table)
            if result.model is not None:
                store_model(result.model, store=store, table=table)
        except ResearchEnded:
            closed = True
        else:
            closed = False
    if closed:
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
                records=len(key_map), persons=counts["persons"], model=result.model_source)  # fmt: skip
    return "matched"


def stored_model(store: Store) -> ModelParameters | None:
    """The index's trained model (tfnis.linkage.parameters), or None when there is none or it is unreadable
    (logged without a value; the submission then trains it)."""
    from tfnis.linkage.parameters import stored_model as read

    bucket = store.settings.linkage_bucket
    body = store.get_bytes(bucket, LINKAGE_MODEL_KEY) if store.head(bucket, LINKAGE_MODEL_KEY) else None
    return read(body)


def store_model(model: ModelParameters, *, store: Store, table: SubmissionTable) -> None:
    """Keep the model this submission trained next to the index (derived from personal data: written only while
    the service is open, and destroyed with the linkage bucket at research end)."""
    bucket = store.settings.linkage_bucket
    if table.is_closed():
        raise ResearchEnded(LINKAGE_MODEL_KEY)
    store.put_bytes(bucket, LINKAGE_MODEL_KEY, model.to_json(), "application/json")
    if table.is_closed():
        store.delete_all_versions(bucket, LINKAGE_MODEL_KEY)
        raise ResearchEnded(LINKAGE_MODEL_KEY)
    store.audit("linkage_model_trained", index_rows=model.index_rows, trained_records=model.trained_records)


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
    settings = store.settings
    key = linkage_quality_key(ref)
    if table.is_closed():
        raise ResearchEnded(key)
    body = linkage_quality_parquet(ref, quality)
    store.put_bytes(settings.research_bucket, key, body, "application/vnd.apache.parquet",
                    kms_key_id=settings.extract_key_id)  # fmt: skip
    if table.is_closed():
        store.delete_all_versions(settings.research_bucket, key)
        raise ResearchEnded(key)


def linkage_quality_parquet(ref: SubmissionRef, quality: dict[str, float | int]) -> bytes:
    """The submission's row typed as the registry says (int counts, double rates), which is what the Glue table
    declares: Athena refuses an INT64 file column under an `int` table column."""
    import pandas as pd

    from tfnis.linkage.quality import QUALITY_COLUMNS
    from tfnis.panel.derive import typed

    row = {"submission_id": ref.submission_id, **{c: quality[c] for c in QUALITY_COLUMNS}}
    # period_end and la_code are the hive partition of the key, not columns of the file.
    frame = typed(pd.DataFrame([row]), "linkage_quality").drop(columns=["period_end", "la_code"])
    return frame_to_parquet(frame)
