"""Research end: destroy every personal object and the pseudonymisation key, close the service, certify it.

DESIGN.md invariant 5. Runs once from the EventBridge Scheduler schedule at ResearchEndDate, or by hand as
`tfnis research-end --confirm`. Safe to run again: a second run finds nothing to delete, finds the key already
pending deletion, and writes a second certificate saying so. Lifecycle rules expiring every personal object at
ResearchEndDate remain the backstop, not the mechanism.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from tfnis.anonymise.certificate import (
    BucketDestruction,
    DestructionCertificate,
    DestructionIncomplete,
    ExtractDestruction,
    KeyDestruction,
)
from tfnis.anonymise.signing import ALGORITHM, canonical_bytes
from tfnis.pipeline.locations import EXTRACT_PREFIX, LINKAGE_INDEX_PREFIX, STAGING_PREFIX
from tfnis.storage import Store, SubmissionTable

MIN_PENDING_WINDOW_DAYS = 7  # KMS's minimum wait before a scheduled key deletion happens
MAX_PASSES = 3  # a stage still finishing may write behind a pass; the service is closed, so this converges
# ResearchBucket: the released panel, its risk reports and Athena results (extract/) and the staged per-period
# extracts (staging/) are row-level research data; published/ and coverage/ (output-checked aggregates) stay.
RESEARCH_DATA_PREFIXES = (EXTRACT_PREFIX, STAGING_PREFIX)


def certificate_key(stack_name: str, at: datetime) -> str:
    return f"certificates/{stack_name}/{at:%Y%m%dT%H%M%SZ}-destruction.json"


def public_key_key(stack_name: str) -> str:
    """Where the certificate signing key's public half is published in AuditBucket, beside the certificates."""
    return f"certificates/{stack_name}/signing-key.pem"


def destroy_personal_data(
    store: Store,
    table: SubmissionTable,
    *,
    trigger: str = "schedule",
    pending_window_days: int = MIN_PENDING_WINDOW_DAYS,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> DestructionCertificate:
    """Close the service, empty UploadBucket, LinkageBucket and WorkBucket of every version and delete marker,
    schedule the pseudonymisation key's deletion, look again, destroy the row-level extract (ResearchBucket
    extract/, every version) and schedule its key's deletion unless KeepExtractAfterResearchEnd, and only then
    write the certificate, signed by the KMS SigningKey, to AuditBucket.

    Closing comes first: from then on the API refuses submissions and every stage, reading the marker before
    and after it writes, writes nothing personal that stays (tfnis/pipeline/closure.py). A stage that was
    already writing when the service closed deletes its own write; the second look counts every bucket again.
    Raises DestructionIncomplete (after writing a certificate that says so) if objects remain.
    """
    settings = store.settings
    started = clock()
    key = certificate_key(settings.stack_name, started)
    table.close(key)  # first: the API refuses new submissions and every stage holds

    index_before = store.count_versions(settings.linkage_bucket, LINKAGE_INDEX_PREFIX)
    roles = (
        ("upload", settings.upload_bucket),
        ("linkage", settings.linkage_bucket),
        ("work", settings.work_bucket),
    )
    buckets = tuple(_empty_bucket(store, role, bucket) for role, bucket in roles)
    pseudonym_key = _destroy_key(store, settings.pseudonym_key_id, pending_window_days)
    buckets = _look_again(store, buckets)
    extract = _destroy_extract(store, pending_window_days) if settings.research_bucket else None
    certificate = DestructionCertificate(
        stack_name=settings.stack_name,
        research_end_date=settings.research_end_date,
        trigger=trigger,
        started_at=started,
        completed_at=clock(),
        buckets=buckets,
        linkage_index_objects_before=index_before,
        linkage_index_objects_after=store.count_versions(settings.linkage_bucket, LINKAGE_INDEX_PREFIX),
        pseudonym_key=pseudonym_key,
        extract=extract,
        service_closed=table.is_closed(),
        key=key,
    )
    certificate = certificate.model_copy(update={"signature": signature_of(store, certificate.document())})
    store.put_json(settings.audit_bucket, key, certificate.document())
    store.audit(
        "research_end", certificate=key, complete=certificate.complete, trigger=trigger,
        objects_deleted={b.role: b.versions_deleted + b.delete_markers_deleted for b in buckets},
        objects_remaining={b.role: b.objects_after for b in buckets}, key_state=pseudonym_key.state,
    )  # fmt: skip
    if not certificate.complete:
        raise DestructionIncomplete(f"personal data remains after research end; see {key}")
    return certificate


def _look_again(store: Store, buckets: tuple[BucketDestruction, ...]) -> tuple[BucketDestruction, ...]:
    """Count every bucket once more after all were emptied (a stage may have written into one already done),
    and empty again any that is not empty; the counts after are the ones certified."""
    return tuple(_empty_bucket(store, b.role, b.bucket, earlier=b) if store.count_versions(b.bucket) else b
                 for b in buckets)  # fmt: skip


def _empty_bucket(store: Store, role: str, bucket: str, earlier: BucketDestruction | None = None) -> BucketDestruction:
    before = store.count_versions(bucket)
    versions = earlier.versions_deleted if earlier else 0
    markers = earlier.delete_markers_deleted if earlier else 0
    passes = earlier.passes if earlier else 0
    after, passes_now = before, 0
    while after and passes_now < MAX_PASSES:
        counts = store.delete_all_versions(bucket)
        versions, markers, passes_now = (
            versions + counts["versions"],
            markers + counts["delete_markers"],
            passes_now + 1,
        )
        after = store.count_versions(bucket)
    return BucketDestruction(
        role=role, bucket=bucket, objects_before=earlier.objects_before if earlier else before,
        versions_deleted=versions, delete_markers_deleted=markers, objects_after=after, passes=passes + passes_now,
    )  # fmt: skip


def _destroy_key(store: Store, key_id: str, pending_window_days: int) -> KeyDestruction:
    if not key_id:
        return KeyDestruction(key_id="", state="NotConfigured", pending_window_days=pending_window_days)
    window = max(pending_window_days, MIN_PENDING_WINDOW_DAYS)
    scheduled = store.schedule_key_deletion(key_id, window)
    return KeyDestruction(
        key_id=scheduled["key_id"], state=scheduled["state"], deletion_date=scheduled["deletion_date"],
        pending_window_days=window,
    )  # fmt: skip


def signature_of(store: Store, document: dict[str, object]) -> dict[str, str] | None:
    """The certificate's signature block (KMS SigningKey over canonical_bytes); the public key is published
    beside the certificates. None when the stack has no signing key."""
    settings = store.settings
    if not settings.signing_key_id:
        return None
    signature = store.sign(settings.signing_key_id, canonical_bytes(document))
    published = public_key_key(settings.stack_name)
    store.put_text(settings.audit_bucket, published, signature["public_key_pem"], "application/x-pem-file")
    return {"algorithm": ALGORITHM, "key_id": signature["key_id"], "value": signature["signature"],
            "public_key": published}  # fmt: skip


def _destroy_extract(store: Store, pending_window_days: int) -> ExtractDestruction:
    """Every version and delete marker under ResearchBucket extract/ and staging/, and the extract's key; or,
    with KeepExtractAfterResearchEnd, nothing, said so in the certificate."""
    settings = store.settings
    bucket = settings.research_bucket
    prefix = ",".join(RESEARCH_DATA_PREFIXES)
    before = _count(store, bucket)
    objects = tuple(key for p in RESEARCH_DATA_PREFIXES for key in store.version_keys(bucket, p))
    if settings.keep_extract_after_research_end:
        kept_key = KeyDestruction(key_id=settings.extract_key_id, state="Kept", pending_window_days=0)
        return ExtractDestruction(
            bucket=bucket, prefix=prefix, kept=True, objects_before=before, versions_deleted=0,
            delete_markers_deleted=0, objects_after=before, objects_destroyed=(), extract_key=kept_key,
        )  # fmt: skip
    versions = markers = passes = 0
    after = before
    while after and passes < MAX_PASSES:
        for p in RESEARCH_DATA_PREFIXES:
            counts = store.delete_all_versions(bucket, p)
            versions, markers = versions + counts["versions"], markers + counts["delete_markers"]
        passes += 1
        after = _count(store, bucket)
    return ExtractDestruction(
        bucket=bucket, prefix=prefix, kept=False, objects_before=before, versions_deleted=versions,
        delete_markers_deleted=markers, objects_after=after, objects_destroyed=objects,
        extract_key=_destroy_key(store, settings.extract_key_id, pending_window_days),
    )  # fmt: skip


def _count(store: Store, bucket: str) -> int:
    return sum(store.count_versions(bucket, p) for p in RESEARCH_DATA_PREFIXES)
