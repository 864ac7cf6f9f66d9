"""The Glue job's script (glue/relink.py) against moto: it reads the live index, writes the re-linked index and
key changes under linkage/relink/<run id>/, leaves the live index alone and audits counts only. The model runs
on DuckDB here; the same library on Spark: tests/unit/test_linkage_spark.py."""

from __future__ import annotations

import importlib.util
import json

import pandas as pd
import pytest

from tests.conftest import ROOT
from tests.unit.test_linkage_relink import index_rows
from tfnis.pipeline.closure import CLOSED_OUTCOME
from tfnis.pipeline.locations import LINKAGE_INDEX_KEY
from tfnis.storage import Store, SubmissionTable
from tfnis.storage.clients import client

ANN = {"forename": "ann", "forename_first": "ann", "surname": "lee", "dob": "2001-02-03", "nino": "AB123456"}


def glue_script():
    spec = importlib.util.spec_from_file_location("glue_relink", ROOT / "glue" / "relink.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_job(store: Store, run_id: str = "jr_0123abcd") -> str:
    s = store.settings
    return glue_script().main(
        [
            "--JOB_ID",
            "j_1",
            "--JOB_RUN_ID",
            run_id,
            "--linkage_bucket",
            s.linkage_bucket,
            "--audit_bucket",
            s.audit_bucket,
            "--submissions_table",
            s.submissions_table,
            "--engine",
            "duckdb",
            "--job-bookmark-option",
            "job-bookmark-disable",
        ]
    )


@pytest.fixture
def live_index(store: Store) -> pd.DataFrame:
    index = index_rows(
        [
            {**ANN, "person_key": "K1", "family_key": "F1", "la_code": "E06000001", "person_id": "1"},
            {**ANN, "person_key": "K2", "family_key": "F2", "la_code": "E06000002", "person_id": "7"},
        ]
    )
    # The index as one file plus a segment a later submission added (issue 14's Parquet index): both are read.
    store.put_frame(store.settings.linkage_bucket, LINKAGE_INDEX_KEY, index.iloc[:1])
    store.put_frame(store.settings.linkage_bucket, "linkage/index/segment-E06000002-s1.parquet", index.iloc[1:])
    return index


def audit_records(store: Store) -> list[dict]:
    bucket = store.settings.audit_bucket
    listed = client("s3").list_objects_v2(Bucket=bucket, Prefix="audit/").get("Contents", [])
    return [store.get_json(bucket, o["Key"]) for o in listed]


def test_the_job_writes_a_new_index_and_key_changes_and_audits_counts_only(store, table, live_index):
    outcome = run_job(store)
    assert outcome.endswith("1 merges, 0 splits")
    bucket = store.settings.linkage_bucket
    relinked = store.get_frame(bucket, "linkage/relink/jr_0123abcd/index.parquet")
    assert relinked["person_key"].tolist() == ["K1", "K1"]
    changes = store.get_frame(bucket, "linkage/relink/jr_0123abcd/key_changes.parquet")
    assert changes[["old_person_key", "new_person_key", "change"]].values.tolist() == [["K2", "K1", "merged"]]
    assert store.get_frame(bucket, LINKAGE_INDEX_KEY)["person_key"].tolist() == ["K1"]  # the live index is kept
    (audit,) = [a for a in audit_records(store) if a["event"] == "national_relink"]
    assert audit["merges"] == 1 and audit["rows"] == 2 and audit["run_id"] == "jr_0123abcd"
    text = json.dumps(audit)
    assert not any(value in text for value in ("K1", "K2", "F1", "ann", "lee", "AB123456", "2001-02-03"))


def test_after_research_end_the_job_writes_nothing(store, table: SubmissionTable, live_index):
    table.close("audit/certificate.json")
    assert run_job(store) == CLOSED_OUTCOME
    listed = client("s3").list_objects_v2(Bucket=store.settings.linkage_bucket, Prefix="linkage/relink/")
    assert "Contents" not in listed


def test_a_run_id_that_is_not_a_plain_name_is_refused(store, table, live_index):
    with pytest.raises(ValueError, match="run id"):
        run_job(store, run_id="../index")
