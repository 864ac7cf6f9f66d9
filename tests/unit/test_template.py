"""template.yaml holds the privacy invariants that infrastructure can hold (DESIGN.md), read without AWS.

Separation of identifiers is IAM (invariant 1), the research-end backstop is lifecycle (invariant 5), and
every failure must be seen (a DLQ alarm each). The template is parsed with cfn-lint's decoder, so short-form
tags arrive as {"Ref": ...}, {"Fn::Sub": ...}.
"""

from __future__ import annotations

import fnmatch
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from tfnis.panel import part_key
from tfnis.pipeline.locations import (
    LINKAGE_INDEX_KEY,
    SubmissionRef,
    coverage_latest_key,
    index_segment_key,
    linkage_quality_key,
    national_coverage_prefix,
    relink_prefix,
)

REPO = Path(__file__).resolve().parents[2]

PERSONAL_BUCKETS = ("UploadBucket", "LinkageBucket", "WorkBucket")
DATA_BUCKETS = (*PERSONAL_BUCKETS, "ReportsBucket", "ResearchBucket", "AuditBucket")
ALL_BUCKETS = (*DATA_BUCKETS, "AccessLogBucket")
IDENTIFIER_BUCKETS = ("UploadBucket", "LinkageBucket")
RESEARCH_END_DATE = {"Fn::Sub": "${ResearchEndDate}T00:00:00Z"}
# Actions that hand over an object's content (or everything: wildcards are expanded against these).
S3_READ_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:RestoreObject")

# The environment contract between template.yaml and tfnis.storage: variable -> the resource it names.
ENVIRONMENT_CONTRACT = {
    "UPLOAD_BUCKET": {"Ref": "UploadBucket"},
    "LINKAGE_BUCKET": {"Ref": "LinkageBucket"},
    "WORK_BUCKET": {"Ref": "WorkBucket"},
    "REPORTS_BUCKET": {"Ref": "ReportsBucket"},
    "RESEARCH_BUCKET": {"Ref": "ResearchBucket"},
    "AUDIT_BUCKET": {"Ref": "AuditBucket"},
    "SUBMISSIONS_TABLE": {"Ref": "SubmissionsTable"},
    "IDEMPOTENCY_TABLE": {"Ref": "IdempotencyTable"},
    "COVERAGE_QUEUE_URL": {"Ref": "CoverageQueue"},
    "MATCH_QUEUE_URL": {"Ref": "MatchQueue"},
    "ANONYMISE_QUEUE_URL": {"Ref": "AnonymiseQueue"},
    "UPLOAD_MAX_BYTES": {"Ref": "UploadMaxBytes"},
    "RESEARCH_END_DATE": {"Ref": "ResearchEndDate"},
    "RAW_RETENTION_DAYS": {"Ref": "RawRetentionDays"},
    "PSEUDONYM_KEY_ID": {"Ref": "PseudonymKey"},
    "DATA_KEY_ID": {"Ref": "DataKey"},
    "IDENTIFIER_KEY_ID": {"Ref": "IdentifierKey"},
    "UPLOAD_QUEUE_URL": {"Ref": "UploadQueue"},
    "STACK_NAME": {"Ref": "AWS::StackName"},
}


def _plain(node: Any) -> Any:
    """cfn-lint's nodes as plain dicts and lists, so equality and json work as usual."""
    return json.loads(json.dumps(node))


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    body, errors = decode_str((REPO / "template.yaml").read_text(encoding="utf-8"))
    assert not errors, [str(e) for e in errors]
    return _plain(body)


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return template["Resources"]


def _of_type(resources: dict[str, dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r for lid, r in resources.items() if r["Type"] == kind}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _mentions(value: Any, logical_id: str) -> bool:
    """Does this Resource value point into the resource `logical_id` (Ref, GetAtt or ${X...} in a Sub)?"""
    text = json.dumps(value)
    return bool(re.search(rf'"{logical_id}"|\$\{{{logical_id}[.}}]', text))


def _grants(action_patterns: list[str], actions: tuple[str, ...]) -> set[str]:
    """Which of `actions` the statement's (possibly wildcarded) action patterns allow."""
    return {a for a in actions for p in action_patterns if fnmatch.fnmatch(a.lower(), p.lower())}


def _allow_statements(function: dict[str, Any]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    for policy in function["Properties"].get("Policies", []):
        statements += [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    return statements


def _reads_of(function: dict[str, Any], bucket: str) -> set[str]:
    """Object-reading actions this function's role is allowed on `bucket` (or on any resource)."""
    reads: set[str] = set()
    for statement in _allow_statements(function):
        targets = _as_list(statement["Resource"])
        if any(t == "*" or _mentions(t, bucket) for t in targets):
            reads |= _grants(_as_list(statement["Action"]), S3_READ_ACTIONS)
    return reads


def _actions_on(function: dict[str, Any], logical_id: str) -> set[str]:
    actions: set[str] = set()
    for statement in _allow_statements(function):
        if any(t == "*" or _mentions(t, logical_id) for t in _as_list(statement["Resource"])):
            actions |= set(_as_list(statement["Action"]))
    return actions


# --- invariant 1: separation of identifiers -------------------------------------------------------------------


def test_every_function_permission_is_an_explicit_statement(resources):
    for logical_id, function in _of_type(resources, "AWS::Serverless::Function").items():
        props = function["Properties"]
        assert "Role" not in props, logical_id
        for policy in props.get("Policies", []):
            assert isinstance(policy, dict) and "Statement" in policy, f"{logical_id}: {policy!r}"
            for statement in policy["Statement"]:
                assert statement["Resource"] != "*", f"{logical_id} {statement.get('Sid')}"
                assert not any(a in ("*", "s3:*", "kms:*") for a in _as_list(statement["Action"])), logical_id


@pytest.mark.parametrize("logical_id", ["CoverageFunction", "AnonymiseFunction"])
def test_coverage_and_anonymise_cannot_read_linkage_bucket(resources, logical_id):
    assert _reads_of(resources[logical_id], "LinkageBucket") == set()


def test_only_validate_and_match_touch_identifiers_for_reading(resources):
    readers = {
        lid
        for lid, function in _of_type(resources, "AWS::Serverless::Function").items()
        if _reads_of(function, "LinkageBucket")
    }
    # ReferenceFunction reads the index only (issue 15: a reference extract is matched against it, never added).
    assert readers <= {"ValidateFunction", "MatchFunction", "ReferenceFunction"}
    assert "MatchFunction" in readers
    for statement in _allow_statements(resources["ReferenceFunction"]):
        if "s3:GetObject" in _as_list(statement["Action"]):
            for target in _as_list(statement["Resource"]):
                assert not _mentions(target, "LinkageBucket") or "linkage/index/" in str(target)


def test_anonymise_may_only_delete_on_linkage_bucket(resources):
    assert _actions_on(resources["AnonymiseFunction"], "LinkageBucket") <= {
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:ListBucketVersions",
    }


def test_only_anonymise_pseudonymises_and_only_research_end_destroys_the_key(resources):
    functions = _of_type(resources, "AWS::Serverless::Function")
    macs = {lid for lid, f in functions.items() if "kms:GenerateMac" in _actions_on(f, "PseudonymKey")}
    destroyers = {lid for lid, f in functions.items() if "kms:ScheduleKeyDeletion" in _actions_on(f, "PseudonymKey")}
    assert macs == {"AnonymiseFunction", "ReferenceFunction"}  # both write the pseudonymised research extract
    assert destroyers == {"ResearchEndFunction"}


def test_pseudonym_key_is_an_hmac_key(resources):
    key = resources["PseudonymKey"]["Properties"]
    assert (key["KeySpec"], key["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    assert resources["DataKey"]["Properties"]["EnableKeyRotation"] is True


# --- invariant 5 and storage rules: buckets ---------------------------------------------------------------------


@pytest.mark.parametrize("bucket", PERSONAL_BUCKETS)
def test_personal_bucket_is_versioned(resources, bucket):
    assert resources[bucket]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


@pytest.mark.parametrize("bucket", PERSONAL_BUCKETS)
def test_personal_bucket_expires_everything_at_research_end(resources, bucket):
    rules = [r for r in resources[bucket]["Properties"]["LifecycleConfiguration"]["Rules"] if r["Status"] == "Enabled"]
    backstop = [r for r in rules if r.get("ExpirationDate") == RESEARCH_END_DATE]
    assert len(backstop) == 1, "one rule with ExpirationDate = ResearchEndDate"
    whole_bucket = [r for r in rules if "Filter" not in r and "Prefix" not in r]
    assert backstop[0] in whole_bucket
    # Current versions expire at the date; the noncurrent versions that leaves go a day later; the lone delete
    # markers after that (S3 refuses ExpiredObjectDeleteMarker beside a date, hence a rule of its own).
    assert backstop[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 1
    assert backstop[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] <= 1
    assert any(r.get("ExpiredObjectDeleteMarker") is True for r in whole_bucket)


def test_raw_uploads_expire_after_raw_retention_days(resources):
    rules = resources["UploadBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") == {"Ref": "RawRetentionDays"} for r in rules)


@pytest.mark.parametrize("bucket", ALL_BUCKETS)
def test_bucket_blocks_public_access(resources, bucket):
    block = resources[bucket]["Properties"]["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )


def _bucket_key(resources: dict[str, dict[str, Any]], bucket: str) -> tuple[str, Any]:
    encryption = resources[bucket]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    default = encryption[0]["ServerSideEncryptionByDefault"]
    return default["SSEAlgorithm"], default.get("KMSMasterKeyID")


@pytest.mark.parametrize("bucket", [b for b in DATA_BUCKETS if b not in IDENTIFIER_BUCKETS])
def test_bucket_is_encrypted_with_the_data_key(resources, bucket):
    assert _bucket_key(resources, bucket) == ("aws:kms", {"Fn::GetAtt": ["DataKey", "Arn"]})


@pytest.mark.parametrize("bucket", IDENTIFIER_BUCKETS)
def test_identifier_buckets_are_encrypted_with_the_identifier_key(resources, bucket):
    assert _bucket_key(resources, bucket) == ("aws:kms", {"Fn::GetAtt": ["IdentifierKey", "Arn"]})


def test_identifier_key_rotates_and_its_policy_delegates_use_to_iam(resources):
    key = resources["IdentifierKey"]
    assert key["Properties"]["EnableKeyRotation"] is True
    assert key.get("UpdateReplacePolicy") == "Retain"  # a replaced key leaves every object unreadable
    (statement,) = key["Properties"]["KeyPolicy"]["Statement"]
    assert statement["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}


def _kms_users(resources: dict[str, dict[str, Any]], key: str, action: str) -> set[str]:
    return {
        lid
        for lid, function in _of_type(resources, "AWS::Serverless::Function").items()
        if _grants(sorted(_actions_on(function, key)), (action,))
    }


def test_only_validate_match_and_research_end_may_decrypt_with_the_identifier_key(resources):
    decrypters = _kms_users(resources, "IdentifierKey", "kms:Decrypt")
    assert (
        {"ValidateFunction", "MatchFunction"}
        <= decrypters
        <= {
            "ValidateFunction",
            "MatchFunction",
            "ReferenceFunction",  # reads the reference extract it matches (issue 15)
            "ResearchEndFunction",
        }
    )


def test_sse_kms_presigned_post_acts_with_the_signers_key_permissions_but_never_decrypt(resources):
    # S3 encrypts a pre-signed POST's object with the permissions of whoever signed the policy: the API role
    # must be able to generate data keys under IdentifierKey, and has no need (so no right) to decrypt.
    api = resources["SubmissionsApiFunction"]
    assert "kms:GenerateDataKey" in _actions_on(api, "IdentifierKey")
    assert "SubmissionsApiFunction" not in _kms_users(resources, "IdentifierKey", "kms:Decrypt")
    assert api["Properties"]["Environment"]["Variables"]["IDENTIFIER_KEY_ID"] == {"Ref": "IdentifierKey"}


def test_bucket_is_encrypted(resources):
    for bucket in ALL_BUCKETS:
        assert _bucket_key(resources, bucket)[0] in ("aws:kms", "AES256"), bucket


@pytest.mark.parametrize("bucket", ALL_BUCKETS)
def test_bucket_refuses_requests_without_tls(resources, bucket):
    policies = [
        r["Properties"]["PolicyDocument"]
        for r in _of_type(resources, "AWS::S3::BucketPolicy").values()
        if r["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    assert len(policies) == 1
    denies = [
        s
        for s in policies[0]["Statement"]
        if s["Effect"] == "Deny"
        and s["Principal"] == "*"
        and s["Action"] == "s3:*"
        and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert len(denies) == 1
    assert denies[0]["Resource"] == [{"Fn::GetAtt": [bucket, "Arn"]}, {"Fn::Sub": f"${{{bucket}.Arn}}/*"}]


def test_uploads_notify_the_upload_queue_from_the_named_bucket(resources):
    upload = resources["UploadBucket"]["Properties"]
    notification, reference = upload["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Queue"] == {"Fn::GetAtt": ["UploadQueue", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    assert reference["Queue"] == {"Fn::GetAtt": ["ReferenceQueue", "Arn"]}
    assert reference["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "references/"}]
    (allow,) = resources["UploadQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    source_arn = allow["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"]
    assert source_arn.endswith(upload["BucketName"]["Fn::Sub"])
    assert resources["UploadBucket"]["DependsOn"] == ["UploadQueuePolicy", "ReferenceQueuePolicy"]


# --- queues and alarms -------------------------------------------------------------------------------------------


def _dead_letter_queues(resources: dict[str, dict[str, Any]]) -> set[str]:
    dlqs = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in _of_type(resources, "AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    }
    for function in _of_type(resources, "AWS::Serverless::Function").values():
        on_failure = function["Properties"].get("EventInvokeConfig", {}).get("DestinationConfig", {})
        if "OnFailure" in on_failure:
            dlqs.add(on_failure["OnFailure"]["Destination"]["Fn::GetAtt"][0])
    return dlqs


def test_every_dead_letter_queue_has_an_alarm_to_the_alarm_topic(resources):
    dlqs = _dead_letter_queues(resources)
    assert dlqs == {"UploadDLQ", "CoverageDLQ", "MatchDLQ", "AnonymiseDLQ", "ReferenceDLQ", "ResearchEndDLQ"}
    alarmed = set()
    for alarm in _of_type(resources, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if props["MetricName"] != "ApproximateNumberOfMessagesVisible" or props["Namespace"] != "AWS/SQS":
            continue
        assert props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        (dimension,) = props["Dimensions"]
        alarmed.add(dimension["Value"]["Fn::GetAtt"][0])
    assert dlqs <= alarmed


def _sqs_consumers(resources: dict[str, dict[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """queue logical id -> (function logical id, event properties)."""
    consumers = {}
    for lid, function in _of_type(resources, "AWS::Serverless::Function").items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                consumers[event["Properties"]["Queue"]["Fn::GetAtt"][0]] = (lid, event["Properties"])
    return consumers


def test_each_stage_queue_retries_three_times_and_outlasts_its_function(resources):
    consumers = _sqs_consumers(resources)
    assert set(consumers) == {"UploadQueue", "CoverageQueue", "MatchQueue", "AnonymiseQueue", "ReferenceQueue"}
    for queue, (function, event) in consumers.items():
        props = resources[queue]["Properties"]
        assert props["RedrivePolicy"]["maxReceiveCount"] == 3, queue
        assert props["VisibilityTimeout"] >= 6 * resources[function]["Properties"]["Timeout"], queue
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, queue
        assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"], function


def test_matching_is_serial_through_a_fifo_queue(resources):
    match_queue = resources["MatchQueue"]["Properties"]
    assert match_queue["FifoQueue"] is True and match_queue["ContentBasedDeduplication"] is True
    assert resources["MatchDLQ"]["Properties"]["FifoQueue"] is True
    function, event = _sqs_consumers(resources)["MatchQueue"]
    assert (function, event["BatchSize"]) == ("MatchFunction", 1)


# --- functions, API, schedule -------------------------------------------------------------------------------------


FUNCTION_DIRS = {
    "SubmissionsApiFunction": "submissions_api",
    "ValidateFunction": "validate",
    "CoverageFunction": "coverage",
    "MatchFunction": "match",
    "AnonymiseFunction": "anonymise",
    "ReferenceFunction": "reference",
    "ResearchEndFunction": "research_end",
}


def test_functions_are_python313_handlers_in_their_own_directory(template, resources):
    glob = template["Globals"]["Function"]
    assert (glob["Runtime"], glob["Handler"], glob["Architectures"]) == ("python3.13", "app.handler", ["x86_64"])
    assert glob["Layers"] == [{"Ref": "TfnisLayer"}]
    assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL"} <= set(
        glob["Environment"]["Variables"]
    )
    functions = _of_type(resources, "AWS::Serverless::Function")
    assert {lid: f["Properties"]["CodeUri"] for lid, f in functions.items()} == {
        lid: f"functions/{name}/" for lid, name in FUNCTION_DIRS.items()
    }
    assert resources["TfnisLayer"]["Metadata"]["BuildMethod"] == "python3.13"


def test_environment_variables_name_the_resources_of_the_contract(template, resources):
    seen = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    for function in _of_type(resources, "AWS::Serverless::Function").values():
        for name, value in function["Properties"].get("Environment", {}).get("Variables", {}).items():
            assert ENVIRONMENT_CONTRACT.get(name, value) == value, name
            seen[name] = value
    assert set(ENVIRONMENT_CONTRACT) <= set(seen)


def _layer_packages(template: dict[str, Any], function: dict[str, Any]) -> set[str]:
    """Distribution names in the requirements of every layer the function gets (Globals first, as SAM)."""
    refs = template["Globals"]["Function"]["Layers"] + function["Properties"].get("Layers", [])
    packages: set[str] = set()
    for ref in refs:
        content = template["Resources"][ref["Ref"]]["Properties"]["ContentUri"]
        for line in (REPO / content / "requirements.txt").read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                packages.add(re.split(r"[=<>!~\[ ]", line.strip(), maxsplit=1)[0].lower())
    return packages


def test_no_function_carries_both_pyarrow_and_duckdb(template, resources):
    # pandas + numpy + pyarrow + duckdb is over Lambda's 250 MB unzipped (bench/layer_size.py).
    for logical_id, function in _of_type(resources, "AWS::Serverless::Function").items():
        assert not {"pyarrow", "duckdb"} <= _layer_packages(template, function), logical_id


def test_only_validate_carries_pyarrow(template, resources):
    with_arrow = {
        lid
        for lid, function in _of_type(resources, "AWS::Serverless::Function").items()
        if "pyarrow" in _layer_packages(template, function)
    }
    assert with_arrow == {"ValidateFunction"}


def test_splink_layer_goes_to_match_only(resources):
    with_linkage = {
        lid
        for lid, f in _of_type(resources, "AWS::Serverless::Function").items()
        if {"Ref": "LinkageLayer"} in f["Properties"].get("Layers", [])
    }
    assert with_linkage == {"MatchFunction", "ReferenceFunction"}


def test_api_routes_are_behind_the_council_jwt_authorizer(resources):
    api = resources["HttpApi"]["Properties"]["Auth"]
    assert api["DefaultAuthorizer"] == "CouncilJwt"
    jwt = api["Authorizers"]["CouncilJwt"]["JwtConfiguration"]
    assert "${UserPool}" in jwt["issuer"]["Fn::Sub"]
    assert jwt["audience"] == [{"Ref": "UserPoolClient"}]
    routes = {
        (e["Properties"]["Method"], e["Properties"]["Path"])
        for e in resources["SubmissionsApiFunction"]["Properties"]["Events"].values()
        if e["Type"] == "HttpApi"
    }
    assert routes == {
        ("POST", "/submissions"), ("GET", "/submissions"), ("GET", "/submissions/{submission_id}"),
        ("POST", "/references"), ("GET", "/references/{upload_id}"), ("GET", "/openapi.json"),
    }  # fmt: skip
    events = resources["SubmissionsApiFunction"]["Properties"]["Events"].values()
    assert not [e for e in events if "Auth" in e["Properties"]]  # none opts out of the authorizer, not even the schema


def test_a_council_cannot_change_its_own_la_code(resources):
    schema = {a["Name"] for a in resources["UserPool"]["Properties"]["Schema"]}
    assert "la_code" in schema
    client = resources["UserPoolClient"]["Properties"]
    assert "custom:la_code" in client["ReadAttributes"]
    # Cognito lets a signed-in user UpdateUserAttributes on every attribute in the client's WriteAttributes.
    assert "custom:la_code" not in client["WriteAttributes"]


def test_research_end_runs_once_at_the_research_end_date(resources):
    schedule = resources["ResearchEndSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == {"Fn::Sub": "at(${ResearchEndDate}T00:00:00)"}
    assert schedule["Target"]["Arn"] == {"Fn::GetAtt": ["ResearchEndFunction", "Arn"]}
    role = resources["ResearchEndScheduleRole"]["Properties"]
    (statement,) = [
        s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"] if s["Action"] == "lambda:InvokeFunction"
    ]
    assert statement["Resource"] == {"Fn::GetAtt": ["ResearchEndFunction", "Arn"]}


def test_research_end_can_destroy_every_version_in_every_personal_bucket(resources):
    research_end = resources["ResearchEndFunction"]
    for bucket in PERSONAL_BUCKETS:
        assert {"s3:ListBucketVersions", "s3:DeleteObjectVersion"} <= _actions_on(research_end, bucket), bucket
    assert _reads_of(research_end, "LinkageBucket") == set()


def test_submissions_table_expires_items_and_keeps_point_in_time_recovery(resources):
    table = resources["SubmissionsTable"]["Properties"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["la_code", "submission_id"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["SSESpecification"]["SSEEnabled"] is True
    idempotency = resources["IdempotencyTable"]["Properties"]
    assert idempotency["TimeToLiveSpecification"]["AttributeName"] == "expiration"


def test_outputs_give_the_api_the_pool_and_every_bucket(template):
    outputs = set(template["Outputs"])
    assert {"ApiUrl", "UserPoolId", "UserPoolClientId"} <= outputs
    assert {f"{bucket}Name" for bucket in ALL_BUCKETS} <= outputs


# --- the key layout of tfnis.pipeline.locations against the IAM object patterns ---------------------------------

REF = SubmissionRef("E08000025", "0b6f3c1e-5d2a-4f7e-9a41-2f1d8c7e6b50", date(2024, 3, 31))
UPLOAD_KEY = REF.upload_prefix + "individuals.csv"


def _allowed(function: dict[str, Any], action: str, bucket: str, key: str) -> bool:
    """Would IAM let this function do `action` on object `key` of `bucket`? (IAM's * spans slashes, as here.)"""
    for statement in _allow_statements(function):
        if not _grants(_as_list(statement["Action"]), (action,)):
            continue
        for resource in _as_list(statement["Resource"]):
            if resource == "*":
                return True
            pattern = re.fullmatch(
                rf"\$\{{{bucket}\.Arn\}}/(.+)", resource.get("Fn::Sub", "") if isinstance(resource, dict) else ""
            )
            if pattern and fnmatch.fnmatchcase(key, pattern.group(1)):
                return True
    return False


STAGE_OBJECT_ACCESS = [
    ("SubmissionsApiFunction", "s3:PutObject", "UploadBucket", UPLOAD_KEY),
    ("SubmissionsApiFunction", "s3:GetObject", "ReportsBucket", REF.report_key("validation_html")),
    ("ValidateFunction", "s3:GetObject", "UploadBucket", UPLOAD_KEY),
    ("ValidateFunction", "s3:PutObject", "LinkageBucket", REF.identifiers_key),
    ("ValidateFunction", "s3:PutObject", "WorkBucket", REF.families_key),
    ("ValidateFunction", "s3:PutObject", "WorkBucket", REF.individuals_key),
    ("ValidateFunction", "s3:PutObject", "ReportsBucket", REF.report_key("validation_json")),
    ("ValidateFunction", "s3:PutObject", "AuditBucket", "audit/2024/05/01/120000-submission_validated.json"),
    ("CoverageFunction", "s3:GetObject", "WorkBucket", REF.families_key),
    ("CoverageFunction", "s3:GetObject", "WorkBucket", REF.individuals_key),
    ("CoverageFunction", "s3:PutObject", "ReportsBucket", REF.report_key("coverage_html")),
    ("CoverageFunction", "s3:GetObject", "ReportsBucket", REF.report_key("coverage_json")),
    ("CoverageFunction", "s3:PutObject", "ReportsBucket", coverage_latest_key(REF.period_end, REF.la_code)),
    ("CoverageFunction", "s3:GetObject", "ReportsBucket", coverage_latest_key(REF.period_end, REF.la_code)),
    ("CoverageFunction", "s3:PutObject", "ResearchBucket", national_coverage_prefix(REF.period_end) + "coverage.csv"),
    ("MatchFunction", "s3:GetObject", "LinkageBucket", REF.identifiers_key),
    ("MatchFunction", "s3:GetObject", "LinkageBucket", LINKAGE_INDEX_KEY),
    ("MatchFunction", "s3:PutObject", "LinkageBucket", LINKAGE_INDEX_KEY),
    ("MatchFunction", "s3:PutObject", "WorkBucket", REF.key_map_key),
    ("MatchFunction", "s3:PutObject", "LinkageBucket", index_segment_key(REF)),
    ("MatchFunction", "s3:GetObject", "LinkageBucket", index_segment_key(REF)),
    ("MatchFunction", "s3:PutObject", "ResearchBucket", linkage_quality_key(REF)),
    ("MatchFunction", "s3:DeleteObjectVersion", "ResearchBucket", linkage_quality_key(REF)),
    ("AnonymiseFunction", "s3:GetObject", "WorkBucket", REF.families_key),
    ("AnonymiseFunction", "s3:GetObject", "WorkBucket", REF.key_map_key),
    ("AnonymiseFunction", "s3:PutObject", "ResearchBucket", REF.staging_prefix + "individuals.parquet"),
    ("AnonymiseFunction", "s3:GetObject", "ResearchBucket", REF.staging_prefix + "individuals.parquet"),
    ("AnonymiseFunction", "s3:PutObject", "ResearchBucket", part_key("individuals", "2024-03-31", "E08000025")),
    ("AnonymiseFunction", "s3:PutObject", "ResearchBucket", REF.risk_prefix + "risk.json"),
    ("AnonymiseFunction", "s3:DeleteObjectVersion", "ResearchBucket", part_key("families", "2024-03-31", "E08000025")),
    ("ResearchEndFunction", "s3:DeleteObjectVersion", "ResearchBucket", REF.staging_prefix + "families.parquet"),
    (
        "ResearchEndFunction",
        "s3:DeleteObjectVersion",
        "ResearchBucket",
        part_key("families", "2024-03-31", "E08000025"),
    ),
    ("AnonymiseFunction", "s3:DeleteObjectVersion", "UploadBucket", UPLOAD_KEY),
    ("AnonymiseFunction", "s3:DeleteObjectVersion", "LinkageBucket", REF.identifiers_key),
    ("AnonymiseFunction", "s3:DeleteObjectVersion", "WorkBucket", REF.key_map_key),
    ("ResearchEndFunction", "s3:DeleteObjectVersion", "LinkageBucket", LINKAGE_INDEX_KEY),
    ("ResearchEndFunction", "s3:DeleteObjectVersion", "WorkBucket", REF.families_key),
    ("ResearchEndFunction", "s3:DeleteObjectVersion", "UploadBucket", UPLOAD_KEY),
    ("ResearchEndFunction", "s3:PutObject", "AuditBucket", "certificates/tfnis-prod/20310331T000000Z-destruction.json"),
]


@pytest.mark.parametrize(("function", "action", "bucket", "key"), STAGE_OBJECT_ACCESS)
def test_each_stage_may_do_what_its_code_does_on_the_key_layout(resources, function, action, bucket, key):
    assert _allowed(resources[function], action, bucket, key)


@pytest.mark.parametrize(
    "function", ["SubmissionsApiFunction", "CoverageFunction", "AnonymiseFunction", "ResearchEndFunction"]
)
def test_identifiers_and_the_index_are_unreadable_outside_match(resources, function):
    for key in (REF.identifiers_key, LINKAGE_INDEX_KEY):
        assert not _allowed(resources[function], "s3:GetObject", "LinkageBucket", key), key


def test_anonymise_cannot_delete_the_linkage_index(resources):
    assert not _allowed(resources["AnonymiseFunction"], "s3:DeleteObject", "LinkageBucket", LINKAGE_INDEX_KEY)
    assert not _allowed(resources["AnonymiseFunction"], "s3:DeleteObjectVersion", "LinkageBucket", LINKAGE_INDEX_KEY)


def test_coverage_cannot_read_the_key_map(resources):
    # record_token -> person_key: with the index it would tie coverage inputs back to identifiers.
    assert not _allowed(resources["CoverageFunction"], "s3:GetObject", "WorkBucket", REF.key_map_key)


# --- issue 10: the research extract ----------------------------------------------------------------------------


def _extract_reads(statements: list[dict[str, Any]]) -> set[str]:
    reads: set[str] = set()
    for statement in statements:
        targets = [json.dumps(t) for t in _as_list(statement["Resource"])]
        if any(t == '"*"' or ("ResearchBucket" in t and ("/extract/" in t or t.endswith('/*"'))) for t in targets):
            reads |= _grants(_as_list(statement["Action"]), S3_READ_ACTIONS)
    return reads


def test_no_function_may_read_the_research_extract(resources):
    for logical_id, function in _of_type(resources, "AWS::Serverless::Function").items():
        assert not _extract_reads(_allow_statements(function)), logical_id


def test_the_staged_periods_are_read_by_the_panel_release_only_not_by_researchers(resources):
    """The researcher reads the released panel (protected across periods), never the staged periods. The release
    runs in AnonymiseFunction, and in ReferenceFunction after a reference upload (issue 15)."""
    role = resources["ResearcherRole"]
    statements = [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert not any("/staging/" in json.dumps(s["Resource"]) for s in statements if s["Effect"] == "Allow")
    for logical_id, function in _of_type(resources, "AWS::Serverless::Function").items():
        readable = _allowed(function, "s3:GetObject", "ResearchBucket", REF.staging_prefix + "families.parquet")
        assert readable == (logical_id in {"AnonymiseFunction", "ReferenceFunction"}), logical_id
    policy = resources["ResearchBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    deny = next(s for s in policy if s["Sid"] == "OnlyThePanelReleaseReadsStaging")
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and "s3:GetObject" in deny["Action"]
    assert deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == [
        {"Fn::GetAtt": ["AnonymiseFunctionRole", "Arn"]},
        {"Fn::GetAtt": ["ReferenceFunctionRole", "Arn"]},
    ]


def test_only_the_researcher_role_reads_the_extract_and_the_bucket_policy_denies_everyone_else(resources):
    role = resources["ResearcherRole"]
    statements = [s for p in role["Properties"]["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert "s3:GetObject" in _extract_reads(statements)
    assumed = role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert assumed["Condition"]["Bool"]["aws:MultiFactorAuthPresent"] == "true"
    policy = resources["ResearchBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    deny = next(s for s in policy if s["Sid"] == "OnlyTheResearcherRoleReadsTheExtract")
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*" and "s3:GetObject" in deny["Action"]
    assert deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"] == {"Fn::GetAtt": ["ResearcherRole", "Arn"]}


def test_every_read_or_write_of_the_extract_is_logged_as_a_cloudtrail_data_event(resources):
    trail = resources["ExtractAccessTrail"]["Properties"]
    (selector,) = trail["AdvancedEventSelectors"]
    fields = {f["Field"]: f for f in selector["FieldSelectors"]}
    assert fields["eventCategory"]["Equals"] == ["Data"] and fields["resources.type"]["Equals"] == ["AWS::S3::Object"]
    assert "extract/" in json.dumps(fields["resources.ARN"]["StartsWith"])
    assert trail["IsLogging"] is True and trail["S3BucketName"] == {"Ref": "AuditBucket"}


def test_the_extract_is_written_under_its_own_key_which_research_end_destroys(resources):
    anonymise, research_end = resources["AnonymiseFunction"], resources["ResearchEndFunction"]
    assert anonymise["Properties"]["Environment"]["Variables"]["EXTRACT_KEY_ID"] == {
        "Fn::GetAtt": ["ExtractKey", "Arn"]
    }
    assert "kms:ScheduleKeyDeletion" in _actions_on(research_end, "ExtractKey")
    deleting = [s for s in _allow_statements(research_end) if "s3:DeleteObjectVersion" in _as_list(s["Action"])]
    assert any(
        "ResearchBucket" in json.dumps(s["Resource"]) and "/extract/" in json.dumps(s["Resource"]) for s in deleting
    )


def test_the_certificate_is_signed_by_an_asymmetric_key_that_outlives_the_stack(resources):
    key = resources["SigningKey"]
    assert key["Properties"]["KeyUsage"] == "SIGN_VERIFY" and key["Properties"]["KeySpec"] == "ECC_NIST_P256"
    assert key["DeletionPolicy"] == "Retain"
    assert {"kms:Sign", "kms:GetPublicKey"} <= _actions_on(resources["ResearchEndFunction"], "SigningKey")


def test_disclosure_parameters_reach_the_anonymise_function(template, resources):
    parameters = template["Parameters"]
    assert parameters["DisclosureK"]["Default"] == 5 and parameters["ExtractArea"]["Default"] == "none"
    assert parameters["KeepExtractAfterResearchEnd"]["Default"] == "false"
    variables = resources["AnonymiseFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["DISCLOSURE_K"] == {"Ref": "DisclosureK"}
    assert variables["MAX_SUPPRESSION_SHARE"] == {"Ref": "MaxSuppressionShare"}
    assert variables["EXTRACT_AREA"] == {"Ref": "ExtractArea"}
    keep = resources["ResearchEndFunction"]["Properties"]["Environment"]["Variables"]
    assert keep["KEEP_EXTRACT_AFTER_RESEARCH_END"] == {"Ref": "KeepExtractAfterResearchEnd"}


# --- where moto is kinder than AWS (STYLE.md): each test names the AWS behaviour it pins ------------------------

LAMBDA_MEMORY_QUOTA_OF_A_NEW_ACCOUNT_MB = 3008
NSPL_ALLOWANCE_MB = 2048  # the ONS postcode lookup CSV is about 1 GB uncompressed; room for a bigger edition
MIB = 1024 * 1024


def _resolve_parameter_default(template: dict[str, Any], value: Any) -> Any:
    if isinstance(value, dict) and "Ref" in value:
        return template["Parameters"][value["Ref"]]["Default"]
    return value


def _list_bucket_prefixes(function: dict[str, Any], bucket: str) -> list[str] | None:
    """The s3:prefix patterns of the function's s3:ListBucket on `bucket` ([] = unconditional), None = none."""
    prefixes: list[str] | None = None
    for statement in _allow_statements(function):
        if not _grants(_as_list(statement["Action"]), ("s3:ListBucket",)):
            continue
        if {"Fn::GetAtt": [bucket, "Arn"]} not in _as_list(statement["Resource"]):
            continue
        prefixes = prefixes or []
        for values in statement.get("Condition", {}).values():
            prefixes += _as_list(values.get("s3:prefix", []))
    return prefixes


def _object_patterns(function: dict[str, Any], bucket: str, actions: tuple[str, ...]) -> list[str]:
    patterns = []
    for statement in _allow_statements(function):
        if not _grants(_as_list(statement["Action"]), actions):
            continue
        for resource in _as_list(statement["Resource"]):
            sub = resource.get("Fn::Sub", "") if isinstance(resource, dict) else ""
            match = re.fullmatch(rf"\$\{{{bucket}\.Arn\}}/(.+)", sub)
            if match:
                patterns.append(match.group(1))
    return patterns


def test_s3_answers_403_not_404_for_a_missing_key_without_list_bucket(resources):
    # HeadObject/GetObject of a missing key is 404 only for a caller with s3:ListBucket on the bucket; without it
    # S3 answers 403 (moto answers 404 regardless). Match's "does the index exist yet?" head would then raise.
    for lid, function in _of_type(resources, "AWS::Serverless::Function").items():
        for bucket in ALL_BUCKETS:
            reads = _object_patterns(function, bucket, ("s3:GetObject",))
            if not reads:
                continue
            prefixes = _list_bucket_prefixes(function, bucket)
            assert prefixes is not None, f"{lid} reads {bucket} without s3:ListBucket"
            for read in reads:
                assert not prefixes or any(fnmatch.fnmatchcase(read, p) for p in prefixes), (lid, bucket, read)


def test_list_bucket_prefix_condition_is_if_exists_because_a_head_request_carries_no_prefix(resources):
    # The ListBucket check behind a missing key's 404 is made for a GetObject/HeadObject request, which has no
    # s3:prefix key; a plain StringLike on an absent key is false, so S3 would still answer 403.
    for lid, function in _of_type(resources, "AWS::Serverless::Function").items():
        for statement in _allow_statements(function):
            if "s3:ListBucket" in _as_list(statement["Action"]) and "Condition" in statement:
                for operator, values in statement["Condition"].items():
                    if "s3:prefix" in values:
                        assert operator.endswith("IfExists"), (lid, statement.get("Sid"))


def test_no_function_asks_for_more_memory_than_the_3008_mb_quota_of_a_new_account(template, resources):
    # Lambda's memory quota of a new account is 3008 MB; a function above it fails the whole deployment.
    default = template["Globals"]["Function"]["MemorySize"]
    for lid, function in _of_type(resources, "AWS::Serverless::Function").items():
        memory = _resolve_parameter_default(template, function["Properties"].get("MemorySize", default))
        assert memory <= LAMBDA_MEMORY_QUOTA_OF_A_NEW_ACCOUNT_MB, lid


def test_match_memory_can_rise_to_lambdas_10240_mb_once_the_quota_is_raised(template, resources):
    assert resources["MatchFunction"]["Properties"]["MemorySize"] == {"Ref": "MatchMemorySize"}
    parameter = template["Parameters"]["MatchMemorySize"]
    assert parameter["Default"] == LAMBDA_MEMORY_QUOTA_OF_A_NEW_ACCOUNT_MB
    assert parameter["MaxValue"] == 10240


def test_reference_stage_has_lambdas_full_15_minutes_and_the_3008_mb_quota(resources):
    # docs/reference.md: a 1M-record extract is matched in one invocation; the stage's time was measured against
    # 900 s at 3008 MB (Lambda's CPU share grows with memory). Lowering either needs a new measurement.
    props = resources["ReferenceFunction"]["Properties"]
    assert props["Timeout"] == 900
    assert props["MemorySize"] == LAMBDA_MEMORY_QUOTA_OF_A_NEW_ACCOUNT_MB == 3008


def test_validate_tmp_holds_two_files_at_the_upload_cap_and_the_postcode_lookup(template, resources):
    # Lambda's /tmp is 512 MB unless EphemeralStorage says more (at most 10240); validate downloads the lookup,
    # then every file of the return. UploadMaxBytes' MaxValue is what a deployment may set.
    cap_mb = template["Parameters"]["UploadMaxBytes"]["MaxValue"] / MIB
    size_mb = resources["ValidateFunction"]["Properties"]["EphemeralStorage"]["Size"]
    assert size_mb >= 2 * cap_mb + NSPL_ALLOWANCE_MB
    assert size_mb <= 10240


def test_uploads_are_refused_after_the_research_end_date_whatever_signed_them(resources):
    policy = resources["UploadBucketPolicy"]["Properties"]["PolicyDocument"]
    (deny,) = [s for s in policy["Statement"] if s.get("Sid") == "DenyUploadsAfterResearchEnd"]
    assert (deny["Effect"], deny["Principal"], deny["Action"]) == ("Deny", "*", "s3:PutObject")
    assert deny["Resource"] == {"Fn::Sub": "${UploadBucket.Arn}/uploads/*"}
    assert deny["Condition"] == {"DateGreaterThan": {"aws:CurrentTime": RESEARCH_END_DATE}}


# Queues each function may send to: the next stage, its own dead-letter queue (a stage that gives up parks the
# message itself), and the upload queue for the API (a delayed expiry check of a new submission's forms) and for
# validate, its consumer (an expiry check that came early is queued again).
ALLOWED_SENDS = {
    "SubmissionsApiFunction": {"UploadQueue"},
    "ValidateFunction": {"CoverageQueue", "MatchQueue", "UploadQueue", "UploadDLQ"},
    "CoverageFunction": {"CoverageDLQ"},
    "MatchFunction": {"AnonymiseQueue", "MatchDLQ"},
    "AnonymiseFunction": {"AnonymiseDLQ"},
    "ReferenceFunction": {"ReferenceDLQ"},
    "ResearchEndFunction": set(),
}


def _queues_granted(function: dict[str, Any]) -> dict[str, set[str]]:
    """queue logical id -> SQS actions this function's own statements allow on it."""
    granted: dict[str, set[str]] = {}
    for statement in _allow_statements(function):
        actions = [a for a in _as_list(statement["Action"]) if a.lower().startswith("sqs:")]
        if not actions:
            continue
        for resource in _as_list(statement["Resource"]):
            assert isinstance(resource, dict) and list(resource) == ["Fn::GetAtt"], resource  # no ARN patterns
            granted.setdefault(resource["Fn::GetAtt"][0], set()).update(actions)
    return granted


def test_each_function_sends_only_to_the_queues_it_names_no_wildcards(resources):
    functions = _of_type(resources, "AWS::Serverless::Function")
    assert set(functions) == set(ALLOWED_SENDS)
    for lid, function in functions.items():
        granted = _queues_granted(function)
        assert set(granted) <= ALLOWED_SENDS[lid], lid
        assert all(actions == {"sqs:SendMessage"} for actions in granted.values()), lid
        urls = {
            value["Ref"]
            for name, value in function["Properties"].get("Environment", {}).get("Variables", {}).items()
            if name.endswith("QUEUE_URL")
        }
        assert urls == set(granted), lid  # every queue it may send to is one its code is told about, and back


def test_the_api_may_schedule_expiry_of_a_submission_on_the_upload_queue(resources):
    api = resources["SubmissionsApiFunction"]
    assert _queues_granted(api) == {"UploadQueue": {"sqs:SendMessage"}}
    assert api["Properties"]["Environment"]["Variables"]["UPLOAD_QUEUE_URL"] == {"Ref": "UploadQueue"}


# --- Cognito: what a deployed pool enforces and moto does not --------------------------------------------------


def test_council_users_sign_in_with_an_authenticator_app(resources):
    pool = resources["UserPool"]["Properties"]
    assert pool["MfaConfiguration"] == "ON"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_cognito_keeps_the_old_email_until_the_new_one_is_verified(resources):
    # Without AttributesRequireVerificationBeforeUpdate Cognito makes an unverified new email the sign-in name.
    pool = resources["UserPool"]["Properties"]
    assert pool["UserAttributeUpdateSettings"] == {"AttributesRequireVerificationBeforeUpdate": ["email"]}


@pytest.mark.parametrize("logical_id", ["UserPool", "SubmissionsTable"])
def test_cloudformation_keeps_the_user_pool_and_submissions_table_on_stack_deletion(resources, logical_id):
    assert resources[logical_id].get("DeletionPolicy") == "Retain"
    assert resources[logical_id].get("UpdateReplacePolicy") == "Retain"


def test_cognito_refuses_to_delete_the_user_pool_while_deletion_protection_is_active(resources):
    assert resources["UserPool"]["Properties"]["DeletionProtection"] == "ACTIVE"


# --- access logs -----------------------------------------------------------------------------------------------


def test_research_bucket_is_versioned(resources):
    assert resources["ResearchBucket"]["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


@pytest.mark.parametrize("bucket", DATA_BUCKETS)
def test_bucket_writes_s3_server_access_logs_to_the_access_log_bucket(resources, bucket):
    logging = resources[bucket]["Properties"]["LoggingConfiguration"]
    assert logging == {"DestinationBucketName": {"Ref": "AccessLogBucket"}, "LogFilePrefix": f"{bucket}/"}


def test_s3_server_access_logs_cannot_be_delivered_to_an_sse_kms_bucket(resources):
    # Log delivery supports SSE-S3 only on the target bucket: with SSE-KMS default encryption logs are dropped.
    assert _bucket_key(resources, "AccessLogBucket") == ("AES256", None)


def test_access_log_bucket_lets_the_logging_service_of_this_account_deliver(resources):
    policy = resources["AccessLogBucketPolicy"]["Properties"]["PolicyDocument"]
    (grant,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert grant["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert grant["Action"] == "s3:PutObject"
    assert grant["Condition"]["StringEquals"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    assert "aws:SourceArn" in grant["Condition"]["ArnLike"]
    rules = resources["AccessLogBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") == {"Ref": "AccessLogRetentionDays"} for r in rules)


def test_http_api_writes_access_logs_to_an_encrypted_log_group(resources):
    settings = resources["HttpApi"]["Properties"]["AccessLogSettings"]
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogGroup", "Arn"]}
    assert "$context.requestId" in settings["Format"]
    assert "$context.identity.sourceIp" in settings["Format"]
    assert resources["HttpApiAccessLogGroup"]["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["DataKey", "Arn"]}


# --- the upload page on AWS: S3 + CloudFront, Cognito's hosted UI --------------------------------------------


def test_page_bucket_is_private_and_read_only_by_its_distribution_through_origin_access_control(resources):
    bucket = resources["WebBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    (policy,) = [
        r["Properties"]["PolicyDocument"]
        for r in _of_type(resources, "AWS::S3::BucketPolicy").values()
        if r["Properties"]["Bucket"] == {"Ref": "WebBucket"}
    ]
    (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    assert "${WebDistribution}" in allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert any(s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
               for s in policy["Statement"])  # fmt: skip
    config = resources["WebDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["WebOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"]["OriginAccessIdentity"] == ""
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    control = resources["WebOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (control["OriginAccessControlOriginType"], control["SigningBehavior"]) == ("s3", "always")
    (decrypt,) = [
        s for s in resources["DataKey"]["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    ]  # fmt: skip
    assert decrypt["Action"] == "kms:Decrypt"
    web_bucket_arns = decrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"]
    assert [arn["Fn::Sub"].split(":::")[1] for arn in web_bucket_arns] == [
        bucket["BucketName"]["Fn::Sub"],
        bucket["BucketName"]["Fn::Sub"] + "/*",
    ]


def test_api_and_upload_bucket_allow_only_the_pages_origin(template, resources):
    page_origin = {
        "Fn::If": [
            "PageOnCloudFront",
            {"Fn::Sub": "https://${WebDistribution.DomainName}"},
            {"Ref": "UploadAllowedOrigin"},
        ]
    }
    assert template["Parameters"]["UploadAllowedOrigin"]["Default"] == ""
    assert resources["HttpApi"]["Properties"]["CorsConfiguration"]["AllowOrigins"] == [page_origin]
    (rule,) = resources["UploadBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == [page_origin] and rule["AllowedMethods"] == ["POST"]


def test_the_page_signs_in_with_the_hosted_ui_authorization_code_and_pkce(resources):
    client = resources["UserPoolClient"]["Properties"]
    assert client["AllowedOAuthFlows"] == ["code"]  # no implicit flow: tokens never travel in a URL
    assert client["GenerateSecret"] is False  # a public client: PKCE instead of a secret
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["CallbackURLs"] == [{"Fn::Sub": "https://${WebDistribution.DomainName}/"}]
    assert resources["UserPoolDomain"]["Properties"]["UserPoolId"] == {"Ref": "UserPool"}


# --- unreadable messages: each stage sends them to its own DLQ at once (issue 9, item 4) ------------------------

STAGE_DLQS = {
    "ValidateFunction": "UploadDLQ",
    "CoverageFunction": "CoverageDLQ",
    "MatchFunction": "MatchDLQ",
    "AnonymiseFunction": "AnonymiseDLQ",
}


@pytest.mark.parametrize(("function", "dlq"), STAGE_DLQS.items())
def test_each_stage_may_send_to_the_dlq_of_its_own_queue_and_no_other(
    resources: dict[str, dict[str, Any]], function: str, dlq: str
) -> None:
    properties = resources[function]["Properties"]
    [queue_arn] = [e["Properties"]["Queue"] for e in properties["Events"].values() if e["Type"] == "SQS"]
    queue = resources[queue_arn["Fn::GetAtt"][0]]
    assert queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": [dlq, "Arn"]}
    assert properties["Environment"]["Variables"]["DEAD_LETTER_QUEUE_URL"] == {"Ref": dlq}
    dead_letter_targets = [
        target
        for statement in _allow_statements(resources[function])
        if _grants(_as_list(statement["Action"]), ("sqs:SendMessage",))
        for target in _as_list(statement["Resource"])
        if "DLQ" in json.dumps(target)
    ]
    assert dead_letter_targets == [{"Fn::GetAtt": [dlq, "Arn"]}]


def test_match_function_carries_anyascii_which_normalisation_transliterates_with(template, resources):
    # tfnis.linkage.normalise imports anyascii for names in other scripts; without it in a layer, the first
    # Cyrillic name in a return would fail the match stage in Lambda only.
    match = _of_type(resources, "AWS::Serverless::Function")["MatchFunction"]
    assert "anyascii" in _layer_packages(template, match)


def test_function_environment_is_encrypted_with_data_key_and_every_role_can_decrypt_it(template):
    """Lambda decrypts a CMK-encrypted environment with the function's permissions: a role without kms:Decrypt on
    the key fails at start with KMSAccessDeniedException, which no local run shows."""
    assert template["Globals"]["Function"]["KmsKeyArn"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    for logical_id, function in _of_type(template["Resources"], "AWS::Serverless::Function").items():
        decrypts = [
            s
            for policy in function["Properties"].get("Policies", [])
            for s in _as_list(policy.get("Statement", []))
            if s["Effect"] == "Allow" and "kms:Decrypt" in _as_list(s["Action"])
            and {"Fn::GetAtt": ["DataKey", "Arn"]} in _as_list(s["Resource"])
        ]  # fmt: skip
        assert decrypts, f"{logical_id} cannot decrypt its environment"


# --- national re-linkage: the Glue job (issue 14 item 5) --------------------------------------------------------

RELINK_KEY = relink_prefix("jr_0123") + "index.parquet"


def _role_as_function(role: dict[str, Any]) -> dict[str, Any]:
    """An IAM role's inline policies in the shape _allowed reads (a SAM function's Policies)."""
    return {"Properties": {"Policies": [p["PolicyDocument"] for p in role["Properties"]["Policies"]]}}


def test_the_national_relink_is_off_unless_asked_for(template, resources):
    assert template["Parameters"]["EnableNationalRelink"]["Default"] == "false"
    assert template["Conditions"]["NationalRelink"] == {"Fn::Equals": [{"Ref": "EnableNationalRelink"}, "true"]}
    relink = [lid for lid in resources if lid.startswith("NationalRelink")]
    assert {"NationalRelinkJob", "NationalRelinkRole", "NationalRelinkSecurityConfiguration"} <= set(relink)
    for lid in (*relink, "GlueArtifactsBucket", "GlueArtifactsBucketPolicy"):
        assert resources[lid]["Condition"] == "NationalRelink"


def test_the_relink_job_runs_the_shipped_script_on_glue_5_without_bookmarks(resources):
    job = resources["NationalRelinkJob"]["Properties"]
    assert job["GlueVersion"] == "5.0" and job["Command"]["Name"] == "glueetl"
    assert job["Command"]["ScriptLocation"] == {"Fn::Sub": "s3://${GlueArtifactsBucket}/glue/relink.py"}
    assert (REPO / "glue" / "relink.py").is_file()
    arguments = job["DefaultArguments"]
    assert arguments["--job-bookmark-option"] == "job-bookmark-disable"
    assert arguments["--extra-py-files"] == {"Fn::Sub": "s3://${GlueArtifactsBucket}/glue/tfnis.zip"}
    assert job["SecurityConfiguration"] == {"Ref": "NationalRelinkSecurityConfiguration"}
    assert job["MaxRetries"] == 0 and job["ExecutionProperty"]["MaxConcurrentRuns"] == 1


def test_the_relink_security_configuration_encrypts_with_the_stacks_keys(resources):
    encryption = resources["NationalRelinkSecurityConfiguration"]["Properties"]["EncryptionConfiguration"]
    identifier_key = {"Fn::GetAtt": ["IdentifierKey", "Arn"]}
    assert encryption["S3Encryptions"] == [{"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": identifier_key}]
    assert encryption["CloudWatchEncryption"]["KmsKeyArn"] == {"Fn::GetAtt": ["DataKey", "Arn"]}
    assert encryption["JobBookmarksEncryption"]["JobBookmarksEncryptionMode"] == "CSE-KMS"


def test_the_relink_role_reads_the_index_and_writes_only_its_own_outputs(resources):
    role = _role_as_function(resources["NationalRelinkRole"])
    assert _allowed(role, "s3:GetObject", "LinkageBucket", LINKAGE_INDEX_KEY)
    assert _allowed(role, "s3:PutObject", "LinkageBucket", RELINK_KEY)
    assert _allowed(role, "s3:PutObject", "AuditBucket", "audit/2031/01/01/120000-national_relink.json")
    assert not _allowed(role, "s3:GetObject", "LinkageBucket", REF.identifiers_key)
    assert not _allowed(role, "s3:PutObject", "LinkageBucket", LINKAGE_INDEX_KEY)  # the live index stays match's
    assert not _allowed(role, "s3:DeleteObjectVersion", "LinkageBucket", LINKAGE_INDEX_KEY)
    for bucket in ("WorkBucket", "ResearchBucket", "UploadBucket"):
        assert not _reads_of(role, bucket), bucket
    assert not any("*" in a for s in _allow_statements(role) for a in _as_list(s["Action"]))
