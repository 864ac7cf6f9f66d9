"""Reference extracts on the embedded stack (issue 15): only the research team may send one; it is matched
against the index without changing it, its outcomes land in the research extract under pseudonyms, the raw
file goes, people outside the study leave no object, index row or log line, and research end destroys it all.

One stack for the module; tests run in file order (--dist loadfile), research end last."""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import requests

from tests.integration.test_research_end_final import audit_events, end_research, versions
from tfnis.client import SubmissionClient
from tfnis.generate import generate_frames
from tfnis.generate.national import reference_extract, study_people
from tfnis.pipeline.locations import LINKAGE_INDEX_PREFIX, previous_period_end
from tfnis.reference import contract

DATASET = "benefits_employment"
OUTSIDER = {"forename": "Quillifer", "surname": "Zanzibarre", "nino": "JZ987654B", "date_of_birth": "1961-02-03"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def stack() -> Iterator[Any]:
    from tfnis_local.stack import LocalStack

    # The study here is one small return: k = 5 would refuse it, and this file is not about k.
    with LocalStack(stack_name=f"tfnis-ref-{os.getpid()}", parameters={"DisclosureK": "1"}, log_level="INFO") as s:
        yield s


@pytest.fixture(scope="module")
def study(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One council's generated return, uploaded by the council and taken through to COMPLETE."""
    frames = generate_frames(councils=1, families=60, periods=1, seed=4)
    ((la_code, period_end, families, individuals),) = list(frames.returns())
    folder = tmp_path_factory.mktemp("return")
    files = {"families.csv": folder / "families.csv", "individuals.csv": folder / "individuals.csv"}
    families.to_csv(files["families.csv"], index=False)
    individuals.to_csv(files["individuals.csv"], index=False)
    client = SubmissionClient(stack.api_url, stack.token_for(la_code))
    created = client.create(period_end.isoformat(), list(files))
    for name, path in files.items():
        client.upload(created["uploads"][name], path)
    stack.drain(timeout=300)
    assert client.get(created["submission_id"])["status"] == "COMPLETE"
    return {"frames": frames, "la_code": la_code, "period_end": period_end}


def research_token(stack: Any) -> str:
    return stack.token_for("", **{"cognito:groups": ["research-team"]})


def index_rows(stack: Any) -> pd.DataFrame:
    s3, bucket = stack.client("s3"), stack.resources.buckets["LinkageBucket"]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=LINKAGE_INDEX_PREFIX)["Contents"])
    parts = [pd.read_parquet(io.BytesIO(s3.get_object(Bucket=bucket, Key=k)["Body"].read())) for k in keys]
    return pd.concat(parts, ignore_index=True)


def test_a_council_token_cannot_create_a_reference_upload(stack: Any, study: dict[str, Any]) -> None:
    body = {"dataset": DATASET, "period_end": study["period_end"].isoformat(), "files": ["records.csv"]}
    answer = requests.post(f"{stack.api_url}/references", json=body, headers=bearer(stack.token_for(study["la_code"])))
    assert answer.status_code == 403
    assert versions(stack, "UploadBucket", "references/") == 0


@pytest.fixture(scope="module")
def processed(stack: Any, study: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The research team sends a benefits extract of the study people among outsiders (one of them planted)."""
    period_end = study["period_end"]
    extract, truth = reference_extract(study_people(study["frames"]), DATASET, period_end, np.random.default_rng(2))
    planted = {c: "" for c in extract.columns} | OUTSIDER | {"record_id": "RPLANTED1", "sex": "1"}
    planted |= {"months_out_of_work_benefits": "6", "months_employed": "0"}
    extract = pd.concat([extract, pd.DataFrame([planted])], ignore_index=True)
    path = tmp_path_factory.mktemp("reference") / "records.csv"
    extract.to_csv(path, index=False)
    before = index_rows(stack)
    body = {"dataset": DATASET, "period_end": period_end.isoformat(), "files": ["records.csv"]}
    created = requests.post(f"{stack.api_url}/references", json=body, headers=bearer(research_token(stack)))
    assert created.status_code == 201, created.text
    SubmissionClient.upload(created.json()["uploads"]["records.csv"], path)
    logged = io.StringIO()
    with contextlib.redirect_stdout(logged):
        stack._bind_loggers()  # the functions' log lines of this drain, and only them, into `logged`
        stack.drain(timeout=300)
    stack._bind_loggers()
    upload_id = created.json()["upload_id"]
    result = requests.get(f"{stack.api_url}/references/{upload_id}", headers=bearer(research_token(stack)))
    assert result.status_code == 200, result.text
    return {"result": result.json(), "before": before, "truth": truth, "upload_id": upload_id,
            "logged": logged.getvalue()}  # fmt: skip


def extract_table(stack: Any, folder: str) -> pd.DataFrame:
    """Every part file of extract/<folder>/ (period_end=…/la_code=…/part-0.parquet), partitions as columns."""
    s3, bucket = stack.client("s3"), stack.resources.buckets["ResearchBucket"]
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"extract/{folder}/").get("Contents", [])
    parts = []
    for key in (o["Key"] for o in listed if o["Key"].endswith(".parquet")):
        frame = pd.read_parquet(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        partitions = dict(p.split("=", 1) for p in key.split("/") if "=" in p)
        parts.append(frame.assign(**partitions))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"period_end": []})


def test_the_extract_is_matched_and_its_outcomes_released_with_the_panel(stack: Any, processed: dict) -> None:
    result = processed["result"]
    assert result["status"] == "COMPLETE" and 0 < result["match_rate"] < 1
    in_study = int(processed["truth"]["true_person"].notna().sum())
    assert 0.9 * in_study <= result["matched"] <= in_study
    persons = extract_table(stack, f"reference/{DATASET}")
    assert len(persons) == result["extract_persons"] == result["staged_persons"] == result["matched"]  # k = 1
    assert persons["person_key"].str.fullmatch(r"[0-9a-f]{64}").all()
    assert set(persons.columns) == {
        "person_key",
        "family_key",
        "la_code",
        "period_end",
        *contract(DATASET).outcome_names,
    }
    panel = extract_table(stack, "individuals")
    released = set(zip(panel["person_key"], panel["family_key"], panel["period_end"], strict=True))
    assert set(zip(persons["person_key"], persons["family_key"], persons["period_end"], strict=True)) <= released
    families = extract_table(stack, f"reference/{DATASET}_families")
    assert families["persons_matched"].sum() == len(persons)
    s3, bucket = stack.client("s3"), stack.resources.buckets["ResearchBucket"]
    package = json.loads(s3.get_object(Bucket=bucket, Key="extract/datapackage.json")["Body"].read())
    assert {f"reference_{DATASET}", f"reference_{DATASET}_families"} <= {r["name"] for r in package["resources"]}
    risk = json.loads(s3.get_object(Bucket=bucket, Key="extract/risk/reference.json")["Body"].read())
    assert risk["datasets"][DATASET]["released_rows"] == len(persons)


def test_outcomes_of_a_period_the_panel_does_not_hold_are_staged_but_not_released(
    stack: Any, study: dict[str, Any], tmp_path: Path
) -> None:
    """Released only for people the panel releases in that period: a half-year with no council return gives
    no reference rows (they wait in staging for a return of that period, and go at research end)."""
    earlier = previous_period_end(study["period_end"])
    extract, _ = reference_extract(study_people(study["frames"]), DATASET, earlier, np.random.default_rng(5))
    path = tmp_path / "records.csv"
    extract.to_csv(path, index=False)
    body = {"dataset": DATASET, "period_end": earlier.isoformat(), "files": ["records.csv"]}
    created = requests.post(f"{stack.api_url}/references", json=body, headers=bearer(research_token(stack))).json()
    SubmissionClient.upload(created["uploads"]["records.csv"], path)
    stack.drain(timeout=300)
    result = requests.get(
        f"{stack.api_url}/references/{created['upload_id']}", headers=bearer(research_token(stack))
    ).json()
    assert result["status"] == "COMPLETE" and result["staged_persons"] == result["matched"] > 0
    assert result["extract_persons"] == 0
    assert earlier.isoformat() not in set(extract_table(stack, f"reference/{DATASET}")["period_end"])
    assert versions(stack, "ResearchBucket", f"staging/reference/{DATASET}/period_end={earlier.isoformat()}/") > 0


def test_the_index_is_unchanged_and_the_raw_extract_is_gone(stack: Any, processed: dict) -> None:
    after = index_rows(stack)
    pd.testing.assert_frame_equal(after, processed["before"])
    assert versions(stack, "UploadBucket", "references/") == 0


def test_people_outside_the_study_leave_no_object_index_row_or_log_line(stack: Any, processed: dict) -> None:
    logged = processed["logged"]
    assert "reference stage" in logged  # the capture holds the stage's own lines
    audited = json.dumps(audit_events(stack)) + json.dumps(processed["result"])
    for value in OUTSIDER.values():
        assert value not in logged and value not in audited
        assert value.lower() not in logged.lower()
    index = index_rows(stack)
    assert not (index["surname"] == OUTSIDER["surname"].lower()).any()
    s3 = stack.client("s3")
    for logical_id, bucket in stack.resources.buckets.items():
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            for version in page.get("Versions", []):
                body = s3.get_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])["Body"].read()
                assert OUTSIDER["surname"].encode() not in body, (logical_id, version["Key"])
                assert OUTSIDER["nino"].encode() not in body, (logical_id, version["Key"])


def test_tfnis_upload_reference_prints_the_match_rate(
    stack: Any, study: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tfnis.cli.main import main

    extract, _ = reference_extract(
        study_people(study["frames"]), "education", study["period_end"], np.random.default_rng(3)
    )
    folder = tmp_path / "reference" / "education" / study["period_end"].isoformat()
    folder.mkdir(parents=True)
    extract.to_csv(folder / "records.csv", index=False)
    args = ["upload", str(folder / "records.csv"), "--api", stack.api_url, "--token", research_token(stack)]
    codes: list[int] = []
    client = threading.Thread(target=lambda: codes.append(main([*args, "--reference", "education", "--wait"])))
    client.start()
    while client.is_alive():  # the stack's queues are pumped here while the CLI waits for its result
        stack.drain(timeout=300)
        client.join(timeout=0.5)
    printed = capsys.readouterr().out
    assert codes == [0], printed
    assert "COMPLETE" in printed and "match rate" in printed
    council = ["upload", str(folder / "records.csv"), "--api", stack.api_url, "--token", stack.token_for("E08000025")]
    assert main([*council, "--reference", "education"]) == 2  # 403: councils never send reference data


def test_a_rejected_extract_is_reported_by_rule_and_deleted_and_writes_no_outcomes(
    stack: Any, study: dict[str, Any], tmp_path: Path
) -> None:
    period_end = study["period_end"].isoformat()
    row = {"record_id": "R1", **OUTSIDER, "sex": "1", "postcode": "", "months_out_of_work_benefits": "9",
           "months_employed": "0", "ethnicity": "WBRI"}  # fmt: skip
    path = tmp_path / "records.csv"
    pd.DataFrame([row]).to_csv(path, index=False)
    body = {"dataset": DATASET, "period_end": period_end, "files": ["records.csv"]}
    created = requests.post(f"{stack.api_url}/references", json=body, headers=bearer(research_token(stack))).json()
    extract_before = versions(stack, "ResearchBucket", "extract/reference/")
    SubmissionClient.upload(created["uploads"]["records.csv"], path)
    stack.drain(timeout=120)
    result = requests.get(
        f"{stack.api_url}/references/{created['upload_id']}", headers=bearer(research_token(stack))
    ).json()
    assert result["status"] == "REJECTED"
    assert {(f["column"], f["rule"]) for f in result["findings"]} == {("ethnicity", "REF_UNEXPECTED_COLUMN")}
    assert OUTSIDER["surname"] not in json.dumps(result)
    assert versions(stack, "UploadBucket", "references/") == 0
    assert versions(stack, "ResearchBucket", "extract/reference/") == extract_before


def test_an_event_for_a_key_that_is_not_a_reference_upload_goes_to_the_dead_letter_queue(stack: Any) -> None:
    sqs, queues = stack.client("sqs"), stack.resources.queues
    key = f"references/{OUTSIDER['surname']}/{OUTSIDER['date_of_birth']}/records.csv"
    event = {"Records": [{"s3": {"bucket": {"name": stack.resources.buckets["UploadBucket"]}, "object": {"key": key}}}]}
    sqs.send_message(QueueUrl=queues["ReferenceQueue"], MessageBody=json.dumps(event))
    stack.drain(timeout=60)
    dead = sqs.receive_message(QueueUrl=queues["ReferenceDLQ"], MaxNumberOfMessages=10).get("Messages", [])
    assert any(OUTSIDER["surname"] in m["Body"] for m in dead)  # kept for inspection in the DLQ, not logged


def test_research_end_destroys_reference_data(stack: Any, processed: dict) -> None:
    assert versions(stack, "ResearchBucket", "extract/reference/") > 0
    assert versions(stack, "ResearchBucket", "staging/reference/") > 0
    end_research(stack)
    assert versions(stack, "ResearchBucket", "extract/reference/") == 0
    assert versions(stack, "ResearchBucket", "staging/reference/") == 0
    assert versions(stack, "UploadBucket", "references/") == 0
