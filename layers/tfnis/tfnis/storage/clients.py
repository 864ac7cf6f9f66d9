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


def _where() -> tuple[str | None, str]:
    """The endpoint (moto, when set) and region the environment names now."""
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "eu-west-2"
    return os.environ.get("AWS_ENDPOINT_URL"), region


def client(service: str) -> Any:
    """A client per service, endpoint and region; created on first use, not at import."""
    return _client(service, *_where())


@cache
def _resource(service: str, endpoint: str | None, region: str | None) -> Any:
    return boto3.resource(service, config=_CONFIG, region_name=region)


def resource(service: str) -> Any:
    return _resource(service, *_where())


def reset_clients() -> None:
    """Forget cached clients (tests that start a new moto)."""
    _client.cache_clear()
    _resource.cache_clear()
