"""The destruction certificate: what research end destroyed, with counts before and after, when, for which stack.

Written to AuditBucket certificates/<stack>/… and kept. It holds counts, bucket names and the key id, never an
object key or a value: it can be shown to anyone who asks whether the promise to families was kept.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class BucketDestruction(BaseModel):
    """One personal bucket: object versions and delete markers held before, deleted, and left after."""

    model_config = ConfigDict(frozen=True)

    role: str  # upload, linkage, work
    bucket: str
    objects_before: int  # versions plus delete markers
    versions_deleted: int
    delete_markers_deleted: int
    objects_after: int
    passes: int  # a stage still running may write behind the first pass; each pass lists again

    @property
    def destroyed(self) -> bool:
        return self.objects_after == 0


class KeyDestruction(BaseModel):
    """The pseudonymisation key: once deleted, no pseudonym can be derived again nor linked back."""

    model_config = ConfigDict(frozen=True)

    key_id: str
    state: str  # PendingDeletion once scheduled; NotConfigured when the stack has no key
    deletion_date: datetime | None = None
    pending_window_days: int


class ExtractDestruction(BaseModel):
    """The row-level research data in ResearchBucket extract/ (the released panel) and staging/ (the staged
    periods): every version and delete marker, and the objects (by key: extract/<table>/period_end=…/la_code=…/
    part-0.parquet, staging/period_end=…/la_code=…/<table>.parquet; no personal value) that were destroyed."""

    model_config = ConfigDict(frozen=True)

    bucket: str
    prefix: str
    kept: bool  # KeepExtractAfterResearchEnd: nothing deleted now; research end must be run again later
    objects_before: int
    versions_deleted: int
    delete_markers_deleted: int
    objects_after: int
    objects_destroyed: tuple[str, ...]
    extract_key: KeyDestruction

    @property
    def destroyed(self) -> bool:
        key_done = self.extract_key.state in ("PendingDeletion", "NotConfigured")
        return self.kept or (self.objects_after == 0 and key_done)


class DestructionCertificate(BaseModel):
    model_config = ConfigDict(frozen=True)

    certificate: str = "tfnis destruction of personal data at research end"
    stack_name: str
    research_end_date: str
    trigger: str  # schedule, cli, test
    started_at: datetime
    completed_at: datetime
    buckets: tuple[BucketDestruction, ...]
    linkage_index_objects_before: int
    linkage_index_objects_after: int
    pseudonym_key: KeyDestruction
    extract: ExtractDestruction | None = None
    service_closed: bool
    key: str  # where this certificate lives in AuditBucket
    # KMS SigningKey's signature over the rest of the document (tfnis.anonymise.signing), with the key id and
    # where its public key is published; None only for a stack without a signing key.
    signature: dict[str, str] | None = None

    @property
    def complete(self) -> bool:
        """Every personal bucket is empty of every version and the key's deletion is scheduled."""
        key_done = self.pseudonym_key.state in ("PendingDeletion", "NotConfigured")
        extract_done = self.extract is None or self.extract.destroyed
        return (
            all(b.destroyed for b in self.buckets)
            and self.linkage_index_objects_after == 0
            and key_done
            and extract_done
        )

    def document(self) -> dict[str, object]:
        """The JSON document as stored, with the overall verdict spelled out."""
        return {**self.model_dump(mode="json"), "complete": self.complete}


class DestructionIncomplete(RuntimeError):
    """Objects were still there after the last pass: the certificate says so, and the run is retried."""
