"""Lazily created boto3 clients, so moto (in-process or server) sees them; AWS_ENDPOINT_URL is honoured."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, signature_version="s3v4")
# On AWS, S3 URLs name the bucket's region (https://BUCKET.s3.REGION.amazonaws.com). botocore's default signs
# pre-signed POSTs and GETs for the global host (BUCKET.s3.amazonaws.com), which S3 answers with a 307 redirect
# to the regional one for a bucket less than a day or so old, and a browser aborts a redirected multipart
# upload. Virtual-hosted addressing makes botocore build the regional host. Against a local endpoint (moto on
# 127.0.0.1) path style stays: a bucket cannot be a subdomain of an IP address.
_AWS_S3_CONFIG = _CONFIG.merge(Config(s3={"addressing_style": "virtual"}))


def _config(service: str, endpoint: str | None) -> Config:
    return _AWS_S3_CONFIG if service == "s3" and endpoint is None else _CONFIG


@cache
def _client(service: str, endpoint: str | None, region: str | None) -> Any:
    return boto3.client(service, config=_config(service, endpoint), region_name=region)


def _where() -> tuple[str | None, str]:
    """The endpoint (moto, when set) and region the environment names now."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-2"
    return os.environ.get("AWS_ENDPOINT_URL") or None, region


def client(service: str) -> Any:
    """A client per service, endpoint and region; created on first use, not at import."""
    return _client(service, *_where())


@cache
def _resource(service: str, endpoint: str | None, region: str | None) -> Any:
    return boto3.resource(service, config=_config(service, endpoint), region_name=region)


def resource(service: str) -> Any:
    return _resource(service, *_where())


def reset_clients() -> None:
    """Forget cached clients (tests that start a new moto)."""
    _client.cache_clear()
    _resource.cache_clear()
