"""Enforce S3 pre-signed POST policies in front of moto, which accepts any browser-based upload.

A council uploads each file by a multipart POST to a pre-signed URL whose policy pins the key, caps the
size (content-length-range) and expires. S3 refuses an upload that breaks it; moto does not, so this WSGI
middleware checks, as S3 does, before moto sees the request: the signature (SigV4 over the policy), the
expiry, every condition, and that every form field is covered by a condition. Errors are S3's XML errors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Fields S3 does not require a condition for (case-insensitive); x-ignore-* neither.
_UNCONDITIONED = {"policy", "x-amz-signature", "file", "signature", "awsaccesskeyid"}


class PolicyViolation(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def signing_key(secret: str, date: str, region: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def check_post(
    bucket: str,
    fields: Mapping[str, str],
    file_name: str | None,
    file_size: int,
    secrets: Mapping[str, str],
    now: datetime | None = None,
) -> None:
    """Raise PolicyViolation where S3 would refuse this POST upload; fields are the form's, names as sent."""
    lower = {k.lower(): v for k, v in fields.items()}
    encoded = lower.get("policy")
    if encoded is None:
        return  # an unsigned POST: moto's own rules apply
    _check_signature(encoded, lower, secrets)
    try:
        policy = json.loads(base64.b64decode(encoded))
    except ValueError:
        raise PolicyViolation(400, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.") from None
    expiration = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    if (now or datetime.now(UTC)) > expiration:
        raise PolicyViolation(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    values = dict(lower, bucket=bucket)
    if "key" in values and file_name is not None:
        values["key"] = values["key"].replace("${filename}", file_name)
    covered: set[str] = set()
    for condition in policy.get("conditions", []):
        covered |= _check_condition(condition, values, file_size)
    uncovered = [
        name
        for name in lower
        if name not in covered and name not in _UNCONDITIONED and not name.startswith("x-ignore-")
    ]
    if uncovered:
        raise PolicyViolation(
            403,
            "AccessDenied",
            f"Invalid according to Policy: Extra input fields: {', '.join(sorted(uncovered))}",
        )


def _check_signature(encoded: str, fields: Mapping[str, str], secrets: Mapping[str, str]) -> None:
    credential = fields.get("x-amz-credential", "")
    parts = credential.split("/")
    if len(parts) != 5 or "x-amz-signature" not in fields:
        raise PolicyViolation(400, "InvalidArgument", "POST requires x-amz-credential and x-amz-signature")
    access_key, date, region = parts[0], parts[1], parts[2]
    secret = secrets.get(access_key)
    if secret is None:
        raise PolicyViolation(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist.")
    expected = hmac.new(signing_key(secret, date, region), encoded.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["x-amz-signature"]):
        raise PolicyViolation(
            403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature"
        )


def _check_condition(condition: Any, values: Mapping[str, str], file_size: int) -> set[str]:
    """Check one policy condition; return the field names it covers."""
    if isinstance(condition, dict):
        ((name, expected),) = condition.items()
        _require(values.get(name.lower()) == str(expected), condition)
        return {name.lower()}
    operator, *arguments = condition
    operator = str(operator).lower()
    if operator == "content-length-range":
        low, high = (int(a) for a in arguments)
        if file_size > high:
            raise PolicyViolation(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
        if file_size < low:
            raise PolicyViolation(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum size")
        return set()
    name = str(arguments[0]).lstrip("$").lower()
    actual = values.get(name, "")
    if operator == "eq":
        _require(actual == str(arguments[1]), condition)
    elif operator == "starts-with":
        _require(actual.startswith(str(arguments[1])), condition)
    else:
        raise PolicyViolation(400, "InvalidPolicyDocument", f"Invalid Policy: unknown operator {operator}")
    return {name}


def _require(holds: bool, condition: Any) -> None:
    if not holds:
        raise PolicyViolation(
            403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
        )


class PostPolicyCheck:
    """WSGI middleware: POSTs to a bucket carrying a policy are checked before moto handles them."""

    def __init__(self, app: WsgiApp, secrets: Mapping[str, str]):
        self.app = app
        self.secrets = dict(secrets)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        content_type = environ.get("CONTENT_TYPE", "")
        bucket = _bucket_of(environ)
        if environ.get("REQUEST_METHOD") != "POST" or not content_type.startswith("multipart/form-data") or not bucket:
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else environ["wsgi.input"].read()
        try:
            fields, file_name, file_size = _form(environ, body)
            check_post(bucket, fields, file_name, file_size, self.secrets)
        except PolicyViolation as violation:
            payload = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{violation.code}</Code><Message>{escape(violation.message)}</Message></Error>"
            ).encode()
            start_response(
                f"{violation.status} {'Forbidden' if violation.status == 403 else 'Bad Request'}",
                [("Content-Type", "application/xml"), ("Content-Length", str(len(payload)))],
            )
            return [payload]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)


def _bucket_of(environ: Mapping[str, Any]) -> str | None:
    """The bucket a POST targets: /bucket (path style) or bucket.<host> (virtual-hosted style)."""
    path = environ.get("PATH_INFO", "/").strip("/")
    if path and "/" not in path:
        return path
    host = str(environ.get("HTTP_HOST", "")).split(":")[0]
    if not path and ".s3." in f".{host}" and not host.startswith("s3."):
        return host.split(".")[0]
    return None


def _form(environ: Mapping[str, Any], body: bytes) -> tuple[dict[str, str], str | None, int]:
    from werkzeug.formparser import parse_form_data

    copy = dict(environ)
    copy["wsgi.input"] = io.BytesIO(body)
    copy["CONTENT_LENGTH"] = str(len(body))
    _, form, files = parse_form_data(copy)
    fields = {k: form[k] for k in form}
    upload = files.get("file")
    if upload is None:
        return fields, None, 0
    size = len(upload.stream.read())
    return fields, upload.filename, size
