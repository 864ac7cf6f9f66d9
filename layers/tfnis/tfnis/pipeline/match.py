"""Stage 2b: link a validated submission's people to persons seen before (serial: one FIFO message group)."""

from __future__ import annotations

from tfnis.pipeline.closure import CLOSED_OUTCOME, ResearchEnded, discard, write_personal
from tfnis.pipeline.locations import LINKAGE_INDEX_KEY, SubmissionRef
from tfnis.storage import InvalidTransition, Store, SubmissionTable
from tfnis.submissions import SubmissionStatus

S = SubmissionStatus


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
    index = (
        store.get_frame(settings.linkage_bucket, LINKAGE_INDEX_KEY)
        if store.head(settings.linkage_bucket, LINKAGE_INDEX_KEY)
        else None
    )
    result = match_submission(identifiers, index)
    tokens = identifiers[["record_token", "family_token"]]
    key_map = result.key_map.merge(tokens, on="record_token", how="left", validate="one_to_one")
    key_map = key_map[["record_token", "family_token", "person_key", "family_key"]]
    try:
        write_personal(store, table, settings.work_bucket, ref.key_map_key, key_map)
        write_personal(store, table, settings.linkage_bucket, LINKAGE_INDEX_KEY, result.index)
    except ResearchEnded:
        for what, bucket, key in (("key_map", settings.work_bucket, ref.key_map_key),
                                  ("identifiers", settings.linkage_bucket, ref.identifiers_key)):  # fmt: skip
            discard(store, what=what, bucket=bucket, prefix=key, la_code=ref.la_code, submission_id=ref.submission_id)
        return CLOSED_OUTCOME
    counts = {
        **submission.counts,
        "persons_linked_to_earlier": int(key_map["person_key"].isin(index["person_key"]).sum())
        if index is not None
        else 0,
        "persons": int(key_map["person_key"].nunique()),
    }
    try:
        table.transition(ref.la_code, ref.submission_id, S.MATCHED, counts=counts)
    except InvalidTransition:
        return "ignored: submission moved on while matching"
    store.send(settings.anonymise_queue_url, ref.message())
    store.audit("submission_matched", la_code=ref.la_code, submission_id=ref.submission_id,
                records=len(key_map), persons=counts["persons"])  # fmt: skip
    return "matched"
