"""The submissions API's logic: create a submission with pre-signed uploads, list and show a council's own."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from tfnis.api.models import (
    CreatedSubmission,
    CreateSubmission,
    PresignedPost,
    ReportedFinding,
    SubmissionDetail,
    SubmissionList,
    SubmissionSummary,
)
from tfnis.pipeline.expiry import ExpiryCheck, expiry_due, schedule_expiry
from tfnis.pipeline.locations import REPORT_FILES, SubmissionRef
from tfnis.spec.columns import LA_CODE_PATTERN
from tfnis.storage import ServiceClosed, Store, SubmissionTable
from tfnis.submissions import Submission, check_period_end, upload_key
from tfnis.submissions.model import FIRST_FINDINGS, LA_CODE_CLAIM


class NoCouncil(PermissionError):
    """The caller's token names no council (401: the token is not a council officer's)."""


class NotACouncil(PermissionError):
    """The token's council claim is not an upper-tier authority's GSS code (403, before anything is created)."""


def council_of(claims: Mapping[str, Any]) -> str:
    """The caller's la_code, from its verified token only (privacy invariant 6); never echoed when malformed."""
    la_code = claims.get(LA_CODE_CLAIM)
    if not la_code:
        raise NoCouncil(f"your token carries no council ({LA_CODE_CLAIM})")
    if not isinstance(la_code, str) or not re.match(LA_CODE_PATTERN, la_code):
        raise NotACouncil(
            f"your token's council ({LA_CODE_CLAIM}) is not the GSS code of an upper-tier local authority "
            "(E06, E08, E09 or E10 and 6 digits); ask the service team to correct your account"
        )
    return la_code


def new_submission_id() -> str:
    """Creation time and 8 random hex digits; stage messages are checked against this shape (messages.py)."""
    now = datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"


def create_submission(
    la_code: str, request: CreateSubmission, *, store: Store, table: SubmissionTable
) -> CreatedSubmission:
    """Record the submission as PENDING_UPLOAD and hand back one pre-signed POST per declared file.

    The forms never outlive the research: they expire at research end at the latest (and UploadBucket's policy
    refuses puts after it). An expiry check is queued for when they have expired.
    """
    now = datetime.now(UTC)
    settings = store.settings
    expires_in = form_seconds(settings.upload_url_seconds, settings.research_end_date, now)
    submission = table.create(
        Submission(
            la_code=la_code,
            submission_id=new_submission_id(),
            period_end=check_period_end(request.period_end),
            files=request.files,
            created_at=now,
            updated_at=now,
        )
    )
    uploads = {
        name: PresignedPost.model_validate(
            store.presigned_post(
                settings.upload_bucket,
                upload_key(la_code, submission.submission_id, name),
                max_bytes=settings.upload_max_bytes,
                expires_in=expires_in,
            )
        )
        for name in submission.files
    }
    due = expiry_due(now, expires_in, settings.upload_expiry_grace_seconds)
    schedule_expiry(ExpiryCheck(la_code, submission.submission_id, due), store=store, now=now)
    return CreatedSubmission(
        **summary(submission).model_dump(),
        uploads=uploads,
        upload_expires_in_seconds=expires_in,
        max_bytes=settings.upload_max_bytes,
    )


def form_seconds(upload_url_seconds: int, research_end_date: str, now: datetime) -> int:
    """How long a form may live: upload_url_seconds, cut short by research end (00:00 UTC that day)."""
    if not research_end_date:
        return upload_url_seconds
    end = datetime.combine(date.fromisoformat(research_end_date), time(0, 0), tzinfo=UTC)
    left = int((end - now).total_seconds())
    if left <= 0:
        raise ServiceClosed("the research has ended; no new submissions are accepted")
    return min(upload_url_seconds, left)


def summary(submission: Submission) -> SubmissionSummary:
    """What a council sees of a submission in a list: no findings detail, no links."""
    return SubmissionSummary.model_validate(submission, from_attributes=True)


def list_for_page(la_code: str, *, store: Store, table: SubmissionTable) -> SubmissionList:
    """The list, with the size limit a file may have, so a page can check files before creating anything."""
    submissions = [summary(s) for s in table.for_council(la_code)]
    return SubmissionList(submissions=submissions, max_bytes=store.settings.upload_max_bytes)


def show_submission(la_code: str, submission_id: str, *, store: Store, table: SubmissionTable) -> SubmissionDetail:
    """One submission of the caller's council with its findings summary and short-lived report links."""
    submission = table.get(la_code, submission_id)  # another council's id is simply not found
    ref = SubmissionRef(la_code, submission_id, submission.period_end)
    seconds = store.settings.report_url_seconds
    links = {
        kind: store.presigned_get(store.settings.reports_bucket, key, seconds)
        for kind, key in submission.reports.items()
        if kind in REPORT_FILES and key.startswith(f"reports/{ref.la_code}/{ref.submission_id}/")
    }
    findings = submission.first_findings[:FIRST_FINDINGS]  # file, sheet, row, column, rule; never values
    return SubmissionDetail(
        **summary(submission).model_dump(),
        findings_summary=submission.findings_summary,
        findings=[ReportedFinding.model_validate(finding) for finding in findings],
        reason=submission.reason,
        reports=links,
        report_links_expire_in_seconds=seconds,
    )
