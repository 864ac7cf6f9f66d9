"""Stage 1: an upload arrived. Once every declared file is there, validate the return, report, and split it."""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tfnis.pipeline.closure import CLOSED_OUTCOME, ResearchEnded, discard, write_personal
from tfnis.pipeline.locations import SubmissionRef
from tfnis.storage import InvalidTransition, Store, SubmissionNotFound, SubmissionTable
from tfnis.submissions import Submission, SubmissionStatus, parse_upload_key, upload_key

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)
S = SubmissionStatus
# Statuses a redelivered upload event may pick validation back up from (the earlier attempt crashed).
RESUMABLE = frozenset({S.RECEIVED, S.VALIDATING, S.FAILED})
LINKAGE_GROUP = "linkage"  # one FIFO message group: matching is serial
SUBMISSION_COUNTS = ("families", "individuals", "errors", "warnings", "info")
_LOOKUPS: dict[tuple[str, str, str], pd.Series] = {}  # the postcode → LSOA lookup of this warm container


@dataclass(frozen=True)
class Upload:
    """One S3 object-created event: where the object is and how often its message has been delivered."""

    bucket: str
    key: str
    version_id: str | None = None
    receive_count: int = 1


def on_upload(upload: Upload, *, store: Store, table: SubmissionTable) -> str:
    """Validate the submission once complete; returns what happened, in words fit for a log line."""
    parsed = parse_upload_key(upload.key)
    if parsed is None:
        return "ignored: not an upload key"
    la_code, submission_id, file_name = parsed
    where = {"la_code": la_code, "submission_id": submission_id, "file": file_name}
    if table.is_closed():  # a form issued before research end, used after it
        store.delete_version(upload.bucket, upload.key, upload.version_id)
        store.audit("upload_deleted", reason="research_ended", **where)
        return "deleted: research has ended"
    try:
        submission = table.get(la_code, submission_id)
    except SubmissionNotFound:
        return "ignored: no such submission (the object stays until its retention ends)"
    if file_name not in submission.files:
        return "ignored: file not declared by the submission"
    if submission.status is S.PENDING_UPLOAD:
        claimed = receive(submission, upload, file_name, store=store, table=table)
        if isinstance(claimed, str):
            return claimed
        submission = claimed
    elif not is_validated_version(submission, file_name, upload.version_id):
        # A replayed form (or one used after EXPIRED): nothing will read this version, so it goes now.
        store.delete_version(upload.bucket, upload.key, upload.version_id)
        store.audit("upload_deleted", reason=f"submission already {submission.status}", **where)
        return f"deleted: submission already {submission.status}"
    elif submission.status in RESUMABLE and upload.receive_count > 1:
        logger.info("resuming validation after an earlier attempt failed", extra={"status": submission.status})
    else:
        return f"ignored: submission already {submission.status}"
    try:
        return validate_submission(submission, store=store, table=table)
    except ResearchEnded:
        discard(store, what="raw_upload", bucket=store.settings.upload_bucket,
                prefix=SubmissionRef(la_code, submission_id, submission.period_end).upload_prefix,
                la_code=la_code, submission_id=submission_id)  # fmt: skip
        return CLOSED_OUTCOME


def receive(
    submission: Submission, upload: Upload, file_name: str, *, store: Store, table: SubmissionTable
) -> Submission | str:
    """PENDING_UPLOAD → RECEIVED once every declared file is there, pinning the version of each to validate."""
    versions: dict[str, str] = {}
    for name in submission.files:
        if name == file_name and upload.version_id:
            versions[name] = upload.version_id  # the version this event is about, not whatever is latest
            continue
        head = store.head(upload.bucket, upload_key(submission.la_code, submission.submission_id, name))
        if head is None:
            return f"waiting for {len(submission.files) - len(versions)} more file(s)"
        versions[name] = str(head.get("VersionId") or "")
    try:
        return table.transition(submission.la_code, submission.submission_id, S.RECEIVED, upload_versions=versions)
    except InvalidTransition:
        return "ignored: another event claimed the submission"


def is_validated_version(submission: Submission, file_name: str, version_id: str | None) -> bool:
    """Is this event about the version the submission took (a duplicate event), not a later one (a replay)?

    Without a version on either side (an unversioned bucket) it cannot tell, and takes it as a duplicate.
    An EXPIRED submission took no version: anything arriving for it is late.
    """
    if submission.status is S.EXPIRED:
        return False
    pinned = submission.upload_versions.get(file_name)
    return not (version_id and pinned) or version_id == pinned


def postcode_lookup(store: Store) -> pd.Series | None:
    """The configured postcode → LSOA lookup, read once per object version and kept for warm invocations."""
    key = store.settings.postcode_lookup_key
    if not key:
        return None
    head = store.head(store.settings.linkage_bucket, key)
    if head is None:
        raise FileNotFoundError(f"POSTCODE_LOOKUP_KEY {key} is not in LinkageBucket")
    version = (store.settings.linkage_bucket, key, head.get("ETag", ""))
    if version not in _LOOKUPS:
        from tfnis.spec.areas import read_lsoa_lookup

        _LOOKUPS.clear()
        with tempfile.TemporaryDirectory(prefix="tfnis-") as tmp:
            _LOOKUPS[version] = read_lsoa_lookup(store.download(version[0], key, Path(tmp) / "lookup.csv"))
    return _LOOKUPS[version]


def validate_submission(submission: Submission, *, store: Store, table: SubmissionTable) -> str:
    from tfnis.validation import findings_csv, render_html, report_json, validate_return
    from tfnis.validation.report import first_findings
    from tfnis.validation.split import split_return

    settings = store.settings
    ref = SubmissionRef(submission.la_code, submission.submission_id, submission.period_end)
    if submission.status is not S.VALIDATING:
        table.transition(ref.la_code, ref.submission_id, S.VALIDATING)
    with tempfile.TemporaryDirectory(prefix="tfnis-") as tmp:
        paths = [
            store.download(
                settings.upload_bucket, upload_key(ref.la_code, ref.submission_id, name), Path(tmp) / name,
                version_id=submission.upload_versions.get(name) or None,
            )
            for name in submission.files
        ]  # fmt: skip
        report = validate_return(paths, expected_la_code=ref.la_code, expected_period_end=ref.period_end)

    reports = {
        "validation_json": ref.report_key("validation_json"),
        "validation_csv": ref.report_key("validation_csv"),
        "validation_html": ref.report_key("validation_html"),
    }
    store.put_json(settings.reports_bucket, reports["validation_json"], report_json(report))
    store.put_text(settings.reports_bucket, reports["validation_csv"], findings_csv(report), "text/csv; charset=utf-8")
    page = render_html(report, submission_id=ref.submission_id)
    store.put_text(settings.reports_bucket, reports["validation_html"], page, "text/html; charset=utf-8")
    counts = {k: int(report.counts[k]) for k in SUBMISSION_COUNTS if isinstance(report.counts.get(k), int)}
    summary = {k: int(v) for k, v in report.counts.get("by_rule", {}).items()}

    if report.status != "VALID":
        table.transition(
            ref.la_code, ref.submission_id, S.REJECTED, counts=counts, findings_summary=summary, reports=reports,
            first_findings=first_findings(report),
            reason=f"{counts.get('errors', 0)} error(s) in the return; see the validation report",
        )  # fmt: skip
        store.audit("submission_rejected", la_code=ref.la_code, submission_id=ref.submission_id, counts=counts)
        # The council keeps its own file; ours is not needed once the report is written.
        discard(store, what="raw_upload", bucket=settings.upload_bucket, prefix=ref.upload_prefix,
                la_code=ref.la_code, submission_id=ref.submission_id)  # fmt: skip
        return "rejected"

    split = split_return(report.families, report.individuals, postcode_lookup(store))
    write_personal(store, table, settings.linkage_bucket, ref.identifiers_key, split.identifiers)
    write_personal(store, table, settings.work_bucket, ref.families_key, split.family_attributes)
    write_personal(store, table, settings.work_bucket, ref.individuals_key, split.individual_attributes)
    try:
        table.transition(
            ref.la_code, ref.submission_id, S.VALIDATED, counts=counts, findings_summary=summary, reports=reports,
            first_findings=first_findings(report),
            validated_at=datetime.now(UTC).isoformat(),
        )  # fmt: skip
    except InvalidTransition:
        return "ignored: submission moved on while validating"
    store.send(settings.coverage_queue_url, ref.message())
    store.send(settings.match_queue_url, ref.message(), group_id=LINKAGE_GROUP)
    store.audit("submission_validated", la_code=ref.la_code, submission_id=ref.submission_id, counts=counts)
    return "validated"
