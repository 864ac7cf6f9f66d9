"""Provisioning template.yaml into moto: every resource the template declares exists, configured as declared.

The expected resources are read from the template itself (no second list), so a resource added to the
template is checked here without editing this file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from tfnis_local.provision import Resources, provision
from tfnis_local.template import Template

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stack() -> Iterator[Resources]:
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", "eu-west-2")
        with mock_aws():
            yield provision(ROOT / "template.yaml")


def declared(template: Template, kind: str) -> dict[str, dict[str, Any]]:
    return {lid: template.resolve(r.get("Properties") or {}) for lid, r in template.of_type(kind).items()}


def test_every_bucket_of_the_template_exists_with_its_versioning(stack: Resources) -> None:
    s3 = stack.client("s3")
    buckets = declared(stack.template, "AWS::S3::Bucket")
    assert buckets and set(stack.buckets) == set(buckets)
    for logical_id, props in buckets.items():
        versioning = s3.get_bucket_versioning(Bucket=stack.buckets[logical_id]).get("Status")
        assert versioning == (props.get("VersioningConfiguration") or {}).get("Status"), logical_id


def test_bucket_names_are_deterministic_per_stack_name(stack: Resources) -> None:
    assert stack.buckets["UploadBucket"] == "tfnis-local-uploadbucket"
    other = Template.load(ROOT / "template.yaml", stack_name="other")
    assert other.physical_name("UploadBucket") == "other-uploadbucket"


def test_lifecycle_rules_are_stored_as_the_template_declares_them(stack: Resources) -> None:
    s3 = stack.client("s3")
    for logical_id, props in declared(stack.template, "AWS::S3::Bucket").items():
        wanted = (props.get("LifecycleConfiguration") or {}).get("Rules") or []
        if not wanted:
            continue
        rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=stack.buckets[logical_id])["Rules"]}
        assert set(rules) == {r["Id"] for r in wanted}, logical_id
        for rule in wanted:
            stored = rules[rule["Id"]]
            if "ExpirationInDays" in rule:
                assert stored["Expiration"]["Days"] == int(rule["ExpirationInDays"])
            if "ExpirationDate" in rule:
                assert stored["Expiration"]["Date"].date().isoformat() == rule["ExpirationDate"][:10]
            if "NoncurrentVersionExpiration" in rule:
                assert stored["NoncurrentVersionExpiration"]["NoncurrentDays"] == int(
                    rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
                )
            if "ExpiredObjectDeleteMarker" in rule:
                assert stored["Expiration"]["ExpiredObjectDeleteMarker"] is True
            if "AbortIncompleteMultipartUpload" in rule:
                assert stored["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1


def test_research_end_date_reaches_the_lifecycle_backstop() -> None:
    from moto import mock_aws

    with mock_aws():
        resources = provision(
            ROOT / "template.yaml",
            parameters={"ResearchEndDate": "2032-09-30", "Stage": "test"},  # KMS aliases are named by Stage
            stack_name="tfnis-enddate",
        )
        rules = resources.client("s3").get_bucket_lifecycle_configuration(Bucket=resources.buckets["LinkageBucket"])
        dates = [
            r["Expiration"]["Date"].date().isoformat() for r in rules["Rules"] if "Date" in r.get("Expiration", {})
        ]
        assert dates == ["2032-09-30"]
        assert resources.environment()["RESEARCH_END_DATE"] == "2032-09-30"


def test_buckets_are_encrypted_with_their_key_and_closed_to_the_public(stack: Resources) -> None:
    s3 = stack.client("s3")
    # Identifiers under IdentifierKey, the access logs under SSE-S3 (log delivery cannot write SSE-KMS), the rest
    # under DataKey.
    expected = {logical_id: ("aws:kms", stack.template.get_att("DataKey", "Arn")) for logical_id in stack.buckets}
    expected["UploadBucket"] = expected["LinkageBucket"] = ("aws:kms", stack.template.get_att("IdentifierKey", "Arn"))
    expected["AccessLogBucket"] = ("AES256", None)
    for logical_id, bucket in stack.buckets.items():
        rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
        default = rule["ApplyServerSideEncryptionByDefault"]
        assert (default["SSEAlgorithm"], default.get("KMSMasterKeyID")) == expected[logical_id], logical_id
        block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert all(block.values()), logical_id


def test_every_bucket_policy_denies_plain_http(stack: Resources) -> None:
    policies = declared(stack.template, "AWS::S3::BucketPolicy")
    assert policies
    for props in policies.values():
        policy = stack.bucket_policies[props["Bucket"]]  # moto holds it without the conditional Deny
        assert any(
            s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
            for s in policy["Statement"]
        )


def test_every_queue_exists_with_its_redrive_policy_and_fifo_setting(stack: Resources) -> None:
    sqs = stack.client("sqs")
    queues = declared(stack.template, "AWS::SQS::Queue")
    assert set(stack.queues) == set(queues)
    for logical_id, props in queues.items():
        attributes = sqs.get_queue_attributes(QueueUrl=stack.queues[logical_id], AttributeNames=["All"])["Attributes"]
        assert (attributes.get("FifoQueue") == "true") == bool(props.get("FifoQueue")), logical_id
        if "RedrivePolicy" in props:
            redrive = json.loads(attributes["RedrivePolicy"])
            assert redrive["deadLetterTargetArn"] == props["RedrivePolicy"]["deadLetterTargetArn"]
            assert int(redrive["maxReceiveCount"]) == int(props["RedrivePolicy"]["maxReceiveCount"])
        if "VisibilityTimeout" in props:
            assert attributes["VisibilityTimeout"] == str(props["VisibilityTimeout"])


def test_match_queue_and_its_dlq_are_fifo(stack: Resources) -> None:
    assert stack.queues["MatchQueue"].endswith(".fifo") and stack.queues["MatchDLQ"].endswith(".fifo")


def test_every_table_exists_with_its_keys_and_ttl(stack: Resources) -> None:
    dynamodb = stack.client("dynamodb")
    tables = declared(stack.template, "AWS::DynamoDB::Table")
    assert set(stack.tables) == set(tables)
    for logical_id, props in tables.items():
        table = dynamodb.describe_table(TableName=stack.tables[logical_id])["Table"]
        assert table["KeySchema"] == props["KeySchema"], logical_id
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            described = dynamodb.describe_time_to_live(TableName=stack.tables[logical_id])["TimeToLiveDescription"]
            assert described["TimeToLiveStatus"] == "ENABLED"
            assert described["AttributeName"] == ttl["AttributeName"]


def test_pseudonym_key_is_an_hmac_key_that_generates_macs(stack: Resources) -> None:
    kms = stack.client("kms")
    key_id = stack.keys["PseudonymKey"]
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeySpec"] == "HMAC_256" and metadata["KeyUsage"] == "GENERATE_VERIFY_MAC"
    mac = kms.generate_mac(KeyId=key_id, Message=b"record", MacAlgorithm="HMAC_SHA_256")["Mac"]
    again = kms.generate_mac(KeyId=key_id, Message=b"record", MacAlgorithm="HMAC_SHA_256")["Mac"]
    assert len(mac) == 32 and mac == again


def test_key_aliases_point_at_their_keys(stack: Resources) -> None:
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in stack.client("kms").list_aliases()["Aliases"]}
    for props in declared(stack.template, "AWS::KMS::Alias").values():
        assert aliases[props["AliasName"]] == props["TargetKeyId"]


def test_functions_get_the_physical_names_in_their_environment(stack: Resources) -> None:
    validate = stack.functions["ValidateFunction"].environment
    assert validate["UPLOAD_BUCKET"] == stack.buckets["UploadBucket"]
    assert validate["LINKAGE_BUCKET"] == stack.buckets["LinkageBucket"]
    assert validate["SUBMISSIONS_TABLE"] == stack.tables["SubmissionsTable"]
    assert validate["MATCH_QUEUE_URL"] == stack.queues["MatchQueue"]
    assert validate["STACK_NAME"] == "tfnis-local"  # from Globals, merged with the function's own
    anonymise = stack.functions["AnonymiseFunction"].environment
    assert anonymise["PSEUDONYM_KEY_ID"] == stack.keys["PseudonymKey"]


def test_functions_know_their_handler_file_and_event_sources(stack: Resources) -> None:
    validate = stack.functions["ValidateFunction"]
    assert validate.module_file == ROOT / "functions" / "validate" / "app.py"
    assert [s.queue_logical_id for s in validate.queue_sources] == ["UploadQueue"]
    assert validate.queue_sources[0].report_batch_item_failures
    api_routes = {r.route_key for r in stack.functions["SubmissionsApiFunction"].routes}
    assert "POST /submissions" in api_routes and all(
        r.authorized for r in stack.functions["SubmissionsApiFunction"].routes
    )


def test_an_upload_notifies_the_upload_queue_with_the_key_url_encoded(stack: Resources) -> None:
    s3, sqs = stack.client("s3"), stack.client("sqs")
    key = "uploads/E08000025/sub-1/families (1)+final.csv"
    s3.put_object(Bucket=stack.buckets["UploadBucket"], Key=key, Body=b"la_code\n")
    records = []
    for _ in range(5):
        messages = sqs.receive_message(QueueUrl=stack.queues["UploadQueue"], MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            body = json.loads(message["Body"])
            records += body.get("Records", [])  # s3:TestEvent bodies carry no Records
        if records:
            break
    assert len(records) == 1
    record = records[0]
    assert record["eventName"].startswith("ObjectCreated")
    assert record["s3"]["bucket"]["name"] == stack.buckets["UploadBucket"]
    assert record["s3"]["object"]["key"] != key  # S3 URL-encodes keys in events
    assert unquote_plus(record["s3"]["object"]["key"]) == key


def test_objects_outside_the_notification_prefix_do_not_notify(stack: Resources) -> None:
    s3, sqs = stack.client("s3"), stack.client("sqs")
    sqs.purge_queue(QueueUrl=stack.queues["UploadQueue"])
    s3.put_object(Bucket=stack.buckets["UploadBucket"], Key="elsewhere/file.csv", Body=b"x")
    messages = sqs.receive_message(QueueUrl=stack.queues["UploadQueue"], MaxNumberOfMessages=10).get("Messages", [])
    assert not [m for m in messages if "Records" in json.loads(m["Body"])]


def test_user_pool_declares_the_la_code_attribute(stack: Resources) -> None:
    pool = stack.client("cognito-idp").describe_user_pool(UserPoolId=stack.user_pools["UserPool"])["UserPool"]
    assert "custom:la_code" in {a["Name"] for a in pool["SchemaAttributes"]}


def test_resources_with_no_local_meaning_still_resolve(stack: Resources) -> None:
    assert stack.placeholders.get("ResearchEndSchedule") == "AWS::Scheduler::Schedule"
    assert stack.template.get_att("ResearchEndScheduleRole", "Arn").startswith("arn:aws:")
    assert stack.template.get_att("AlarmTopic", "TopicName")  # any attribute of a placeholder resolves
