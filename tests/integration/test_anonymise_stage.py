"""The anonymise stage against moto (resources from template.yaml): extract written, COMPLETE, personal data gone."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pytest

from tests.conftest import load_event, load_function
from tests.unit.test_anonymise_extract import families_frame, individuals_frame, key_map_frame
from tfnis.anonymise import INDIVIDUAL_EXTRACT
from tfnis.anonymise.columns import STAGING_FAMILY_EXTRACT
from tfnis.pipeline.anonymise import anonymise_stage, risk_report_key, staging_key
from tfnis.pipeline.locations import LINKAGE_INDEX_KEY, SubmissionRef
from tfnis.storage import Store, SubmissionTable
from tfnis.storage.clients import client
from tfnis.submissions import Submission, SubmissionStatus

pytestmark = pytest.mark.usefixtures("k_of_one")

LA = "E08000025"
REF = SubmissionRef(LA, "20261124T210000-abcd1234", date(2025, 3, 31))  # as in events/sqs_anonymise.json
PERSON_KEYS = ["1" * 32, "2" * 32, "3" * 32]
IDENTIFIERS = pd.DataFrame(
    {
        "record_token": ["r1", "r2", "r3"],
        "person_id": ["P-9001", "P-9002", "P-9003"],
        "forename": ["Ada", "Ben", "Cleo"],
        "nino": ["AB123456C", None, "CE654321A"],
        "postcode": ["SW1A 1AA", "SW1A 1AA", None],
    }
)


def seed_matched(store: Store, table: SubmissionTable, ref: SubmissionRef = REF, person_keys=PERSON_KEYS) -> None:
    """A submission as match leaves it: raw upload (two versions and a delete marker), identifiers, attributes,
    key map, and the linkage index."""
    now = datetime.now(UTC)
    table.create(
        Submission(
            la_code=ref.la_code, submission_id=ref.submission_id, period_end=ref.period_end,
            status=SubmissionStatus.MATCHED, files=["families.csv", "individuals.csv"], created_at=now,
            updated_at=now, counts={"families": 2, "individuals": 3},
        )
    )  # fmt: skip
    s = store.settings
    for name in ("families.csv", "individuals.csv"):
        store.put_text(s.upload_bucket, ref.upload_prefix + name, "first upload, Ada, AB123456C")
        store.put_text(s.upload_bucket, ref.upload_prefix + name, "second upload, Ada, AB123456C")
    client("s3").delete_object(Bucket=s.upload_bucket, Key=ref.upload_prefix + "families.csv")  # a delete marker
    store.put_frame(s.linkage_bucket, ref.identifiers_key, IDENTIFIERS)
    store.put_frame(s.linkage_bucket, ref.identifiers_key, IDENTIFIERS)
    store.put_frame(s.linkage_bucket, LINKAGE_INDEX_KEY, pd.DataFrame({"person_key": person_keys}))
    at = pd.Timestamp(ref.period_end)
    store.put_frame(s.work_bucket, ref.families_key, families_frame().assign(la_code=ref.la_code, period_end=at))
    store.put_frame(s.work_bucket, ref.individuals_key, individuals_frame().assign(la_code=ref.la_code, period_end=at))
    store.put_frame(s.work_bucket, ref.key_map_key, key_map_frame(list(person_keys)))


def audit_records(store: Store) -> list[dict[str, Any]]:
    bucket = store.settings.audit_bucket
    return [store.get_json(bucket, key) for key in store.list_keys(bucket, "audit/")]


def test_a_matched_submission_becomes_complete_with_its_extract_in_the_research_bucket(store, table):
    seed_matched(store, table)
    assert anonymise_stage(REF, store=store, table=table) == "complete"
    assert table.get(LA, REF.submission_id).status is SubmissionStatus.COMPLETE
    research = store.settings.research_bucket
    assert staging_key(REF, "families") == "staging/period_end=2025-03-31/la_code=E08000025/families.parquet"
    families = store.get_frame(research, staging_key(REF, "families"))
    individuals = store.get_frame(research, staging_key(REF, "individuals"))
    assert list(families.columns) == [c.name for c in STAGING_FAMILY_EXTRACT]
    assert list(individuals.columns) == [c.name for c in INDIVIDUAL_EXTRACT]
    assert len(families) == 2 and len(individuals) == 3
    assert table.get(LA, REF.submission_id).counts["extract_individuals"] == 3


def test_after_complete_the_raw_upload_identifiers_and_key_map_are_gone_in_every_version(store, table):
    seed_matched(store, table)
    s = store.settings
    assert store.count_versions(s.upload_bucket, REF.upload_prefix) == 5
    anonymise_stage(REF, store=store, table=table)
    assert store.count_versions(s.upload_bucket, REF.upload_prefix) == 0
    assert store.count_versions(s.linkage_bucket, REF.identifiers_key) == 0
    assert store.count_versions(s.work_bucket, REF.key_map_key) == 0
    assert store.head(s.linkage_bucket, LINKAGE_INDEX_KEY) is not None  # future matching still needs it
    assert store.head(s.work_bucket, REF.individuals_key) is not None  # coverage may still read it


def test_every_deletion_is_audited_with_counts_and_never_a_key_or_value(store, table):
    seed_matched(store, table)
    anonymise_stage(REF, store=store, table=table)
    deleted = {r["what"]: r for r in audit_records(store) if r["event"] == "personal_data_deleted"}
    assert deleted["raw_upload"]["versions"] == 4 and deleted["raw_upload"]["delete_markers"] == 1
    assert deleted["identifiers"]["versions"] == 2
    text = json.dumps(audit_records(store))
    for value in ("P-9001", "Ada", "AB123456C", "SW1A 1AA", "families.csv", "identifiers.parquet"):
        assert value not in text


def test_replay_of_a_complete_submission_changes_nothing(store, table):
    seed_matched(store, table)
    anonymise_stage(REF, store=store, table=table)
    s = store.settings
    before = (store.count_versions(s.research_bucket), len(audit_records(store)), table.get(LA, REF.submission_id))
    assert anonymise_stage(REF, store=store, table=table) == "ignored: already COMPLETE"
    after = (store.count_versions(s.research_bucket), len(audit_records(store)), table.get(LA, REF.submission_id))
    assert after == before


def test_a_person_keeps_one_pseudonym_across_periods_through_kms(store, table):
    september = SubmissionRef(LA, "20261124T220000-ef567890", date(2025, 9, 30))
    for ref in (REF, september):
        seed_matched(store, table, ref)
        anonymise_stage(ref, store=store, table=table)
    research = store.settings.research_bucket
    march_keys = store.get_frame(research, staging_key(REF, "individuals"))["person_key"]
    september_keys = store.get_frame(research, staging_key(september, "individuals"))["person_key"]
    assert sorted(march_keys) == sorted(september_keys)  # same people; each file in its own shuffled order
    assert not set(march_keys) & set(PERSON_KEYS)


def test_another_pseudonymisation_key_gives_other_pseudonyms(store, table, aws):
    seed_matched(store, table)
    anonymise_stage(REF, store=store, table=table)
    other_key = client("kms").create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    other_store = Store(store.settings.model_copy(update={"pseudonym_key_id": other_key}))
    other = SubmissionRef("E09000033", "20261124T230000-00112233", REF.period_end)  # its own extract file
    seed_matched(other_store, table, other)
    anonymise_stage(other, store=other_store, table=table)
    research = store.settings.research_bucket
    one = store.get_frame(research, staging_key(REF, "individuals"))["person_key"]
    two = store.get_frame(research, staging_key(other, "individuals"))["person_key"]
    assert not set(one) & set(two)


def test_a_resubmission_for_the_same_council_and_period_replaces_its_extract(store, table):
    seed_matched(store, table)
    anonymise_stage(REF, store=store, table=table)
    again = SubmissionRef(LA, "20261125T090000-99aabbcc", REF.period_end)
    seed_matched(store, table, again, person_keys=["4" * 32, "5" * 32, "6" * 32])
    anonymise_stage(again, store=store, table=table)
    research = store.settings.research_bucket
    assert store.list_keys(research, REF.staging_prefix) == [
        staging_key(REF, "families"),
        staging_key(REF, "individuals"),
    ]
    assert store.list_keys(research, REF.risk_prefix) == [risk_report_key(REF, "html"), risk_report_key(REF, "json")]
    individuals = store.get_frame(research, staging_key(again, "individuals"))
    assert set(individuals["person_key"]) == {pseudonym_of(store, k) for k in ["4" * 32, "5" * 32, "6" * 32]}


def pseudonym_of(store: Store, person_key: str) -> str:
    from tfnis.anonymise import derive_project_key, pseudonym

    return pseudonym(derive_project_key(store.generate_mac), "person", person_key)


def test_the_handler_completes_the_submission_named_in_the_queue_message(store, table, aws, lambda_context):
    seed_matched(store, table)
    module = load_function(aws, "AnonymiseFunction")
    response = module.handler(load_event("sqs_anonymise.json"), lambda_context)
    assert response == {"batchItemFailures": []}
    assert table.get(LA, REF.submission_id).status is SubmissionStatus.COMPLETE


def test_the_handler_publishes_the_extract_counts_as_metrics_with_an_la_code_dimension(
    store, table, aws, lambda_context, capsys
):
    seed_matched(store, table)
    module = load_function(aws, "AnonymiseFunction")
    assert module.handler(load_event("sqs_anonymise.json"), lambda_context) == {"batchItemFailures": []}
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [emf] = [d for d in documents if "ExtractFamilies" in d]
    counts = table.get(LA, REF.submission_id).counts
    assert emf["la_code"] == LA
    assert emf["ExtractFamilies"] == [counts["extract_families"]] and counts["extract_families"] > 0
    assert emf["ExtractIndividuals"] == [counts["extract_individuals"]] and counts["extract_individuals"] > 0
    assert any("la_code" in dimensions for dimensions in emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"])


def test_a_refused_extract_fails_the_submission_loudly_and_keeps_its_personal_data(store, table, aws, lambda_context):
    seed_matched(store, table)
    s = store.settings
    leaky = individuals_frame().assign(la_code=LA, period_end=pd.Timestamp(REF.period_end))
    leaky["domestic_violence"] = pd.array(["AB123456C", "NONE", "NONE"], dtype="string")  # a NINO in a code column
    store.put_frame(s.work_bucket, REF.individuals_key, leaky)
    module = load_function(aws, "AnonymiseFunction")
    event = load_event("sqs_anonymise.json")
    response = module.handler(event, lambda_context)  # reported, not raised: the error's text stays out of the log
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    submission = table.get(LA, REF.submission_id)
    assert submission.status is SubmissionStatus.FAILED and "privacy check" in (submission.reason or "")
    assert store.count_versions(s.research_bucket, "extract/") == 0
    assert store.count_versions(s.upload_bucket, REF.upload_prefix) == 5


def test_the_handler_logs_no_identifier_value_even_when_it_refuses(store, table, aws, lambda_context, capsys, caplog):
    seed_matched(store, table)
    leaky = individuals_frame().assign(la_code=LA, period_end=pd.Timestamp(REF.period_end))
    leaky["domestic_violence"] = pd.array(["AB123456C", "NONE", "NONE"], dtype="string")
    store.put_frame(store.settings.work_bucket, REF.individuals_key, leaky)
    module = load_function(aws, "AnonymiseFunction")
    assert module.handler(load_event("sqs_anonymise.json"), lambda_context)["batchItemFailures"]
    seed_matched(store, table, SubmissionRef("E09000033", "20261124T230000-00112233", REF.period_end))
    event = load_event("sqs_anonymise.json")
    event["Records"][0]["body"] = json.dumps(
        {"la_code": "E09000033", "submission_id": "20261124T230000-00112233", "period_end": "2025-03-31"}
    )
    assert module.handler(event, lambda_context) == {"batchItemFailures": []}
    captured = capsys.readouterr()
    logs = captured.out + captured.err + caplog.text
    assert "research extract refused" in logs and "anonymise stage" in logs
    for value in ("AB123456C", "CE654321A", "SW1A 1AA", "P-9001", "Ada", "Cleo", *PERSON_KEYS):
        assert value not in logs
