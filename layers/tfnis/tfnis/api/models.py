"""Request and response models of the submissions API, one per body that crosses the wire.

A response model is also an allow-list: Powertools serialises a route's answer through its model, so a field
the model does not name never leaves the API. Requests refuse unknown fields (la_code in particular: the
council comes from the token, never the body). Validation messages name the field and the rule, never the
value sent (pydantic's `input` is dropped in `refusal`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator

from tfnis.api.body import shape_of
from tfnis.spec.findings import Severity
from tfnis.submissions.model import RETURN_FILE_NAMES, VALID_FILE_SETS, SubmissionStatus, check_period_end

REFERENCE_FILE = "records.csv"
# A submission id and a reference upload id alike (tfnis.pipeline.submissions.new_submission_id).
SUBMISSION_ID_PATTERN = r"^\d{8}T\d{6}-[0-9a-f]{8}$"
# The schema states the rule check_period_end applies (31 March or 30 September of 2015-2035), so a client
# generated from GET /openapi.json knows it; the validator still gives the message in words.
PERIOD_END_PATTERN = r"^20(1[5-9]|2[0-9]|3[0-5])-(03-31|09-30)$"
PeriodEnd = Annotated[str, Field(json_schema_extra={"pattern": PERIOD_END_PATTERN}, examples=["2025-03-31"])]


def _period_end(value: str) -> str:
    check_period_end(value)
    return value


_FILES_SCHEMA: dict[str, Any] = {"uniqueItems": True, "items": {"type": "string", "enum": sorted(RETURN_FILE_NAMES)}}


# --- requests ----------------------------------------------------------------------------------------------


class CreateSubmission(BaseModel):
    """The body of POST /submissions. la_code is deliberately absent: it comes from the caller's token."""

    model_config = ConfigDict(extra="forbid")

    period_end: PeriodEnd
    files: list[str] = Field(
        min_length=1,
        max_length=2,
        description="families.csv and individuals.csv, or return.xlsx alone",
        json_schema_extra=_FILES_SCHEMA,
    )

    _check_period_end = field_validator("period_end")(_period_end)

    @field_validator("files")
    @classmethod
    def _files(cls, value: list[str]) -> list[str]:
        if set(value) - RETURN_FILE_NAMES:  # the names sent are not repeated: a file name can be anything
            raise ValueError("unknown file name: a return is families.csv + individuals.csv, or return.xlsx")
        if frozenset(value) not in VALID_FILE_SETS or len(set(value)) != len(value):
            raise ValueError("a return is exactly families.csv + individuals.csv, or return.xlsx alone")
        return value


def _dataset_names_in_schema(schema: dict[str, Any]) -> None:
    """The reference datasets as an enum, read from their contracts when the schema is made, not at import."""
    from tfnis.reference import dataset_names

    schema["properties"]["dataset"]["enum"] = list(dataset_names())


class CreateReference(BaseModel):
    """The body of POST /references (the research data team's national reference extracts)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_dataset_names_in_schema)

    dataset: str
    period_end: PeriodEnd
    files: list[Literal["records.csv"]] = Field(min_length=1, max_length=1)

    _check_period_end = field_validator("period_end")(_period_end)

    @field_validator("dataset")
    @classmethod
    def _dataset(cls, value: str) -> str:
        from tfnis.reference import dataset_names

        if value not in dataset_names():
            raise ValueError(f"unknown dataset; one of {', '.join(dataset_names())}")
        return value


# --- responses ---------------------------------------------------------------------------------------------


class PresignedPost(BaseModel):
    """An S3 pre-signed POST: send the file as multipart/form-data to url with these fields first."""

    url: str
    fields: dict[str, str]


class SubmissionSummary(BaseModel):
    """What a council sees of a submission in a list: no findings detail, no links."""

    submission_id: str
    la_code: str
    period_end: date
    status: SubmissionStatus
    files: list[str]
    created_at: datetime
    updated_at: datetime
    counts: dict[str, int]


class CreatedSubmission(SubmissionSummary):
    """201 of POST /submissions: one pre-signed POST per declared file."""

    uploads: dict[str, PresignedPost]
    upload_expires_in_seconds: int
    max_bytes: int = Field(description="the largest file the forms accept, in bytes")


class SubmissionList(BaseModel):
    """200 of GET /submissions: the caller's council's submissions, with the size limit a page checks files by."""

    submissions: list[SubmissionSummary]
    max_bytes: int


class ReportedFinding(BaseModel):
    """One finding of a return or an extract: where and which rule, never the value."""

    file: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    rule: str
    severity: Severity
    message: str


class SubmissionDetail(SubmissionSummary):
    """200 of GET /submissions/{submission_id}: status, the first findings and short-lived report links."""

    findings_summary: dict[str, int] = Field(description="rule code -> number of findings")
    findings: list[ReportedFinding]
    reason: str | None
    reports: dict[str, str] = Field(description="report kind -> pre-signed GET")
    report_links_expire_in_seconds: int


class CreatedReference(BaseModel):
    """201 of POST /references: the pre-signed POST of records.csv."""

    dataset: str
    period_end: date
    upload_id: str
    uploads: dict[Literal["records.csv"], PresignedPost]
    upload_expires_in_seconds: int
    max_bytes: int


class RejectedReference(BaseModel):
    """The result of an extract refused by its contract: counts and findings, nothing matched."""

    status: Literal["REJECTED"]
    dataset: str
    period_end: date
    upload_id: str
    records: int
    matchable: int
    findings: list[ReportedFinding]


class CompleteReference(RejectedReference):
    """The result of a matched extract: counts and rates only (docs/reference.md)."""

    status: Literal["COMPLETE"]  # type: ignore[assignment]
    matched: int
    match_rate: float
    estimated_false_match_rate: float
    staged_persons: int  # matched and staged; extract_* are those released with the panel in this period
    extract_persons: int
    extract_families: int
    cells_suppressed: int


class ReferenceResult(RootModel[Annotated[CompleteReference | RejectedReference, Field(discriminator="status")]]):
    """200 of GET /references/{upload_id}: the result of a matched or a rejected extract."""


class Problem(BaseModel):
    """One thing wrong with a request: the field (dotted path) and the rule it breaks, in words."""

    field: str | None = None
    message: str


class ErrorBody(BaseModel):
    """Every refusal: a sentence, and for an invalid body the problems field by field. API Gateway's own 401
    ({"message": "Unauthorized"}) and 413 have the same shape."""

    message: str
    problems: list[Problem] = Field(default_factory=list)


def refusal(errors: Iterable[Mapping[str, Any]], path: str) -> tuple[int, ErrorBody]:
    """The status and body for a request its model refused: 400 when there was no body to read at all, else
    422 naming each field and rule. pydantic's `input` and `ctx` (the value sent) are left out on purpose."""
    errors = list(errors)
    if any(tuple(error.get("loc", ())) == ("body",) for error in errors):
        return 400, ErrorBody(message=f"the body must be a JSON object: send {shape_of(path)}")
    problems = [
        Problem(
            field=".".join(str(part) for part in error.get("loc", ())[1:] if part != "body") or None,
            message=str(error.get("msg") or error.get("type")).removeprefix("Value error, "),
        )
        for error in errors
    ]
    return 422, ErrorBody(message="invalid request", problems=problems)
