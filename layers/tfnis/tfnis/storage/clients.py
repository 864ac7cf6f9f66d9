"""Lazily created boto3 clients, so moto (in-process or server) sees them; AWS_ENDPOINT_URL is honoured."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, signature_version="s3v4")


@cache
def _client(service: str, endpoint: str | None, region: str | None) -> Any:
    return boto3.client(service, config=_CONFIG, region_name=region)


def client(service: str) -> Any:
    """A client per service, endpoint and region; created on first use, not at import."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-2"
    return _client(service, os.environ.get("AWS_ENDPOINT_URL"), region)


@cache
def _resource(service: str, endpoint: str | None, region: str | None) -> Any:
    return boto3.resource(service, config=_CONFIG, region_name=region)


def resource(service: str) -> Any:
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-2"
    return _resource(service, os.environ.get("AWS_ENDPOINT_URL"), region)


def reset_clients() -> None:
    """Forget cached clients (tests that start a new moto)."""
    _client.cache_clear()
    _resource.cache_clear()
