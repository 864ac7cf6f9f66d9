"""Research end against moto (resources from template.yaml): nothing personal remains, the certificate says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import load_event, load_function
from tests.integration.test_anonymise_stage import REF, seed_matched
from tfnis.anonymise import DestructionCertificate
from tfnis.cli.main import main
from tfnis.pipeline.anonymise import anonymise_stage
from tfnis.pipeline.research_end import destroy_personal_data
from tfnis.storage import ServiceClosed, Store, SubmissionTable
from tfnis.storage.clients import client
from tfnis.submissions import Submission


def personal_buckets(store: Store) -> dict[str, str]:
    s = store.settings
    return {"upload": s.upload_bucket, "linkage": s.linkage_bucket, "work": s.work_bucket}


@pytest.fixture
def mid_study(store: Store, table: SubmissionTable) -> dict[str, int]:
    """Two submissions: one COMPLETE (raw upload gone), one still MATCHED; an extra overwritten work object."""
    seed_matched(store, table)
    anonymise_stage(REF, store=store, table=table)
    seed_matched(store, table, REF.__class__("E09000033", "20261124T230000-00112233", REF.period_end))
    store.put_text(store.settings.work_bucket, "work/scratch.txt", "one")
    client("s3").delete_object(Bucket=store.settings.work_bucket, Key="work/scratch.txt")
    return {role: store.count_versions(bucket) for role, bucket in personal_buckets(store).items()}


def test_after_research_end_no_object_version_or_delete_marker_remains_in_a_personal_bucket(store, table, mid_study):
    assert all(mid_study.values())
    destroy_personal_data(store, table, trigger="test")
    for bucket in personal_buckets(store).values():
        assert store.count_versions(bucket) == 0


def test_the_certificate_counts_match_what_was_there_and_what_is_left(store, table, mid_study):
    certificate = destroy_personal_data(store, table, trigger="test")
    counted = {b.role: b for b in certificate.buckets}
    for role, before in mid_study.items():
        assert counted[role].objects_before == before
        assert counted[role].versions_deleted + counted[role].delete_markers_deleted == before
        assert counted[role].objects_after == 0
    assert counted["work"].delete_markers_deleted == 1
    assert certificate.linkage_index_objects_before >= 1 and certificate.linkage_index_objects_after == 0
    assert certificate.complete and certificate.service_closed


def test_the_certificate_is_kept_in_the_audit_bucket_with_the_stack_and_time(store, table, mid_study):
    certificate = destroy_personal_data(store, table, trigger="test")
    assert certificate.key.startswith(f"certificates/{store.settings.stack_name}/")
    stored = store.get_json(store.settings.audit_bucket, certificate.key)
    assert stored["complete"] is True and stored["stack_name"] == store.settings.stack_name
    assert DestructionCertificate.model_validate(stored).buckets == certificate.buckets
    assert datetime.fromisoformat(stored["completed_at"]) <= datetime.now(UTC)


def test_the_pseudonymisation_key_is_scheduled_for_deletion(store, table, mid_study):
    certificate = destroy_personal_data(store, table, trigger="test")
    metadata = client("kms").describe_key(KeyId=store.settings.pseudonym_key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    assert certificate.pseudonym_key.state == "PendingDeletion"
    assert certificate.pseudonym_key.pending_window_days == 7 and certificate.pseudonym_key.deletion_date


def test_research_outputs_are_kept(store, table, mid_study):
    research = store.settings.research_bucket
    before = store.list_keys(research, "extract/")
    destroy_personal_data(store, table, trigger="test")
    assert before and store.list_keys(research, "extract/") == before


def test_after_research_end_the_service_refuses_new_submissions(store, table, mid_study):
    destroy_personal_data(store, table, trigger="test")
    now = datetime.now(UTC)
    with pytest.raises(ServiceClosed):
        table.create(
            Submission(la_code="E08000025", submission_id="late", period_end="2031-03-31", files=["return.xlsx"],
                       created_at=now, updated_at=now)
        )  # fmt: skip


def test_running_research_end_again_finds_nothing_and_still_certifies(store, table, mid_study):
    destroy_personal_data(store, table, trigger="test")
    again = destroy_personal_data(store, table, trigger="test")
    assert again.complete and all(b.objects_before == 0 for b in again.buckets)
    assert again.pseudonym_key.state == "PendingDeletion"


def test_the_scheduled_function_destroys_and_returns_the_certificate(store, aws, lambda_context, mid_study):
    module = load_function(aws, "ResearchEndFunction")
    result = module.handler(load_event("scheduler_research_end.json"), lambda_context)
    assert result["complete"] is True and result["key"].startswith("certificates/")
    assert result == store.get_json(store.settings.audit_bucket, result["key"])
    assert all(store.count_versions(bucket) == 0 for bucket in personal_buckets(store).values())


def test_the_function_refuses_an_event_without_confirm(store, aws, lambda_context, mid_study):
    module = load_function(aws, "ResearchEndFunction")
    with pytest.raises(PermissionError):
        module.handler({"source": "aws.scheduler"}, lambda_context)
    assert all(store.count_versions(bucket) for bucket in personal_buckets(store).values())


def test_the_cli_refuses_without_confirm(store, mid_study, capsys):
    assert main(["research-end"]) == 2
    assert "--confirm" in capsys.readouterr().err
    assert all(store.count_versions(bucket) for bucket in personal_buckets(store).values())


def test_the_cli_destroys_the_stack_named_by_a_stack_file_and_prints_the_certificate(
    store, aws, mid_study, tmp_path, monkeypatch, capsys
):
    stack_file = tmp_path / "stack.json"
    stack_file.write_text(json.dumps({"api": "http://127.0.0.1:3000", "tokens": {}, "environment": aws.environment()}))
    for name in aws.environment():
        monkeypatch.delenv(name, raising=False)
    assert main(["research-end", "--confirm", "--stack-file", str(stack_file)]) == 0
    certificate = json.loads(capsys.readouterr().out)
    assert certificate["complete"] is True and certificate["trigger"] == "cli"
    assert {b["role"]: b["objects_before"] for b in certificate["buckets"]} == mid_study
    assert all(store.count_versions(bucket) == 0 for bucket in personal_buckets(store).values())


def test_a_failing_research_end_raises_for_retry_without_the_error_message(store, aws, lambda_context, mid_study):
    """The runtime logs an escaping exception's message (CloudWatch): what escapes names only type and place."""
    from tfnis.pipeline.failures import StageFailed

    module = load_function(aws, "ResearchEndFunction")
    aws.client("dynamodb").delete_table(TableName=aws.tables["SubmissionsTable"])  # an infrastructure fault
    with pytest.raises(StageFailed) as failed:
        module.handler(load_event("scheduler_research_end.json"), lambda_context)
    assert "ResourceNotFoundException" in str(failed.value)
    assert "Requested resource not found" not in str(failed.value)  # the ClientError's message
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
