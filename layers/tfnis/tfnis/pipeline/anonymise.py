"""Stage 3: a matched submission becomes research data, and its personal data is removed (DESIGN.md invariant 4).

Order matters: the extract is written (after its pre-write check) before the submission is COMPLETE, and the raw
upload, the identifiers file and the key map are deleted only once it is COMPLETE. A crash anywhere leaves the
personal data in place for a retry, never a COMPLETE submission without its extract. The linkage index keeps
only what future matching needs; its columns belong to tfnis.linkage.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tfnis.pipeline.closure import CLOSED_OUTCOME, ResearchEnded
from tfnis.pipeline.locations import SubmissionRef
from tfnis.storage import InvalidTransition, Settings, Store, SubmissionTable
from tfnis.submissions import SubmissionStatus

if TYPE_CHECKING:
    from tfnis.anonymise.extract import ExtractPolicy, ResearchExtract

S = SubmissionStatus
EXTRACT_TABLES = ("families", "individuals")


def staging_key(ref: SubmissionRef, table: str) -> str:
    """staging/period_end=…/la_code=…/<table>.parquet in ResearchBucket: the submission's per-period extract,
    read by the panel release only (researchers read the panel under extract/<table>/)."""
    return f"{ref.staging_prefix}{table}.parquet"


def risk_report_key(ref: SubmissionRef, kind: str) -> str:
    """extract/risk/period_end=…/la_code=…/risk.json or risk.html: the per-period disclosure risk report."""
    return f"{ref.risk_prefix}risk.{kind}"


def extract_policy(settings: Settings) -> ExtractPolicy:
    from tfnis.anonymise.extract import ExtractPolicy

    area = "" if settings.extract_area == "none" else settings.extract_area
    return ExtractPolicy(k=settings.disclosure_k, max_suppression=settings.max_suppression_share, area=area)


def anonymise_stage(ref: SubmissionRef, *, store: Store, table: SubmissionTable) -> str:
    """Write the research extract, move MATCHED → COMPLETE, then remove the submission's personal data.

    A replay of a COMPLETE submission only finishes a removal an earlier run did not (nothing, usually).
    Raises ExtractRefused (nothing written, status unchanged) when the pre-write check fails, and
    DisclosureRefused (nothing written) when k cannot be reached within the suppression limit.
    """
    from tfnis.anonymise import derive_project_key
    from tfnis.anonymise.extract import build_extract

    if table.is_closed():
        remove_personal_data(ref, store=store)
        return CLOSED_OUTCOME
    submission = table.get(ref.la_code, ref.submission_id)
    if submission.status is S.COMPLETE:
        removed = remove_personal_data(ref, store=store)
        return "ignored: already COMPLETE" + ("" if not any(removed.values()) else "; finished removing its data")
    settings = store.settings
    if submission.status not in (S.MATCHED, S.FAILED) or store.head(settings.work_bucket, ref.key_map_key) is None:
        return f"ignored: submission is {submission.status}, not matched"

    families = store.get_frame(settings.work_bucket, ref.families_key)
    individuals = store.get_frame(settings.work_bucket, ref.individuals_key)
    key_map = store.get_frame(settings.work_bucket, ref.key_map_key)
    project_key = derive_project_key(store.generate_mac)
    extract = build_extract(families, individuals, key_map, project_key, extract_policy(settings))
    try:
        write_extract(ref, extract, store=store, table=table)
        release_with(ref, store=store, table=table)
    except ResearchEnded:
        remove_personal_data(ref, store=store)
        return CLOSED_OUTCOME

    counts = {
        **submission.counts,
        "extract_families": len(extract.families),
        "extract_individuals": len(extract.individuals),
    }
    try:
        table.transition(ref.la_code, ref.submission_id, S.COMPLETE, counts=counts)
    except InvalidTransition:
        return "ignored: submission moved on while anonymising"
    store.audit(
        "extract_written", la_code=ref.la_code, submission_id=ref.submission_id, period_end=ref.period_end,
        families=len(extract.families), individuals=len(extract.individuals), area=extract.area or "none",
        k=settings.disclosure_k, **_suppression_counts(extract),
    )  # fmt: skip
    remove_personal_data(ref, store=store)
    return "complete"


def write_extract(ref: SubmissionRef, extract: ResearchExtract, *, store: Store, table: SubmissionTable) -> None:
    """Both tables staged under the extract's own key (staging/, for the panel release), and the per-period
    risk report under extract/risk/ (counts only). Like every personal write (tfnis.pipeline.closure), refused
    once research has ended and taken back if it ends meanwhile.
    """
    settings = store.settings
    bucket, key_id = settings.research_bucket, settings.extract_key_id
    if table.is_closed():
        raise ResearchEnded(ref.staging_prefix)
    for name, body in extract.staging_parquet().items():
        store.put_bytes(bucket, staging_key(ref, name), body, "application/vnd.apache.parquet", kms_key_id=key_id)
    if extract.risk is not None:
        document = json.dumps(extract.risk.to_json(), indent=2).encode()
        store.put_bytes(bucket, risk_report_key(ref, "json"), document, "application/json", kms_key_id=key_id)
        html = extract.risk.html().encode()
        store.put_bytes(bucket, risk_report_key(ref, "html"), html, "text/html; charset=utf-8", kms_key_id=key_id)
    if table.is_closed():
        store.delete_all_versions(bucket, ref.staging_prefix)
        store.delete_all_versions(bucket, ref.risk_prefix)
        raise ResearchEnded(ref.staging_prefix)


def release_with(ref: SubmissionRef, *, store: Store, table: SubmissionTable) -> None:
    """Release the panel with this submission staged. If disclosure control refuses the panel, the submission's
    staged extract and risk report are taken back (the panel stays as it was) and the refusal propagates."""
    from tfnis.disclosure import DisclosureRefused
    from tfnis.pipeline.release import release

    try:
        release(store, table)
    except DisclosureRefused:
        store.delete_all_versions(store.settings.research_bucket, ref.staging_prefix)
        store.delete_all_versions(store.settings.research_bucket, ref.risk_prefix)
        raise


def remove_personal_data(ref: SubmissionRef, *, store: Store) -> dict[str, int]:
    """Delete every version of the raw upload, the identifiers file and the key map; audit counts, never keys.

    The key map goes too: with the attributes (kept a little longer, for coverage) and the index it would tie
    research rows back to identifiers. Returns the number of object versions and delete markers removed.
    """
    settings = store.settings
    targets = {
        "raw_upload": (settings.upload_bucket, ref.upload_prefix),
        "identifiers": (settings.linkage_bucket, ref.identifiers_key),
        "key_map": (settings.work_bucket, ref.key_map_key),
    }
    removed: dict[str, int] = {}
    for what, (bucket, prefix) in targets.items():
        counts = store.delete_all_versions(bucket, prefix)
        removed[what] = counts["versions"] + counts["delete_markers"]
        if removed[what]:
            store.audit(
                "personal_data_deleted", what=what, la_code=ref.la_code, submission_id=ref.submission_id,
                versions=counts["versions"], delete_markers=counts["delete_markers"],
            )  # fmt: skip
    return removed


def _suppression_counts(extract: ResearchExtract) -> dict[str, object]:
    if extract.risk is None:
        return {}
    return {f"{t.table}_cells_suppressed": t.cells_suppressed for t in extract.risk.tables} | {
        "households_unique_share": extract.risk.households.unique_share_after
    }
