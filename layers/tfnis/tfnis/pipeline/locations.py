"""Where each stage's outputs live, in one place (DESIGN.md "Storage")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

REPORT_FILES = {
    "validation_json": "validation.json",
    "validation_csv": "validation.csv",
    "validation_html": "validation.html",
    "coverage_json": "coverage.json",
    "coverage_csv": "coverage.csv",
    "coverage_html": "coverage.html",
}
# The linkage index is every Parquet file under this prefix (tfnis.linkage.index): index.parquet (the index as
# one file, as written before issue 14 and by compaction) and one segment per submission that added rows.
LINKAGE_INDEX_PREFIX = "linkage/index/"
LINKAGE_INDEX_KEY = LINKAGE_INDEX_PREFIX + "index.parquet"
# The model's trained parameters (tfnis.linkage.parameters), next to the index and not under its prefix (every
# object there is an index file). Delete it to have the next submission train the model again.
LINKAGE_MODEL_KEY = "linkage/model/parameters.json"
STAGING_PREFIX = "staging/"  # ResearchBucket: per-period extracts awaiting release; never researcher-readable
EXTRACT_PREFIX = "extract/"  # ResearchBucket: the released panel, its risk reports and data package


@dataclass(frozen=True)
class SubmissionRef:
    """What one stage tells the next: which submission. Never any of its data."""

    la_code: str
    submission_id: str
    period_end: date

    def loggable(self) -> dict[str, str]:
        """What a log line may say about the submission."""
        return {"la_code": self.la_code, "submission_id": self.submission_id}

    def message(self) -> dict[str, str]:
        return {
            "la_code": self.la_code,
            "submission_id": self.submission_id,
            "period_end": self.period_end.isoformat(),
        }

    @property
    def upload_prefix(self) -> str:
        return f"uploads/{self.la_code}/{self.submission_id}/"

    @property
    def identifiers_key(self) -> str:
        return f"linkage/{self.la_code}/{self.submission_id}/identifiers.parquet"

    @property
    def work_prefix(self) -> str:
        return f"work/{self.la_code}/{self.submission_id}/"

    @property
    def families_key(self) -> str:
        return self.work_prefix + "families.parquet"

    @property
    def individuals_key(self) -> str:
        return self.work_prefix + "individuals.parquet"

    @property
    def key_map_key(self) -> str:
        return self.work_prefix + "key_map.parquet"

    def report_key(self, kind: str) -> str:
        return f"reports/{self.la_code}/{self.submission_id}/{REPORT_FILES[kind]}"

    @property
    def staging_prefix(self) -> str:
        """ResearchBucket staging/: the submission's per-period extract, read only by the panel release."""
        return f"staging/period_end={self.period_end.isoformat()}/la_code={self.la_code}/"

    @property
    def risk_prefix(self) -> str:
        """ResearchBucket extract/risk/: the per-period disclosure risk report, beside the panel's."""
        return f"extract/risk/period_end={self.period_end.isoformat()}/la_code={self.la_code}/"


def index_segment_key(ref: SubmissionRef) -> str:
    """The index rows one submission added (one name per submission: a replay rewrites, never duplicates)."""
    return f"{LINKAGE_INDEX_PREFIX}segment-{ref.la_code}-{ref.submission_id}.parquet"


def compacted_segment_key(ref: SubmissionRef) -> str:
    """The index segment that merges small segments when this submission's match found them too many."""
    return f"{LINKAGE_INDEX_PREFIX}compacted-{ref.la_code}-{ref.submission_id}.parquet"


def linkage_quality_key(ref: SubmissionRef) -> str:
    """ResearchBucket: one submission's linkage quality (counts and rates), a hive-partitioned table beside the
    extract's; the latest submission of a council and period replaces the one before."""
    return f"extract/linkage_quality/period_end={ref.period_end.isoformat()}/la_code={ref.la_code}/part-0.parquet"


def coverage_latest_key(period_end: date, la_code: str) -> str:
    """The council's latest unsuppressed coverage for a period (ReportsBucket), read by the national roll-up."""
    return f"coverage-latest/period_end={period_end.isoformat()}/la_code={la_code}/coverage.json"


def national_coverage_prefix(period_end: date) -> str:
    return f"coverage/period_end={period_end.isoformat()}/"


def published_coverage_key(period_end: date) -> str:
    """ResearchBucket published/: the national coverage table once it has passed output checking."""
    return f"published/coverage/period_end={period_end.isoformat()}/coverage.csv"


def previous_period_end(period_end: date) -> date:
    """The half-year before: 30 Sep → 31 Mar of the same year; 31 Mar → 30 Sep of the year before."""
    return date(period_end.year, 3, 31) if period_end.month == 9 else date(period_end.year - 1, 9, 30)


def relink_prefix(run_id: str) -> str:
    """LinkageBucket: one national re-link's new index and key changes (personal: destroyed at research end)."""
    return f"linkage/relink/{run_id}/"
