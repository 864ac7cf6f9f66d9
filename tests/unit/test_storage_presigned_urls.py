"""Pre-signed URLs as AWS answers them: the regional virtual-hosted host, and the SSE-KMS key of the uploads.

S3 answers a request to the global host (BUCKET.s3.amazonaws.com) for a bucket outside us-east-1 with a 307
redirect to BUCKET.s3.REGION.amazonaws.com while the bucket is new, and a browser aborts a redirected POST of
a file; moto answers either host. Signing needs credentials but no network, so these run without moto.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tfnis.storage import Settings, Store
from tfnis.storage.clients import reset_clients

BUCKET = "tfnis-dev-upload-123456789012-eu-west-2"
KEY = "uploads/E08000025/0b6f3c1e-5d2a-4f7e-9a41-2f1d8c7e6b50/individuals.csv"
IDENTIFIER_KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A Lambda's environment in eu-west-2: credentials, a region and no local endpoint."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-2")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    reset_clients()
    yield
    reset_clients()


def _store() -> Store:
    return Store(Settings(upload_bucket=BUCKET, identifier_key_id=IDENTIFIER_KEY, data_key_id="data-key"))


def test_presigned_post_names_the_regional_host_that_s3_does_not_redirect(aws_environment: None) -> None:
    post = _store().presigned_post(BUCKET, KEY, max_bytes=1024, expires_in=900)
    assert urlsplit(post["url"]).hostname == f"{BUCKET}.s3.eu-west-2.amazonaws.com"


def test_presigned_get_names_the_regional_host_that_s3_does_not_redirect(aws_environment: None) -> None:
    url = _store().presigned_get(BUCKET, "reports/E08000025/x/validation.html", expires_in=300)
    assert urlsplit(url).hostname == f"{BUCKET}.s3.eu-west-2.amazonaws.com"


def test_presigned_post_encrypts_the_upload_with_the_identifier_key(aws_environment: None) -> None:
    fields = _store().presigned_post(BUCKET, KEY, max_bytes=1024, expires_in=900)["fields"]
    assert fields["x-amz-server-side-encryption"] == "aws:kms"
    assert fields["x-amz-server-side-encryption-aws-kms-key-id"] == IDENTIFIER_KEY


def test_a_local_endpoint_keeps_path_style_urls(aws_environment: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # moto on 127.0.0.1: a bucket cannot be a subdomain of an IP address.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5123")
    reset_clients()
    url = urlsplit(_store().presigned_post(BUCKET, KEY, max_bytes=1024, expires_in=900)["url"])
    assert (url.netloc, url.path.strip("/")) == ("127.0.0.1:5123", BUCKET)
