"""Research end against moto (resources from template.yaml): nothing personal remains, the certificate says so."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import load_event, load_function
from tests.integration.test_anonymise_stage import REF, seed_matched
from tfnis.anonymise import DestructionCertificate
from tfnis.cli.main import main
from tfnis.pipeline.anonymise import anonymise_stage, staging_key
from tfnis.pipeline.research_end import destroy_personal_data
from tfnis.storage import ServiceClosed, Settings, Store, SubmissionTable
from tfnis.storage.clients import client
from tfnis.submissions import Submission

pytestmark = pytest.mark.usefixtures("k_of_one")


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


def test_published_outputs_and_the_coverage_table_are_kept(store, table, mid_study):
    research = store.settings.research_bucket
    store.put_text(research, "published/coverage/period_end=2025-03-31/coverage.csv", "period_end,la_code\n")
    store.put_text(research, "coverage/period_end=2025-03-31/coverage.csv", "period_end,la_code\n")
    destroy_personal_data(store, table, trigger="test")
    assert store.list_keys(research, "published/") == ["published/coverage/period_end=2025-03-31/coverage.csv"]
    assert store.list_keys(research, "coverage/") == ["coverage/period_end=2025-03-31/coverage.csv"]


def test_research_end_leaves_no_extract_object_version_and_lists_what_it_destroyed(store, table, mid_study):
    research = store.settings.research_bucket
    client("s3").put_bucket_versioning(Bucket=research, VersioningConfiguration={"Status": "Enabled"})
    anonymise_stage(REF, store=store, table=table)  # a replay: nothing new, but the bucket is versioned now
    families = staging_key(REF, "families")
    store.put_text(research, families, "an older version")  # two versions of one object and a delete marker
    store.put_text(research, families, "a newer version")
    client("s3").delete_object(Bucket=research, Key=families)
    assert store.count_versions(research, "extract/") >= 6  # the panel's part files, risk reports, data package
    assert store.count_versions(research, "staging/") >= 4
    certificate = destroy_personal_data(store, table, trigger="test")
    assert store.count_versions(research, "extract/") == 0
    assert store.count_versions(research, "staging/") == 0
    assert certificate.extract is not None and certificate.extract.objects_after == 0
    assert certificate.extract.delete_markers_deleted == 1
    assert families in certificate.extract.objects_destroyed
    assert "extract/families/period_end=2025-03-31/la_code=E08000025/part-0.parquet" in (
        certificate.extract.objects_destroyed
    )
    assert all(key.startswith(("extract/", "staging/period_end=")) for key in certificate.extract.objects_destroyed)
    key_state = client("kms").describe_key(KeyId=store.settings.extract_key_id)["KeyMetadata"]["KeyState"]
    assert key_state == "PendingDeletion" and certificate.extract.extract_key.state == "PendingDeletion"


def test_the_extract_is_kept_when_the_template_says_so_and_the_certificate_says_it_was_kept(
    store, table, mid_study, monkeypatch
):
    monkeypatch.setenv("KEEP_EXTRACT_AFTER_RESEARCH_END", "true")
    kept = Store(Settings.from_env())
    before = kept.list_keys(kept.settings.research_bucket, "extract/")
    certificate = destroy_personal_data(kept, table, trigger="test")
    assert before and kept.list_keys(kept.settings.research_bucket, "extract/") == before
    assert certificate.extract is not None and certificate.extract.kept and certificate.complete


def test_the_certificate_is_signed_and_verifies_offline_and_a_changed_one_does_not(store, table, mid_study, tmp_path):
    certificate = destroy_personal_data(store, table, trigger="test")
    audit = store.settings.audit_bucket
    assert certificate.signature is not None
    public_key = tmp_path / "signing-key.pem"
    public_key.write_bytes(store.get_bytes(audit, certificate.signature["public_key"]))
    stored = tmp_path / "certificate.json"
    stored.write_bytes(store.get_bytes(audit, certificate.key))
    assert main(["verify-certificate", str(stored), "--public-key", str(public_key)]) == 0
    document = json.loads(stored.read_text())
    document["buckets"][0]["objects_after"] = 0 if document["buckets"][0]["objects_after"] else 1
    document["extract"]["objects_destroyed"] = document["extract"]["objects_destroyed"][1:]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    assert main(["verify-certificate", str(tampered), "--public-key", str(public_key)]) == 1
    assert main(["verify-certificate", str(tmp_path / "absent.json"), "--public-key", str(public_key)]) == 2


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
