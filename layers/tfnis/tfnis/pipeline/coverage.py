"""Stage 2a: a validated submission's coverage: the council's report, the national roll-up, metrics.

Reads attributes only (WorkBucket), never identifiers: identifier quality arrives as flags.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from tfnis.pipeline.locations import (
    SubmissionRef,
    coverage_latest_key,
    national_coverage_prefix,
    previous_period_end,
    published_coverage_key,
)
from tfnis.storage import Store, SubmissionTable
from tfnis.submissions import SubmissionStatus

if TYPE_CHECKING:
    import pandas as pd

    from tfnis.coverage.report import CoverageReport

S = SubmissionStatus
COVERED = frozenset({S.VALIDATED, S.MATCHED, S.COMPLETE})


def coverage_stage(ref: SubmissionRef, *, store: Store, table: SubmissionTable) -> CoverageReport | None:
    """Compute, publish and report the submission's coverage; safe to run twice (same figures, same keys)."""
    from tfnis.coverage.report import coverage_report

    if table.is_closed():
        return None  # research has ended: nothing is written
    settings = store.settings
    submission = table.get(ref.la_code, ref.submission_id)
    families = store.get_frame(settings.work_bucket, ref.families_key)
    individuals = store.get_frame(settings.work_bucket, ref.individuals_key)
    report = replace(
        coverage_report(families, individuals, ref.la_code, ref.period_end.isoformat()),
        submission_id=ref.submission_id,
        validated_at=(submission.validated_at or submission.updated_at).isoformat(),
    )
    # The council's own, unsuppressed figures: the copy the national roll-up reads, unless a newer one is there.
    publish_latest(ref, report, store=store)
    national = refresh_national_table(ref, store=store)
    previous = previous_report(ref, store=store, table=table)
    write_council_report(ref, report, previous, national, store=store, table=table)
    return report


def publish_latest(ref: SubmissionRef, report: CoverageReport, *, store: Store, attempts: int = 5) -> bool:
    """Make report the council's latest for the period unless a later-validated submission's is there already.

    A conditional put (If-Match on what was read, If-None-Match when nothing was) settles two runs racing;
    returns whether this report is now the latest.
    """
    from tfnis.coverage.report import CoverageReport

    bucket, key = store.settings.reports_bucket, coverage_latest_key(ref.period_end, ref.la_code)
    for _ in range(attempts):
        current = store.get_json_tagged(bucket, key)
        if current is not None and not report.newer_than(CoverageReport.from_json(current[0])):
            return False
        if store.put_json_if(bucket, key, report.to_json(), current[1] if current else None):
            return True
    raise RuntimeError(f"coverage-latest for {ref.la_code} kept changing during {attempts} attempts")


def refresh_national_table(ref: SubmissionRef, *, store: Store) -> dict[str, float]:
    """Rebuild the period's table across councils (suppressed) in ResearchBucket; national % per figure."""
    from tfnis.coverage.national import national_csv, national_percent, national_table
    from tfnis.coverage.report import CoverageReport

    settings = store.settings
    prefix = coverage_latest_key(ref.period_end, "X").rsplit("la_code=", 1)[0]
    reports = [
        CoverageReport.from_json(store.get_json(settings.reports_bucket, key))
        for key in store.list_keys(settings.reports_bucket, prefix)
    ]
    table = national_table(reports)
    out = national_coverage_prefix(ref.period_end)
    store.put_frame(settings.research_bucket, out + "coverage.parquet", table)
    store.put_text(settings.research_bucket, out + "coverage.csv", national_csv(table), "text/csv; charset=utf-8")
    publish_national_table(ref, table, store=store)
    return national_percent(table)


def publish_national_table(ref: SubmissionRef, table: pd.DataFrame, *, store: Store) -> None:
    """The table under published/ only once it passes output checking (tfnis.disclosure.publish)."""
    from tfnis.coverage.national import national_csv
    from tfnis.disclosure.publish import publishable_coverage

    text = national_csv(publishable_coverage(table))
    store.put_text(
        store.settings.research_bucket, published_coverage_key(ref.period_end), text, "text/csv; charset=utf-8"
    )


def previous_report(ref: SubmissionRef, *, store: Store, table: SubmissionTable) -> CoverageReport | None:
    """The same council's coverage for the period before, if it submitted one that passed validation."""
    from tfnis.coverage.report import CoverageReport

    earlier = previous_period_end(ref.period_end)
    candidates = [
        s
        for s in table.for_council(ref.la_code)
        if s.period_end == earlier and s.status in COVERED and "coverage_json" in s.reports
    ]
    if not candidates:
        return None
    latest = max(candidates, key=lambda s: s.updated_at)
    return CoverageReport.from_json(store.get_json(store.settings.reports_bucket, latest.reports["coverage_json"]))


def write_council_report(
    ref: SubmissionRef,
    report: CoverageReport,
    previous: CoverageReport | None,
    national: dict[str, float],
    *,
    store: Store,
    table: SubmissionTable,
) -> dict[str, str]:
    from tfnis.coverage.html import render_html

    settings = store.settings
    keys = {kind: ref.report_key(kind) for kind in ("coverage_json", "coverage_csv", "coverage_html")}
    store.put_json(settings.reports_bucket, keys["coverage_json"], report.to_json())
    store.put_text(settings.reports_bucket, keys["coverage_csv"], report.to_csv(), "text/csv; charset=utf-8")
    html = render_html(report, previous=previous, national=national)
    store.put_text(settings.reports_bucket, keys["coverage_html"], html, "text/html; charset=utf-8")
    submission = table.get(ref.la_code, ref.submission_id)
    table.update_fields(ref.la_code, ref.submission_id, reports={**submission.reports, **keys})
    return keys
