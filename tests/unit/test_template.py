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

from tfnis.pipeline.locations import (
    LINKAGE_INDEX_KEY,
    SubmissionRef,
    coverage_latest_key,
    national_coverage_prefix,
)

REPO = Path(__file__).resolve().parents[2]

PERSONAL_BUCKETS = ("UploadBucket", "LinkageBucket", "WorkBucket")
ALL_BUCKETS = (*PERSONAL_BUCKETS, "ReportsBucket", "ResearchBucket", "AuditBucket")
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
    assert readers <= {"ValidateFunction", "MatchFunction"}
    assert "MatchFunction" in readers


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
    assert macs == {"AnonymiseFunction"}
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


@pytest.mark.parametrize("bucket", ALL_BUCKETS)
def test_bucket_is_encrypted_with_the_data_key(resources, bucket):
    encryption = resources[bucket]["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    default = encryption[0]["ServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    assert default["KMSMasterKeyID"] == {"Fn::GetAtt": ["DataKey", "Arn"]}


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
    (notification,) = upload["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Queue"] == {"Fn::GetAtt": ["UploadQueue", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    (allow,) = resources["UploadQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    source_arn = allow["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"]
    assert source_arn.endswith(upload["BucketName"]["Fn::Sub"])
    assert resources["UploadBucket"]["DependsOn"] == "UploadQueuePolicy"


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
    assert dlqs == {"UploadDLQ", "CoverageDLQ", "MatchDLQ", "AnonymiseDLQ", "ResearchEndDLQ"}
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
    assert set(consumers) == {"UploadQueue", "CoverageQueue", "MatchQueue", "AnonymiseQueue"}
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
    assert with_linkage == {"MatchFunction"}


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
    assert routes == {("POST", "/submissions"), ("GET", "/submissions"), ("GET", "/submissions/{submission_id}")}


def test_a_council_cannot_change_its_own_la_code(resources):
    schema = {a["Name"] for a in resources["UserPool"]["Properties"]["Schema"]}
    assert "la_code" in schema
    client = resources["UserPoolClient"]["Properties"]
    assert "custom:la_code" in client["ReadAttributes"]
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
    ("AnonymiseFunction", "s3:GetObject", "WorkBucket", REF.families_key),
    ("AnonymiseFunction", "s3:GetObject", "WorkBucket", REF.key_map_key),
    ("AnonymiseFunction", "s3:PutObject", "ResearchBucket", REF.research_prefix + "individuals.parquet"),
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
