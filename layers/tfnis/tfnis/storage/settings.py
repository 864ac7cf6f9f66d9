"""Where things are: resource names from the function's environment (template.yaml sets them)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


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
        return cls()
