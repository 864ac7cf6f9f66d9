"""Buckets, queues and keys behind one small typed interface; the pipeline never sees boto3."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from tfnis.storage.clients import client
from tfnis.storage.parquet import frame_from_parquet, frame_to_parquet
from tfnis.storage.settings import Settings

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Store:
    settings: Settings

    @classmethod
    def from_env(cls) -> Store:
        return cls(Settings.from_env())

    # --- objects ------------------------------------------------------------------------------------------
    def put_bytes(
        self, bucket: str, key: str, body: bytes, content_type: str = "application/octet-stream", kms_key_id: str = ""
    ) -> None:
        """Put an object; with kms_key_id it is encrypted under that key instead of the bucket's default."""
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
        client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, **extra)

    def put_text(self, bucket: str, key: str, text: str, content_type: str = "text/plain; charset=utf-8") -> None:
        self.put_bytes(bucket, key, text.encode("utf-8"), content_type)

    def put_json(self, bucket: str, key: str, document: Any) -> None:
        self.put_bytes(bucket, key, json.dumps(document, indent=2, default=str).encode(), "application/json")

    def get_bytes(self, bucket: str, key: str) -> bytes:
        return client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()

    def get_json(self, bucket: str, key: str) -> Any:
        return json.loads(self.get_bytes(bucket, key))

    def download(self, bucket: str, key: str, path: Path, version_id: str | None = None) -> Path:
        """The object (that version, when given: the one an event named, not whatever is latest now)."""
        extra = {"VersionId": version_id} if version_id else None
        client("s3").download_file(bucket, key, str(path), ExtraArgs=extra)
        return path

    def get_json_tagged(self, bucket: str, key: str) -> tuple[Any, str] | None:
        """The document and its ETag (for a conditional replace), or None when there is none."""
        try:
            response = client("s3").get_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return json.loads(response["Body"].read()), str(response["ETag"])

    def put_json_if(self, bucket: str, key: str, document: Any, etag: str | None) -> bool:
        """Write only if the object is still the one read (etag), or still absent (None); False if it changed."""
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        body = json.dumps(document, indent=2, default=str).encode()
        try:
            client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", **condition)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                return False
            raise
        return True

    def head(self, bucket: str, key: str) -> dict[str, Any] | None:
        """The object's metadata, or None when it does not exist."""
        try:
            return client("s3").head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            if error.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        paginator = client("s3").get_paginator("list_objects_v2")
        return [o["Key"] for page in paginator.paginate(Bucket=bucket, Prefix=prefix) for o in page.get("Contents", [])]

    def list_etags(self, bucket: str, prefix: str) -> dict[str, str]:
        """Key → ETag of every current object under prefix: what changed between two listings."""
        paginator = client("s3").get_paginator("list_objects_v2")
        return {
            o["Key"]: o["ETag"]
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
            for o in page.get("Contents", [])
        }

    def put_frame(self, bucket: str, key: str, frame: pd.DataFrame) -> None:
        self.put_bytes(bucket, key, frame_to_parquet(frame), "application/vnd.apache.parquet")

    def get_frame(self, bucket: str, key: str) -> pd.DataFrame:
        return frame_from_parquet(self.get_bytes(bucket, key))

    def delete_all_versions(self, bucket: str, prefix: str = "") -> dict[str, int]:
        """Delete every version and delete marker under prefix; counts of each, never the keys' contents."""
        s3 = client("s3")
        counts = {"versions": 0, "delete_markers": 0}
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            batch = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", [])] + [
                {"Key": m["Key"], "VersionId": m["VersionId"]} for m in page.get("DeleteMarkers", [])
            ]
            counts["versions"] += len(page.get("Versions", []))
            counts["delete_markers"] += len(page.get("DeleteMarkers", []))
            for start in range(0, len(batch), 1000):
                if batch[start : start + 1000]:
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": batch[start : start + 1000], "Quiet": True})
        return counts

    def version_keys(self, bucket: str, prefix: str = "") -> list[str]:
        """The distinct keys under prefix that hold any version or delete marker, sorted."""
        keys: set[str] = set()
        for page in client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            keys.update(v["Key"] for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])])
        return sorted(keys)

    def delete_version(self, bucket: str, key: str, version_id: str | None) -> None:
        """Delete one object version (every version of the key when the event named none)."""
        if version_id:
            client("s3").delete_object(Bucket=bucket, Key=key, VersionId=version_id)
        else:
            self.delete_all_versions(bucket, key)

    def count_versions(self, bucket: str, prefix: str = "") -> int:
        """Object versions plus delete markers still held under prefix."""
        total = 0
        for page in client("s3").get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            total += len(page.get("Versions", [])) + len(page.get("DeleteMarkers", []))
        return total

    # --- pre-signed URLs ----------------------------------------------------------------------------------
    def presigned_post(self, bucket: str, key: str, max_bytes: int, expires_in: int) -> dict[str, Any]:
        """A browser-style POST pinned to one key, capped in size, short-lived, encrypted with IdentifierKey.

        With SSE-KMS the uploader's PutObject runs with the signer's permissions, so the signing role needs
        kms:GenerateDataKey on the key (not kms:Decrypt: a single-part upload never decrypts)."""
        fields: dict[str, str] = {"x-amz-server-side-encryption": "aws:kms"}
        conditions: list[Any] = [
            {"bucket": bucket},
            ["eq", "$key", key],
            ["content-length-range", 1, max_bytes],
            {"x-amz-server-side-encryption": "aws:kms"},
        ]
        if self.settings.identifier_key_id:
            fields["x-amz-server-side-encryption-aws-kms-key-id"] = self.settings.identifier_key_id
            conditions.append({"x-amz-server-side-encryption-aws-kms-key-id": self.settings.identifier_key_id})
        return client("s3").generate_presigned_post(
            Bucket=bucket, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
        )

    def presigned_get(self, bucket: str, key: str, expires_in: int) -> str:
        return client("s3").generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=expires_in
        )

    # --- queues -------------------------------------------------------------------------------------------
    def send(
        self, queue_url: str, message: dict[str, Any], group_id: str | None = None, delay_seconds: int = 0
    ) -> None:
        """Send a stage message; FIFO queues get a group (matching is serial) and a deduplication id.

        delay_seconds (standard queues only; SQS caps it at 900) hides the message until then.
        """
        body = json.dumps(message, sort_keys=True, default=str)
        extra: dict[str, Any] = {"DelaySeconds": max(0, min(900, delay_seconds))} if delay_seconds else {}
        if queue_url.endswith(".fifo"):
            extra = {
                **extra,
                "MessageGroupId": group_id or "default",
                "MessageDeduplicationId": str(uuid.uuid5(uuid.NAMESPACE_URL, body)),
            }
        client("sqs").send_message(QueueUrl=queue_url, MessageBody=body, **extra)

    def send_dead_letter(self, body: str, *, problem: str, message_id: str, group_id: str | None = None) -> None:
        """Put a message's original body in this function's DLQ (a FIFO one needs a group and a dedup id: the
        message id, so a redelivery of the same message is sent once). `problem` must hold no value."""
        queue_url = self.settings.dead_letter_queue_url
        if not queue_url:
            raise RuntimeError("DEAD_LETTER_QUEUE_URL is not set")
        extra: dict[str, str] = {}
        if queue_url.endswith(".fifo"):
            extra = {"MessageGroupId": group_id or "default", "MessageDeduplicationId": message_id}
        client("sqs").send_message(
            QueueUrl=queue_url,
            MessageBody=body,
            MessageAttributes={
                "problem": {"DataType": "String", "StringValue": problem[:1000]},
                "source_message_id": {"DataType": "String", "StringValue": message_id},
            },
            **extra,
        )

    # --- keys ---------------------------------------------------------------------------------------------
    def generate_mac(self, message: bytes) -> bytes:
        """HMAC-SHA256 under the project's pseudonymisation key, computed inside KMS (the key never leaves)."""
        response = client("kms").generate_mac(
            KeyId=self.settings.pseudonym_key_id, Message=message, MacAlgorithm="HMAC_SHA_256"
        )
        return response["Mac"]

    def sign(self, key_id: str, message: bytes) -> dict[str, str]:
        """An ECDSA P-256 / SHA-256 signature of message by an asymmetric KMS key (the private key never leaves
        KMS), with the key's public key as PEM so anyone can verify it offline. Returns {"key_id", "algorithm",
        "signature" (base64), "public_key_pem"}."""
        import base64
        import textwrap

        kms = client("kms")
        algorithm = "ECDSA_SHA_256"
        signed = kms.sign(KeyId=key_id, Message=message, MessageType="RAW", SigningAlgorithm=algorithm)
        public = kms.get_public_key(KeyId=key_id)
        body = "\n".join(textwrap.wrap(base64.b64encode(public["PublicKey"]).decode(), 64))
        return {
            "key_id": public["KeyId"],
            "algorithm": algorithm,
            "signature": base64.b64encode(signed["Signature"]).decode(),
            "public_key_pem": f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n",
        }

    def schedule_key_deletion(self, key_id: str, pending_window_days: int = 7) -> dict[str, Any]:
        """Schedule a KMS key's deletion (7 days is KMS's minimum); a key already pending keeps its date.

        Returns {"key_id", "state", "deletion_date"}.
        """
        kms = client("kms")
        key_id = kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyId"]  # moto schedules by key id only, not ARN
        try:
            response = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=pending_window_days)
            deletion_date = response.get("DeletionDate")
        except ClientError as error:
            if error.response["Error"]["Code"] != "KMSInvalidStateException":
                raise
            deletion_date = None  # already pending deletion (a rerun of research end)
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        return {
            "key_id": metadata["KeyId"],
            "state": metadata["KeyState"],
            "deletion_date": metadata.get("DeletionDate") or deletion_date,
        }

    # --- audit log ----------------------------------------------------------------------------------------
    def audit(self, event: str, **details: Any) -> str:
        """Append one record (counts and codes, never values) to the audit log; returns its key."""
        now = datetime.now(UTC)
        key = f"audit/{now:%Y/%m/%d}/{now:%H%M%S%f}-{event}-{uuid.uuid4().hex[:8]}.json"
        self.put_json(self.settings.audit_bucket, key, {"event": event, "at": now.isoformat(), **details})
        return key
