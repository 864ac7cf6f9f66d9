"""Create what template.yaml declares in moto, with direct API calls.

moto's CloudFormation ignores bucket notifications, lifecycle rules, bucket policies and HTTP APIs, so every
resource is created here from its template Properties instead (translated from the CloudFormation schema to
the service API where the two differ). Works against a moto server (endpoint_url) and inside `mock_aws`.
Resource types with no local meaning (IAM roles, alarms, log groups, schedules) get placeholder physical ids
so that Refs to them still resolve.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from tfnis_local import s3_events
from tfnis_local.template import LocalFunction, Template, TemplateError

DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class Resources:
    """The physical side of a provisioned template: names, URLs, ids, and each function's environment."""

    template: Template
    endpoint_url: str | None
    buckets: dict[str, str] = field(default_factory=dict)  # logical id -> bucket name
    queues: dict[str, str] = field(default_factory=dict)  # logical id -> queue URL
    queue_arns: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # logical id -> KMS key id
    user_pools: dict[str, str] = field(default_factory=dict)
    user_pool_clients: dict[str, str] = field(default_factory=dict)
    functions: dict[str, LocalFunction] = field(default_factory=dict)
    placeholders: dict[str, str] = field(default_factory=dict)  # logical id -> type not created locally
    bucket_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # bucket -> policy as declared

    def client(self, service: str) -> Any:
        return _client(service, self.endpoint_url, self.template.region)

    def environment(self) -> dict[str, str]:
        """Every function's environment variables together (the local stack runs them in one process)."""
        merged: dict[str, str] = {}
        for function in self.functions.values():
            merged.update(function.environment)
        return merged

    def queue_for_arn(self, arn: str) -> str | None:
        return next((lid for lid, a in self.queue_arns.items() if a == arn), None)


def _client(service: str, endpoint_url: str | None, region: str) -> Any:
    credentials = DUMMY_CREDENTIALS if endpoint_url else {}
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        config=Config(retries={"max_attempts": 2, "mode": "standard"}),
        **credentials,
    )


def provision(
    template: Template | Path | str | None = None,
    endpoint_url: str | None = None,
    parameters: Mapping[str, str] | None = None,
    *,
    stack_name: str | None = None,
    api_url: str | None = None,
    max_visibility_timeout_s: int | None = None,
) -> Resources:
    """Create every resource of the template; return their physical names and the functions' environment.

    `max_visibility_timeout_s` caps queue visibility timeouts so that local retries come after seconds, not
    the minutes a deployed queue waits; everything else is as the template says.
    """
    if not isinstance(template, Template):
        kwargs: dict[str, Any] = {"parameters": parameters}
        if stack_name:
            kwargs["stack_name"] = stack_name
        template = Template.load(template, **kwargs)
    elif parameters:
        raise TemplateError("pass parameters to Template.load, or a template path to provision")
    s3_events.install()
    resources = Resources(template=template, endpoint_url=endpoint_url)
    _Provisioner(resources, api_url=api_url, max_visibility_timeout_s=max_visibility_timeout_s).run()
    return resources


class _Provisioner:
    def __init__(self, resources: Resources, *, api_url: str | None, max_visibility_timeout_s: int | None):
        self.resources = resources
        self.template = resources.template
        self.api_url = api_url
        self.max_visibility = max_visibility_timeout_s
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.resources.client(service)
        return self._clients[service]

    @property
    def arn_prefix(self) -> str:
        return f"{self.template.region}:{self.template.account_id}"

    # --- order -------------------------------------------------------------------------------------------

    def run(self) -> None:
        self._record_known_names()
        creators: dict[str, Callable[[str], None]] = {
            "AWS::KMS::Key": self.kms_key,
            "AWS::KMS::Alias": self.kms_alias,
            "AWS::SQS::Queue": self.queue,
            "AWS::S3::Bucket": self.bucket,
            "AWS::DynamoDB::Table": self.table,
            "AWS::Serverless::SimpleTable": self.simple_table,
            "AWS::Cognito::UserPool": self.user_pool,
            "AWS::Cognito::UserPoolClient": self.user_pool_client,
            "AWS::S3::BucketPolicy": self.bucket_policy,
            "AWS::SQS::QueuePolicy": self.queue_policy,
        }
        pending = [lid for lid, r in self.template.resources.items() if r.get("Type") in creators]
        # A resource whose properties refer to one not created yet waits for the next pass (DLQ before its
        # queue, queue before the bucket that notifies it, bucket before its policy).
        while pending:
            waiting, last_error = [], None
            for logical_id in pending:
                try:
                    creators[self.template.resources[logical_id]["Type"]](logical_id)
                except TemplateError as error:
                    if "not created yet" not in str(error):
                        raise
                    waiting.append(logical_id)
                    last_error = error
            if len(waiting) == len(pending):
                raise TemplateError(f"cannot order the creation of {waiting}: {last_error}")
            pending = waiting
        for logical_id in self.template.of_type("AWS::Serverless::Function"):
            self.resources.functions[logical_id] = self.template.function(logical_id)

    def _record_known_names(self) -> None:
        """Names that do not depend on creation, so that any resource can refer to them in any order."""
        t, region, account = self.template, self.template.region, self.template.account_id
        for logical_id, resource in t.resources.items():
            kind = resource.get("Type", "")
            if kind == "AWS::S3::Bucket":
                name = t.physical_name(logical_id)
                t.record(
                    logical_id,
                    name,
                    Arn=f"arn:aws:s3:::{name}",
                    DomainName=f"{name}.s3.amazonaws.com",
                    RegionalDomainName=f"{name}.s3.{region}.amazonaws.com",
                    DualStackDomainName=f"{name}.s3.dualstack.{region}.amazonaws.com",
                    WebsiteURL=f"http://{name}.s3-website.{region}.amazonaws.com",
                )
            elif kind in ("AWS::DynamoDB::Table", "AWS::Serverless::SimpleTable"):
                name = t.physical_name(logical_id)
                arn = f"arn:aws:dynamodb:{region}:{account}:table/{name}"
                t.record(logical_id, name, Arn=arn, StreamArn=f"{arn}/stream/local")
            elif kind == "AWS::SQS::Queue":
                fifo = _truthy(t.resolve((resource.get("Properties") or {}).get("FifoQueue", False)))
                name = t.physical_name(logical_id, fifo=fifo)
                # Ref (the URL) is recorded once the queue exists: it depends on the endpoint.
                t.physical[logical_id] = {"Arn": f"arn:aws:sqs:{region}:{account}:{name}", "QueueName": name}
            elif kind == "AWS::Serverless::Function":
                name = t.physical_name(logical_id)
                t.record(logical_id, name, Arn=f"arn:aws:lambda:{region}:{account}:function:{name}")
                role = f"{logical_id}Role"  # the role SAM generates for a function without Role
                t.record(role, f"{name}-role", Arn=f"arn:aws:iam::{account}:role/{name}-role", RoleId=role)
            elif kind in ("AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api"):
                t.record(logical_id, "local", ApiEndpoint=self.api_url or "http://127.0.0.1", ApiId="local")
            elif kind not in _CREATED_TYPES:
                name = t.physical_name(logical_id)
                service = kind.split("::")[1].lower() if kind.count("::") >= 2 else "local"
                arn = f"arn:aws:{service}:{region}:{account}:{name}"
                t.record(logical_id, name, Arn=arn, Id=name, Name=name, _placeholder=True)
                self.resources.placeholders[logical_id] = kind
        if "ServerlessHttpApi" not in t.physical:  # SAM's implicit API when events name no ApiId
            t.record("ServerlessHttpApi", "local", ApiEndpoint=self.api_url or "http://127.0.0.1")

    # --- KMS ---------------------------------------------------------------------------------------------

    def kms_key(self, logical_id: str) -> None:
        raw = self.template.resources[logical_id].get("Properties") or {}
        # KeyPolicy names IAM principals that do not exist locally and moto does not enforce it: leave it out.
        props = self.template.resolve({k: v for k, v in raw.items() if k != "KeyPolicy"})
        kwargs: dict[str, Any] = {
            "KeyUsage": props.get("KeyUsage", "ENCRYPT_DECRYPT"),
            "KeySpec": props.get("KeySpec", "SYMMETRIC_DEFAULT"),
            "Description": props.get("Description", logical_id),
        }
        if props.get("Tags"):
            kwargs["Tags"] = [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in props["Tags"]]
        key = self.client("kms").create_key(**kwargs)["KeyMetadata"]
        if _truthy(props.get("EnableKeyRotation", False)) and kwargs["KeySpec"] == "SYMMETRIC_DEFAULT":
            self.client("kms").enable_key_rotation(KeyId=key["KeyId"])
        self.template.record(logical_id, key["KeyId"], Arn=key["Arn"], KeyId=key["KeyId"])
        self.resources.keys[logical_id] = key["KeyId"]

    def kms_alias(self, logical_id: str) -> None:
        props = self.template.properties(logical_id)
        self.client("kms").create_alias(AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"])
        self.template.record(logical_id, props["AliasName"])

    # --- SQS ---------------------------------------------------------------------------------------------

    def queue(self, logical_id: str) -> None:
        props = self.template.properties(logical_id)
        name = self.template.physical[logical_id]["QueueName"]
        attributes: dict[str, str] = {}
        for key, value in props.items():
            if key in ("QueueName", "Tags"):
                continue
            if key in ("RedrivePolicy", "RedriveAllowPolicy"):
                attributes[key] = json.dumps(value)
            else:
                attributes[key] = _attribute_string(value)
        if self.max_visibility is not None:
            timeout = int(attributes.get("VisibilityTimeout", 30))
            attributes["VisibilityTimeout"] = str(min(timeout, self.max_visibility))
        tags = {t["Key"]: t["Value"] for t in props.get("Tags", [])}
        extra = {"tags": tags} if tags else {}
        url = self.client("sqs").create_queue(QueueName=name, Attributes=attributes, **extra)["QueueUrl"]
        self.template.physical[logical_id]["Ref"] = url
        self.template.physical[logical_id]["QueueUrl"] = url
        self.resources.queues[logical_id] = url
        self.resources.queue_arns[logical_id] = self.template.physical[logical_id]["Arn"]

    def queue_policy(self, logical_id: str) -> None:
        props = self.template.properties(logical_id)
        for url in props["Queues"]:
            self.client("sqs").set_queue_attributes(
                QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])}
            )
        self.template.record(logical_id, f"{self.template.stack_name}-{logical_id}")

    # --- S3 ----------------------------------------------------------------------------------------------

    def bucket(self, logical_id: str) -> None:
        props = self.template.properties(logical_id)
        name = self.template.physical[logical_id]["Ref"]
        s3 = self.client("s3")
        create: dict[str, Any] = {"Bucket": name}
        if self.template.region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": self.template.region}
        if _truthy(props.get("ObjectLockEnabled", False)) or "ObjectLockConfiguration" in props:
            create["ObjectLockEnabledForBucket"] = True
        s3.create_bucket(**create)
        if "OwnershipControls" in props:
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
        if "PublicAccessBlockConfiguration" in props:
            s3.put_public_access_block(
                Bucket=name,
                PublicAccessBlockConfiguration={
                    k: _truthy(v) for k, v in props["PublicAccessBlockConfiguration"].items()
                },
            )
        if "VersioningConfiguration" in props:
            s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]}
            )
        if "BucketEncryption" in props:
            s3.put_bucket_encryption(
                Bucket=name, ServerSideEncryptionConfiguration=_encryption(props["BucketEncryption"])
            )
        if "ObjectLockConfiguration" in props:
            lock = dict(props["ObjectLockConfiguration"])
            lock.setdefault("ObjectLockEnabled", "Enabled")
            s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=_ints(lock))
        if "LifecycleConfiguration" in props:
            s3.put_bucket_lifecycle_configuration(
                Bucket=name, LifecycleConfiguration=_lifecycle(props["LifecycleConfiguration"])
            )
        if "CorsConfiguration" in props:
            s3.put_bucket_cors(Bucket=name, CORSConfiguration=_cors(props["CorsConfiguration"]))
        if props.get("Tags"):
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": props["Tags"]})
        if "NotificationConfiguration" in props:
            s3.put_bucket_notification_configuration(
                Bucket=name, NotificationConfiguration=_notifications(props["NotificationConfiguration"])
            )
        self.resources.buckets[logical_id] = name

    def bucket_policy(self, logical_id: str) -> None:
        props = self.template.properties(logical_id)
        policy = props["PolicyDocument"]
        self.resources.bucket_policies[props["Bucket"]] = policy
        # moto 5.2 treats a Deny whose Condition is not met as a Deny (so the TLS-only statement,
        # aws:SecureTransport=false, refuses every PutObject). AWS ignores such a statement for a request that
        # does not match it, so the local bucket holds the policy without its conditional Deny statements;
        # the full policy is in Resources.bucket_policies.
        statements = policy.get("Statement") or []
        statements = statements if isinstance(statements, list) else [statements]
        held = [s for s in statements if not (s.get("Effect") == "Deny" and s.get("Condition"))]
        if held:
            self.client("s3").put_bucket_policy(
                Bucket=props["Bucket"], Policy=json.dumps({**policy, "Statement": held})
            )
        self.template.record(logical_id, f"{self.template.stack_name}-{logical_id}")

    # --- DynamoDB ----------------------------------------------------------------------------------------

    def table(self, logical_id: str) -> None:
        props = self.template.properties(logical_id)
        name = self.template.physical[logical_id]["Ref"]
        kwargs: dict[str, Any] = {
            "TableName": name,
            "KeySchema": props["KeySchema"],
            "AttributeDefinitions": props["AttributeDefinitions"],
        }
        provisioned = props.get("ProvisionedThroughput")
        if provisioned:
            kwargs["BillingMode"] = "PROVISIONED"
            kwargs["ProvisionedThroughput"] = _ints(provisioned)
        else:
            kwargs["BillingMode"] = props.get("BillingMode", "PAY_PER_REQUEST")
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if props.get(key):
                kwargs[key] = [_ints(index) for index in props[key]]
        if "StreamSpecification" in props:
            kwargs["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if "SSESpecification" in props:
            sse = props["SSESpecification"]
            kwargs["SSESpecification"] = {
                "Enabled": _truthy(sse.get("SSEEnabled", False)),
                **({"SSEType": sse["SSEType"]} if "SSEType" in sse else {}),
                **({"KMSMasterKeyId": sse["KMSMasterKeyId"]} if "KMSMasterKeyId" in sse else {}),
            }
        if props.get("Tags"):
            kwargs["Tags"] = props["Tags"]
        if "DeletionProtectionEnabled" in props:
            kwargs["DeletionProtectionEnabled"] = _truthy(props["DeletionProtectionEnabled"])
        dynamodb = self.client("dynamodb")
        dynamodb.create_table(**kwargs)
        ttl = props.get("TimeToLiveSpecification")
        if ttl and _truthy(ttl.get("Enabled", False)):
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
            )
        pitr = props.get("PointInTimeRecoverySpecification")
        if pitr:
            dynamodb.update_continuous_backups(
                TableName=name,
                PointInTimeRecoverySpecification={
                    "PointInTimeRecoveryEnabled": _truthy(pitr.get("PointInTimeRecoveryEnabled", False))
                },
            )
        self.resources.tables[logical_id] = name

    def simple_table(self, logical_id: str) -> None:
        props = self.template.properties(logical_id)
        key = props.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        kind = {"String": "S", "Number": "N", "Binary": "B"}[key.get("Type", "String")]
        name = self.template.physical[logical_id]["Ref"]
        self.client("dynamodb").create_table(
            TableName=name,
            KeySchema=[{"AttributeName": key["Name"], "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": key["Name"], "AttributeType": kind}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.resources.tables[logical_id] = name

    # --- Cognito -----------------------------------------------------------------------------------------

    def user_pool(self, logical_id: str) -> None:
        props = self.template.properties(logical_id)
        kwargs: dict[str, Any] = {"PoolName": props.get("UserPoolName", self.template.physical_name(logical_id))}
        if props.get("Schema"):
            kwargs["Schema"] = [_cognito_attribute(a) for a in props["Schema"]]
        for key in ("UsernameAttributes", "AliasAttributes", "AutoVerifiedAttributes"):
            if props.get(key):
                kwargs[key] = props[key]
        pool = self.client("cognito-idp").create_user_pool(**kwargs)["UserPool"]
        provider = f"cognito-idp.{self.template.region}.amazonaws.com/{pool['Id']}"
        self.template.record(
            logical_id, pool["Id"], Arn=pool["Arn"], ProviderName=provider, ProviderURL=f"https://{provider}"
        )
        self.resources.user_pools[logical_id] = pool["Id"]

    def user_pool_client(self, logical_id: str) -> None:
        props = self.template.properties(logical_id)
        kwargs: dict[str, Any] = {
            "UserPoolId": props["UserPoolId"],
            "ClientName": props.get("ClientName", logical_id),
            "GenerateSecret": _truthy(props.get("GenerateSecret", False)),
        }
        if props.get("ExplicitAuthFlows"):
            kwargs["ExplicitAuthFlows"] = props["ExplicitAuthFlows"]
        client = self.client("cognito-idp").create_user_pool_client(**kwargs)["UserPoolClient"]
        self.template.record(logical_id, client["ClientId"], ClientId=client["ClientId"])
        self.resources.user_pool_clients[logical_id] = client["ClientId"]


_CREATED_TYPES = {
    "AWS::KMS::Key",
    "AWS::KMS::Alias",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::DynamoDB::Table",
    "AWS::Serverless::SimpleTable",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Serverless::Function",
    "AWS::Serverless::HttpApi",
    "AWS::ApiGatewayV2::Api",
}


# --- CloudFormation schema -> service API ----------------------------------------------------------------------


def _truthy(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _attribute_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _ints(value: Any) -> Any:
    """CloudFormation accepts "5" where the API wants 5: convert digit strings found in nested dicts."""
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _encryption(config: dict[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in config.get("ServerSideEncryptionConfiguration", []):
        out: dict[str, Any] = {}
        if "ServerSideEncryptionByDefault" in rule:
            out["ApplyServerSideEncryptionByDefault"] = rule["ServerSideEncryptionByDefault"]
        if "BucketKeyEnabled" in rule:
            out["BucketKeyEnabled"] = _truthy(rule["BucketKeyEnabled"])
        rules.append(out)
    return {"Rules": rules}


def _lifecycle(config: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's flat lifecycle rule (ExpirationInDays, ExpiredObjectDeleteMarker, …) as the S3 API's."""
    rules = []
    for rule in config.get("Rules", []):
        out: dict[str, Any] = {"Status": rule.get("Status", "Enabled")}
        if "Id" in rule:
            out["ID"] = rule["Id"]
        conditions: list[dict[str, Any]] = []
        if "Prefix" in rule:
            conditions.append({"Prefix": rule["Prefix"]})
        conditions += [{"Tag": {"Key": t["Key"], "Value": t["Value"]}} for t in rule.get("TagFilters", [])]
        for size in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
            if size in rule:
                conditions.append({size: int(rule[size])})
        if len(conditions) > 1:
            merged: dict[str, Any] = {}
            for condition in conditions:
                if "Tag" in condition:
                    merged.setdefault("Tags", []).append(condition["Tag"])
                else:
                    merged.update(condition)
            out["Filter"] = {"And": merged}
        else:
            out["Filter"] = conditions[0] if conditions else {"Prefix": ""}
        expiration: dict[str, Any] = {}
        if "ExpirationInDays" in rule:
            expiration["Days"] = int(rule["ExpirationInDays"])
        if "ExpirationDate" in rule:
            expiration["Date"] = rule["ExpirationDate"]
        if "ExpiredObjectDeleteMarker" in rule:
            expiration["ExpiredObjectDeleteMarker"] = _truthy(rule["ExpiredObjectDeleteMarker"])
        if expiration:
            out["Expiration"] = expiration
        noncurrent = dict(rule.get("NoncurrentVersionExpiration") or {})
        if "NoncurrentVersionExpirationInDays" in rule:
            noncurrent["NoncurrentDays"] = rule["NoncurrentVersionExpirationInDays"]
        if noncurrent:
            out["NoncurrentVersionExpiration"] = _ints(noncurrent)
        if "AbortIncompleteMultipartUpload" in rule:
            out["AbortIncompleteMultipartUpload"] = _ints(rule["AbortIncompleteMultipartUpload"])
        transitions = [
            {"StorageClass": t["StorageClass"], **{k: _ints(v) for k, v in t.items() if k != "StorageClass"}}
            for t in rule.get("Transitions", [])
        ]
        if "Transition" in rule:
            transitions.append(_ints(rule["Transition"]))
        if transitions:
            renamed = {"TransitionInDays": "Days", "TransitionDate": "Date"}
            out["Transitions"] = [{renamed.get(k, k): v for k, v in t.items()} for t in transitions]
        rules.append(out)
    return {"Rules": rules}


def _cors(config: dict[str, Any]) -> dict[str, Any]:
    renamed = {"Id": "ID", "ExposedHeaders": "ExposeHeaders", "MaxAge": "MaxAgeSeconds"}
    return {
        "CORSRules": [
            {renamed.get(k, k): (int(v) if k == "MaxAge" else v) for k, v in rule.items()}
            for rule in config.get("CorsRules", [])
        ]
    }


def _filter(config: dict[str, Any]) -> dict[str, Any]:
    rules = ((config.get("Filter") or {}).get("S3Key") or {}).get("Rules") or []
    return {"Filter": {"Key": {"FilterRules": rules}}} if rules else {}


def _notifications(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    queues = config.get("QueueConfigurations") or []
    if queues:
        out["QueueConfigurations"] = [{"QueueArn": q["Queue"], "Events": [q["Event"]], **_filter(q)} for q in queues]
    topics = config.get("TopicConfigurations") or []
    if topics:
        out["TopicConfigurations"] = [{"TopicArn": t["Topic"], "Events": [t["Event"]], **_filter(t)} for t in topics]
    if config.get("EventBridgeConfiguration"):
        out["EventBridgeConfiguration"] = {}
    # LambdaConfigurations: the local stack feeds functions from queues only (the design is S3 -> SQS -> Lambda).
    return out


def _cognito_attribute(attribute: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in attribute.items() if k not in ("Mutable", "Required")}
    for flag in ("Mutable", "Required"):
        if flag in attribute:
            out[flag] = _truthy(attribute[flag])
    for constraints in ("StringAttributeConstraints", "NumberAttributeConstraints"):
        if constraints in out:
            out[constraints] = {k: str(v) for k, v in out[constraints].items()}
    return out
