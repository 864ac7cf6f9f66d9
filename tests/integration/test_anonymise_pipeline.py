"""The whole pipeline on the embedded stack, then an exact-value scan: no identifier value of any input return
is anywhere in ResearchBucket, ReportsBucket or WorkBucket (every object version) nor in the captured logs; raw
uploads and identifiers files are gone after COMPLETE; research end leaves no personal object version."""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from tfnis.generate import generate_returns
from tfnis.spec.codes import HEADLINE_PROBLEM_LABELS, ONS_ETHNIC_GROUP, SEX_LABELS
from tfnis.storage.parquet import frame_from_parquet

pytestmark = pytest.mark.slow
PROGRAMME_DATES = {"period_end", "date_identified", "support_start_date", "support_end_date"}
DISTINCT = ("person_id", "family_id", "nino", "upn", "postcode", "nhs_number")  # unmistakable wherever they appear
NAMES = ("forename", "middle_names", "surname")
# Words the service itself writes (ethnic groups, problem labels): a surname "White" is not a leak in a label.
OWN_WORDS = {
    word
    for text in (*ONS_ETHNIC_GROUP.values(), *HEADLINE_PROBLEM_LABELS.values(), *SEX_LABELS.values())
    for word in re.findall(r"[A-Za-z]+", text)
}


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Two councils x two periods through the API and every queue, then research end; what was seen on the way."""
    from tfnis.client import SubmissionClient, declared_files
    from tfnis_local.stack import LocalStack

    root = tmp_path_factory.mktemp("returns")
    generated = generate_returns(root, councils=2, families=25, periods=2, seed=7)
    logs = io.StringIO()
    log_handler = logging.StreamHandler(logs)
    logging.getLogger().addHandler(log_handler)
    with (
        contextlib.redirect_stdout(logs),  # Powertools loggers bind sys.stdout when the handlers are loaded
        contextlib.redirect_stderr(logs),
        # 25 families a return: k = 5 costs more suppression than the default limit allows, and this test is
        # about identifier values, not k (tests/integration/test_disclosure_stage.py pins that).
        LocalStack(
            stack_name="tfnis-scan",
            log_level="DEBUG",
            parameters={"MaxSuppressionShare": "0.5", "PanelMaxSuppressionShare": "0.5"},
        ) as stack,
    ):
        for period_end in sorted({r.period_end for r in generated.returns}):
            for r in (r for r in generated.returns if r.period_end == period_end):
                client = SubmissionClient(stack.api_url, stack.token_for(r.la_code))
                files = declared_files([r.families, r.individuals])
                created = client.create(period_end.isoformat(), list(files))
                for name, path in files.items():
                    client.upload(created["uploads"][name], path)
            stack.drain(timeout=600)
        buckets = dict(stack.resources.buckets)
        s3 = stack.client("s3")
        seen = {
            "statuses": [s.status.value for s in _table(stack).all_submissions()],
            "objects": {lid: list(_versions(s3, name)) for lid, name in buckets.items()},
            "certificate": stack.invoke("ResearchEndFunction", {"source": "test", "confirm": True}),
        }
        seen["after"] = {lid: sum(1 for _ in _version_ids(s3, name)) for lid, name in buckets.items()}
    logging.getLogger().removeHandler(log_handler)
    seen["returns"], seen["logs"] = generated.returns, logs.getvalue()
    yield seen


def _table(stack: Any) -> Any:
    from tfnis.storage import Settings, SubmissionTable

    return SubmissionTable(Settings().submissions_table)


def _version_ids(s3: Any, bucket: str) -> Iterator[tuple[str, str]]:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
            yield item["Key"], item["VersionId"]


def _versions(s3: Any, bucket: str) -> Iterator[tuple[str, bytes | None]]:
    """(key, body) of every object version; a delete marker has no body."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for item in page.get("Versions", []):
            yield item["Key"], s3.get_object(Bucket=bucket, Key=item["Key"], VersionId=item["VersionId"])["Body"].read()
        for item in page.get("DeleteMarkers", []):
            yield item["Key"], None


def input_values(returns: Any) -> dict[str, set[str]]:
    """Every identifier value of every uploaded return, as written and as the service normalises it."""
    people = pd.concat([pd.read_csv(r.individuals, dtype=str, keep_default_na=False) for r in returns])
    families = pd.concat([pd.read_csv(r.families, dtype=str, keep_default_na=False) for r in returns])
    values: dict[str, set[str]] = {}
    for column in DISTINCT:
        table = families if column == "family_id" else people
        raw = {v for v in table[column] if v}
        values[column] = raw | {re.sub(r"\s+", "", v).upper() for v in raw} | {v.upper() for v in raw}
    values["names"] = {v for c in NAMES for cell in people[c] for v in [cell.strip()] if len(v) > 2} - OWN_WORDS
    period_ends = {str(r.period_end) for r in returns}
    values["dob"] = {v for v in people["date_of_birth"] if v and v not in period_ends}
    return values


def leaks_in_frame(frame: pd.DataFrame, values: dict[str, set[str]]) -> list[str]:
    found = []
    for column in frame.columns:
        series = frame[column].dropna()
        if pd.api.types.is_datetime64_any_dtype(series):
            if column in PROGRAMME_DATES:
                continue
            dates = {d.date().isoformat() for d in series if d.day != 1 or column != "birth_month"}
            if dates & values["dob"]:
                found.append(f"{column}: date of birth")
            continue
        cells = {str(v).strip() for v in series.unique()}
        for kind in (*DISTINCT, "names"):
            if cells & values[kind]:
                found.append(f"{column}: {kind}")
    return found


def leaks_in_text(text: str, values: dict[str, set[str]]) -> list[str]:
    found = [kind for kind in DISTINCT if any(v in text for v in values[kind])]
    words = set(re.findall(r"[^\W\d_][^\W\d_'.-]*", text))
    if words & values["names"]:
        found.append(f"names {sorted(words & values['names'])[:3]}")
    if any(d in text for d in values["dob"]):
        found.append("date of birth")
    return found


def test_every_submission_completes(pipeline_run):
    assert pipeline_run["statuses"] and set(pipeline_run["statuses"]) == {"COMPLETE"}


@pytest.mark.parametrize("bucket", ["ResearchBucket", "ReportsBucket", "WorkBucket", "AuditBucket"])
def test_no_identifier_value_of_any_input_is_in_the_bucket(pipeline_run, bucket):
    values = input_values(pipeline_run["returns"])
    leaks = []
    for key, body in pipeline_run["objects"][bucket]:
        if body is None:
            continue
        found = (
            leaks_in_frame(frame_from_parquet(body), values)
            if key.endswith(".parquet")
            else leaks_in_text(body.decode("utf-8", errors="replace"), values)
        )
        leaks += [f"{key}: {f}" for f in found]
    assert not leaks


def test_no_raw_upload_or_identifiers_file_is_left_after_complete(pipeline_run):
    assert not pipeline_run["objects"]["UploadBucket"]
    linkage_keys = {key for key, _ in pipeline_run["objects"]["LinkageBucket"]}
    assert not {k for k in linkage_keys if k.endswith("identifiers.parquet")}
    assert not {k for k, _ in pipeline_run["objects"]["WorkBucket"] if k.endswith("key_map.parquet")}


def test_research_end_leaves_no_personal_object_version_and_certifies_the_counts(pipeline_run):
    certificate = pipeline_run["certificate"]
    assert certificate["complete"] is True
    for role, logical_id in (("upload", "UploadBucket"), ("linkage", "LinkageBucket"), ("work", "WorkBucket")):
        counted = next(b for b in certificate["buckets"] if b["role"] == role)
        assert counted["objects_before"] == len(pipeline_run["objects"][logical_id])
        assert counted["objects_after"] == pipeline_run["after"][logical_id] == 0


def test_the_extract_holds_every_council_and_period_with_its_risk_report(pipeline_run):
    keys = {key for key, _ in pipeline_run["objects"]["ResearchBucket"] if key.startswith(("extract/", "staging/"))}
    expected = (
        {
            f"staging/period_end={r.period_end}/la_code={r.la_code}/{name}"
            for r in pipeline_run["returns"]
            for name in ("families.parquet", "individuals.parquet")
        }
        | {
            f"extract/risk/period_end={r.period_end}/la_code={r.la_code}/{name}"
            for r in pipeline_run["returns"]
            for name in ("risk.json", "risk.html")
        }
        | {
            f"extract/{table}/period_end={r.period_end}/la_code={r.la_code}/part-0.parquet"
            for r in pipeline_run["returns"]
            for table in ("families", "individuals")
        }
        | {"extract/risk/panel.json", "extract/risk/panel.html", "extract/datapackage.json"}
    )
    # The match stage's linkage quality, counts and rates (docs/linkage.md), a table beside the panel's.
    expected |= {
        f"extract/linkage_quality/period_end={r.period_end}/la_code={r.la_code}/part-0.parquet"
        for r in pipeline_run["returns"]
    }
    assert keys == expected


def test_research_end_destroys_the_extract_and_lists_it_in_the_certificate(pipeline_run):
    extract = pipeline_run["certificate"]["extract"]
    written = {k for k, _ in pipeline_run["objects"]["ResearchBucket"] if k.startswith(("extract/", "staging/"))}
    assert extract["objects_after"] == 0 and set(extract["objects_destroyed"]) == written
    assert pipeline_run["certificate"]["signature"]["algorithm"] == "ECDSA_SHA_256"


def test_the_national_coverage_table_is_published_only_checked(pipeline_run, tmp_path):
    from tfnis.cli.main import main

    published = [(k, b) for k, b in pipeline_run["objects"]["ResearchBucket"] if k.startswith("published/")]
    assert published and all(k.startswith("published/coverage/") for k, _ in published)
    for number, (_, body) in enumerate(published):
        table = tmp_path / f"table{number}.csv"
        table.write_bytes(body)
        assert main(["check-output", str(table), "--counts", "numerator,denominator"]) == 0


def test_no_identifier_value_is_in_the_logs(pipeline_run):
    assert "anonymise stage" in pipeline_run["logs"]  # the handlers' logs were captured
    assert not leaks_in_text(pipeline_run["logs"], input_values(pipeline_run["returns"]))


def test_the_scan_finds_each_kind_of_identifier_where_it_is(pipeline_run):
    returns = pipeline_run["returns"]
    values = input_values(returns)
    assert all(values[kind] for kind in (*DISTINCT, "names", "dob"))
    people = pd.read_csv(returns[0].individuals, dtype=str)
    people["date_of_birth"] = pd.to_datetime(people["date_of_birth"])
    found = {f.split(": ")[1] for f in leaks_in_frame(people, values)}
    assert found >= {*DISTINCT[:1], *DISTINCT[2:], "names", "date of birth"}
    assert leaks_in_text(people.to_csv(), values)
