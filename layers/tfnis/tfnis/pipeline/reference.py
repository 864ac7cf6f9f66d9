"""The reference stage: the research data team uploads a national reference extract (POST /references, pre-signed
POST like a council's return); it is validated against its contract, its identifiers are matched against the
linkage index (tfnis.reference.matching: precision first; the index is read, never written), the matched
outcomes are written to ResearchBucket under pseudonymised person and family keys within the disclosure rules,
and the raw file is deleted. Records of people outside the study leave nothing behind: no object, no index
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
from tfnis.pipeline.closure import CLOSED_OUTCOME
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
    def persons_key(self) -> str:
        return f"extract/reference/{self.dataset}/period_end={self.period_end.isoformat()}/part-0.parquet"

    @property
    def families_key(self) -> str:
        return f"extract/reference/{self.dataset}_families/period_end={self.period_end.isoformat()}/part-0.parquet"

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
    persons = matched_outcomes(rows, matched, index, terms)
    del rows
    written = write_reference_extract(upload, persons, terms, store=store, table=table)
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


def family_of_person(index: pd.DataFrame | None) -> pd.Series:
    """person_key -> the family_key it holds on most index rows (ties: the smallest): the family its outcomes
    roll up to. The index keeps no period, so a person who moved family counts in one of them."""
    import pandas as pd

    if index is None or len(index) == 0:
        return pd.Series(dtype="string")
    counts = index.groupby(["person_key", "family_key"]).size().rename("rows").reset_index()
    counts = counts.sort_values(["person_key", "rows", "family_key"], ascending=[True, False, True])
    return counts.drop_duplicates("person_key").set_index("person_key")["family_key"]


def matched_outcomes(
    rows: pd.DataFrame, matched: ReferenceMatch, index: pd.DataFrame | None, terms: ReferenceContract
) -> pd.DataFrame:
    """person_key, family_key and the typed outcomes of each matched record; nothing of the others."""
    import pandas as pd

    positions = matched.matches["position"].to_numpy()
    out = pd.DataFrame({"person_key": matched.matches["person_key"].astype("string").to_numpy()})
    out["family_key"] = out["person_key"].map(family_of_person(index)).astype("string")
    for outcome in terms.outcomes:
        values = rows[outcome.name].iloc[positions].str.strip().reset_index(drop=True)
        if outcome.type == "integer":
            out[outcome.name] = pd.to_numeric(values.replace("", None), errors="coerce").astype("Int64")
        else:
            out[outcome.name] = values.replace("", None).astype("string")
    return out


def protect_codes(persons: pd.DataFrame, terms: ReferenceContract, *, k: int, max_suppression: float):
    """Code outcomes (an offence group, an exclusion) suppressed locally to k with tfnis.disclosure, so a rare
    code cannot single a person out; when k cannot be reached within the limit the code columns are blanked
    whole. Counts pass unchanged. Returns the frame and the cells blanked."""
    from tfnis.disclosure import DisclosureRefused, TableRules
    from tfnis.disclosure.control import protect_table

    codes = tuple(o.name for o in terms.outcomes if o.type == "code")
    if not codes or persons.empty:
        return persons, 0
    rules = TableRules(table=f"reference_{terms.name}", fixed=(), quasi_identifiers=codes)
    try:
        protected = protect_table(lambda _level: persons, rules, k=k, max_suppression=max_suppression)
    except DisclosureRefused:
        blanked = int(persons[list(codes)].notna().to_numpy().sum())
        return persons.assign(**{c: persons[c].where(persons[c].isna()) for c in codes}), blanked
    return protected.frame, protected.suppression.cells


def family_rollup(people: pd.DataFrame, terms: ReferenceContract) -> pd.DataFrame:
    """Per family and period: persons matched and the sum of each count outcome over them."""
    counts = [o.name for o in terms.outcomes if o.type == "integer"]
    grouped = people.dropna(subset=["family_key"]).groupby(["period_end", "family_key"])
    families = grouped[counts].sum(min_count=1)
    families.insert(0, "persons_matched", grouped.size())
    return families.reset_index()


def write_reference_extract(
    upload: ReferenceUpload, persons: pd.DataFrame, terms: ReferenceContract, *, store: Store, table: SubmissionTable
) -> dict[str, int] | None:
    """Persons and families under pseudonyms, shuffled, in ResearchBucket under the extract's key. None (and
    nothing left) when research has ended before or during the write."""
    from tfnis.anonymise import derive_project_key, pseudonymise
    from tfnis.anonymise.extract import shuffled
    from tfnis.storage.parquet import frame_to_parquet

    settings = store.settings
    protected, suppressed = protect_codes(
        persons, terms, k=settings.disclosure_k, max_suppression=settings.max_suppression_share
    )
    project_key = derive_project_key(store.generate_mac)
    people = protected.assign(
        person_key=pseudonymise(protected["person_key"], project_key, "person"),
        family_key=pseudonymise(protected["family_key"], project_key, "family"),
        period_end=upload.period_end.isoformat(),
    )
    people = shuffled(people)  # the extract's CSPRNG order, as every file of research data
    families = shuffled(family_rollup(people, terms))
    if table.is_closed():
        return None
    for key, frame in ((upload.persons_key, people), (upload.families_key, families)):
        store.put_bytes(settings.research_bucket, key, frame_to_parquet(frame), "application/vnd.apache.parquet",
                        kms_key_id=settings.extract_key_id)  # fmt: skip
    if table.is_closed():
        for key in (upload.persons_key, upload.families_key):
            store.delete_all_versions(settings.research_bucket, key)
        return None
    return {"extract_persons": len(people), "extract_families": len(families), "cells_suppressed": suppressed}
