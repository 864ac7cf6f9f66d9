"""The reference stage: the research data team uploads a national reference extract (POST /references, pre-signed
POST like a council's return); it is validated against its contract, its identifiers are matched against the
linkage index (tfnis.reference.matching: precision first; the index is read, never written), the matched
outcomes are staged under pseudonymised person keys and released with the panel (tfnis.pipeline.release: only
the panel's people, protected jointly with it; docs/disclosure.md "Reference outcomes"), and the raw file is
deleted. Records of people outside the study leave nothing behind: no object, no index
row, no log line (only counts are audited)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from tfnis.api.models import (
    REFERENCE_FILE,
    CreatedReference,
    CreateReference,
    PresignedPost,
    ReferenceResult,
)
from tfnis.pipeline.closure import CLOSED_OUTCOME, ResearchEnded
from tfnis.pipeline.locations import LINKAGE_INDEX_PREFIX
from tfnis.pipeline.submissions import form_seconds, new_submission_id
from tfnis.reference import ReferenceContract, contract, dataset_names
from tfnis.storage import Store, SubmissionTable
from tfnis.submissions import check_period_end

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.reference.matching import ReferenceMatch

RESEARCH_TEAM_GROUP = "research-team"
GROUPS_CLAIM = "cognito:groups"
REFERENCE_PREFIX = "references/"
_KEY = re.compile(
    r"^references/(?P<dataset>[a-z_]{1,40})/(?P<period_end>\d{4}-\d{2}-\d{2})/(?P<upload_id>\d{8}T\d{6}-[0-9a-f]{8})/"
    + re.escape(REFERENCE_FILE)
    + "$"
)


class NotResearchTeam(PermissionError):
    """The caller is not in the research-team group (403): councils never send reference data."""


class NoReferenceResult(LookupError):
    """No result for this reference upload (yet): 404, as for an id that was never issued."""


class NotAReferenceUpload(ValueError):
    """An object key that is not references/<dataset>/<period_end>/<upload_id>/records.csv."""


def require_research_team(claims: Mapping[str, Any]) -> None:
    """The caller's verified token must name the research-team group. API Gateway hands a list claim to the
    function as text ("[research-team other]"), the local stack as a list: both are read."""
    groups = claims.get(GROUPS_CLAIM) or []
    if isinstance(groups, str):
        groups = groups.strip("[]").replace(",", " ").split()
    if RESEARCH_TEAM_GROUP not in groups:
        raise NotResearchTeam("reference extracts are uploaded by the research data team only")


@dataclass(frozen=True)
class ReferenceUpload:
    dataset: str
    period_end: date
    upload_id: str

    @classmethod
    def from_key(cls, key: str) -> ReferenceUpload:
        found = _KEY.match(key)
        if not found or found["dataset"] not in dataset_names():
            raise NotAReferenceUpload("not a reference upload key")
        return cls(found["dataset"], check_period_end(found["period_end"]), found["upload_id"])

    @property
    def upload_key(self) -> str:
        return f"{REFERENCE_PREFIX}{self.dataset}/{self.period_end.isoformat()}/{self.upload_id}/{REFERENCE_FILE}"

    @property
    def result_key(self) -> str:
        """ReportsBucket: counts, rates and findings (never values) of this upload."""
        return f"reports/reference/{self.upload_id}/result.json"

    @property
    def staging_key(self) -> str:
        """ResearchBucket staging/reference/…: the matched outcomes until the panel release takes them."""
        from tfnis.pipeline.release import reference_staging_key

        return reference_staging_key(self.dataset, self.period_end.isoformat())

    def fields(self) -> dict[str, str]:
        return {"dataset": self.dataset, "period_end": self.period_end.isoformat(), "upload_id": self.upload_id}


def create_reference_upload(request: CreateReference, *, store: Store) -> CreatedReference:
    """A pre-signed POST for the extract, its key pinned under references/ and its size capped as a council's."""
    settings = store.settings
    expires_in = form_seconds(settings.upload_url_seconds, settings.research_end_date, datetime.now(UTC))
    upload = ReferenceUpload(request.dataset, check_period_end(request.period_end), new_submission_id())
    form = store.presigned_post(
        settings.upload_bucket, upload.upload_key, max_bytes=settings.upload_max_bytes, expires_in=expires_in
    )
    return CreatedReference.model_validate({
        **upload.fields(), "uploads": {REFERENCE_FILE: PresignedPost.model_validate(form)},
        "upload_expires_in_seconds": expires_in, "max_bytes": settings.upload_max_bytes,
    })  # fmt: skip


def show_reference_upload(upload_id: str, *, store: Store) -> ReferenceResult:
    """The upload's result once the stage has run; NoReferenceResult while it has not (or for an unknown id)."""
    key = f"reports/reference/{upload_id}/result.json"
    if (
        not re.fullmatch(r"\d{8}T\d{6}-[0-9a-f]{8}", upload_id)
        or store.head(store.settings.reports_bucket, key) is None
    ):
        raise NoReferenceResult("no result for this reference upload (yet)")
    return ReferenceResult.model_validate(store.get_json(store.settings.reports_bucket, key))


def reference_stage(key: str, *, store: Store, table: SubmissionTable) -> str:
    """Validate, match and write one uploaded reference extract, then delete it. A replay finds no upload."""
    from tfnis.pipeline.closure import discard
    from tfnis.reference.matching import match_reference
    from tfnis.reference.validation import check_extract, read_extract
    from tfnis.spec.findings import Status

    settings = store.settings
    upload = ReferenceUpload.from_key(key)
    raw = {"what": "reference_upload", "bucket": settings.upload_bucket, "prefix": upload.upload_key}
    if table.is_closed():
        discard(store, **raw, **upload.fields())
        return CLOSED_OUTCOME
    if store.head(settings.upload_bucket, upload.upload_key) is None:
        return "ignored: already processed"
    terms = contract(upload.dataset)
    frame = read_extract(store.get_bytes(settings.upload_bucket, upload.upload_key))
    check, matchable = check_extract(frame, terms, REFERENCE_FILE, upload.period_end)
    result: dict[str, Any] = {**upload.fields(), "records": check.records, "matchable": check.matchable}
    result["findings"] = [f.model_dump(mode="json") for f in check.findings[:100]]
    if check.status is Status.REJECTED or frame is None or matchable is None:
        _finish(upload, {**result, "status": "REJECTED"}, store=store)
        return "rejected"
    index = read_index(store)
    rows = frame[matchable.to_numpy()].reset_index(drop=True)
    del frame
    matched = match_reference(rows[list(terms.identifiers)].replace("", None), index)
    rows = rows.drop(columns=list(terms.identifiers))  # the identifiers are not needed past matching
    persons = matched_outcomes(rows, matched, terms)
    del rows
    written = stage_and_release(upload, persons, store=store, table=table)
    if written is None:
        discard(store, **raw, **upload.fields())
        return CLOSED_OUTCOME
    result |= {
        "status": "COMPLETE", "matched": len(matched.matches), "match_rate": round(matched.match_rate, 6),
        "estimated_false_match_rate": round(matched.estimated_false_match_rate, 6), **written,
    }  # fmt: skip
    _finish(upload, result, store=store)
    return "complete"


def read_index(store: Store) -> pd.DataFrame | None:
    """The whole linkage index as one frame (its Parquet parts under linkage/index/); None before any match."""
    import pandas as pd

    bucket = store.settings.linkage_bucket
    keys = sorted(k for k in store.list_keys(bucket, LINKAGE_INDEX_PREFIX) if k.endswith(".parquet"))
    if not keys:
        return None
    return pd.concat([store.get_frame(bucket, key) for key in keys], ignore_index=True)


def _finish(upload: ReferenceUpload, result: dict[str, Any], *, store: Store) -> None:
    """The raw extract deleted (every version), the result written, the counts audited (never a value)."""
    from tfnis.pipeline.closure import discard

    settings = store.settings
    discard(store, what="reference_upload", bucket=settings.upload_bucket, prefix=upload.upload_key,
            **upload.fields())  # fmt: skip
    store.put_json(settings.reports_bucket, upload.result_key, result)
    counts = {k: v for k, v in result.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    store.audit("reference_processed", status=result["status"], **upload.fields(), **counts)


def matched_outcomes(rows: pd.DataFrame, matched: ReferenceMatch, terms: ReferenceContract) -> pd.DataFrame:
    """person_key (the index's) and the typed outcomes of each matched record; nothing of the others."""
    import pandas as pd

    positions = matched.matches["position"].to_numpy()
    out = pd.DataFrame({"person_key": matched.matches["person_key"].astype("string").to_numpy()})
    for outcome in terms.outcomes:
        values = rows[outcome.name].iloc[positions].str.strip().reset_index(drop=True)
        if outcome.type == "integer":
            out[outcome.name] = pd.to_numeric(values.replace("", None), errors="coerce").astype("Int64")
        else:
            out[outcome.name] = values.replace("", None).astype("string")
    return out


def stage_and_release(
    upload: ReferenceUpload, persons: pd.DataFrame, *, store: Store, table: SubmissionTable
) -> dict[str, int] | None:
    """The outcomes staged under pseudonyms (ResearchBucket staging/reference/, read by the release only), then
    the panel released with them (tfnis.pipeline.release): only people released in the panel in that period get
    a row, protected jointly with it. None (and nothing left) when research has ended before or during it."""
    from tfnis.anonymise import derive_project_key, pseudonymise
    from tfnis.pipeline.release import release
    from tfnis.storage.parquet import frame_to_parquet

    settings = store.settings
    project_key = derive_project_key(store.generate_mac)
    people = persons.assign(
        person_key=pseudonymise(persons["person_key"], project_key, "person"),
        period_end=upload.period_end.isoformat(),
    )
    if table.is_closed():
        return None
    store.put_bytes(settings.research_bucket, upload.staging_key, frame_to_parquet(people),
                    "application/vnd.apache.parquet", kms_key_id=settings.extract_key_id)  # fmt: skip
    try:
        released = release(store, table)
    except ResearchEnded:
        released = None
    if table.is_closed():
        store.delete_all_versions(settings.research_bucket, upload.staging_key)
        return None
    counts = {"staged_persons": len(people), "extract_persons": 0, "extract_families": 0, "cells_suppressed": 0}
    if released is not None and released.reference is not None:
        outcomes, period = released.reference, upload.period_end.isoformat()
        for name, frames in (("extract_persons", outcomes.persons), ("extract_families", outcomes.families)):
            frame = frames.get(upload.dataset)
            counts[name] = 0 if frame is None else int((frame["period_end"].astype(str).str[:10] == period).sum())
        risk = outcomes.risk["datasets"].get(upload.dataset, {})
        counts["cells_suppressed"] = int(sum(risk.get("cells_suppressed", {}).values()))
    return counts
