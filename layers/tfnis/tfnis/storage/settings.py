"""Where things are: resource names from the function's environment (template.yaml sets them).

`Settings` reads whatever is set (the CLI and tests use it). Each function reads its own subclass, in which every
variable template.yaml gives that function is required: a missing one fails the cold start with its name
(MissingSetting), not a request later with an empty bucket name.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

# A resource's name, ARN, id or URL: set, and not empty.
Name = Annotated[str, Field(min_length=1)]


class MissingSetting(RuntimeError):
    """A function's environment lacks a variable it needs (or has it empty); the message names them."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    upload_bucket: str = ""
    linkage_bucket: str = ""
    work_bucket: str = ""
    reports_bucket: str = ""
    research_bucket: str = ""
    audit_bucket: str = ""
    submissions_table: str = ""
    idempotency_table: str = ""
    coverage_queue_url: str = ""
    match_queue_url: str = ""
    anonymise_queue_url: str = ""
    dead_letter_queue_url: str = ""  # the function's own DLQ: unreadable messages go there at once
    upload_max_bytes: int = 104_857_600
    research_end_date: str = ""
    raw_retention_days: int = 30
    pseudonym_key_id: str = ""
    data_key_id: str = ""
    identifier_key_id: str = ""  # KMS key of UploadBucket and LinkageBucket; named in pre-signed POSTs
    stack_name: str = "tfnis"
    postcode_lookup_key: str = ""  # LinkageBucket key of an ONS postcode → LSOA lookup (NSPL CSV); "" = none
    # Disclosure control of the research extract (template parameters DisclosureK, MaxSuppressionShare,
    # ExtractArea) and its own key; research end's signing key and whether the extract outlives the research.
    disclosure_k: int = 5
    max_suppression_share: float = 0.10
    panel_max_suppression_share: float = 0.25  # the panel release, across periods (PanelMaxSuppressionShare)
    extract_area: str = "none"  # none, postcode_district or lsoa
    extract_key_id: str = ""
    signing_key_id: str = ""
    keep_extract_after_research_end: bool = False
    max_receive_count: int = 3
    upload_url_seconds: int = 900
    upload_queue_url: str = ""  # where the API schedules a submission's expiry check (validate reads it)
    upload_expiry_grace_seconds: int = 900  # an upload started just before its form expired may still finish
    report_url_seconds: int = 300

    @classmethod
    def from_env(cls) -> Settings:
        """Read now. Handlers call this once, at import, and keep the result (a cold start reads it)."""
        try:
            return cls()
        except ValidationError as error:
            names = sorted({str(e["loc"][0]).upper() for e in error.errors() if e["loc"]})
            raise MissingSetting(
                f"{cls.__name__}: environment variable(s) {', '.join(names)} missing or empty (template.yaml "
                "sets them for this function)."
            ) from None


class ApiSettings(Settings):
    """SubmissionsApiFunction."""

    upload_bucket: Name
    reports_bucket: Name
    submissions_table: Name
    identifier_key_id: Name
    upload_queue_url: Name
    research_end_date: str
    data_key_id: Name


class ValidateSettings(Settings):
    """ValidateFunction."""

    upload_bucket: Name
    linkage_bucket: Name
    work_bucket: Name
    reports_bucket: Name
    audit_bucket: Name
    submissions_table: Name
    idempotency_table: Name
    coverage_queue_url: Name
    match_queue_url: Name
    upload_queue_url: Name
    dead_letter_queue_url: Name
    postcode_lookup_key: str  # set, and "" when there is no lookup
    research_end_date: str
    data_key_id: Name


class CoverageSettings(Settings):
    """CoverageFunction."""

    work_bucket: Name
    reports_bucket: Name
    research_bucket: Name
    submissions_table: Name
    idempotency_table: Name
    dead_letter_queue_url: Name
    research_end_date: str
    data_key_id: Name


class MatchSettings(Settings):
    """MatchFunction."""

    linkage_bucket: Name
    work_bucket: Name
    audit_bucket: Name
    submissions_table: Name
    idempotency_table: Name
    anonymise_queue_url: Name
    dead_letter_queue_url: Name
    research_end_date: str
    data_key_id: Name
    research_bucket: Name  # extract/linkage_quality/ (tfnis.linkage.quality)
    extract_key_id: Name


class AnonymiseSettings(Settings):
    """AnonymiseFunction."""

    upload_bucket: Name
    linkage_bucket: Name
    work_bucket: Name
    research_bucket: Name
    audit_bucket: Name
    submissions_table: Name
    idempotency_table: Name
    pseudonym_key_id: Name
    extract_key_id: Name
    dead_letter_queue_url: Name
    research_end_date: str
    data_key_id: Name


class ResearchEndSettings(Settings):
    """ResearchEndFunction."""

    upload_bucket: Name
    linkage_bucket: Name
    work_bucket: Name
    research_bucket: Name
    audit_bucket: Name
    submissions_table: Name
    pseudonym_key_id: Name
    extract_key_id: Name
    signing_key_id: Name
    research_end_date: str
    data_key_id: Name


class ReferenceSettings(Settings):
    """ReferenceFunction."""

    upload_bucket: Name
    linkage_bucket: Name
    reports_bucket: Name
    research_bucket: Name
    audit_bucket: Name
    submissions_table: Name
    pseudonym_key_id: Name
    extract_key_id: Name
    dead_letter_queue_url: Name
    research_end_date: str
    data_key_id: Name


# Each function of template.yaml (logical id) and the settings its handler reads.
FUNCTION_SETTINGS: dict[str, type[Settings]] = {
    "SubmissionsApiFunction": ApiSettings,
    "ValidateFunction": ValidateSettings,
    "CoverageFunction": CoverageSettings,
    "MatchFunction": MatchSettings,
    "AnonymiseFunction": AnonymiseSettings,
    "ResearchEndFunction": ResearchEndSettings,
    "ReferenceFunction": ReferenceSettings,
}
