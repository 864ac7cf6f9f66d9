"""Fixtures shared by every test layer: sample events, and AWS in moto created from template.yaml."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# No timing in tests: a loaded 2-core CI machine must not turn a slow example into a failure.
settings.register_profile("tfnis", deadline=None, print_blob=True)
settings.load_profile("tfnis")

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
DATA = Path(__file__).resolve().parent / "data"


def load_event(name: str) -> dict[str, Any]:
    """A sample event from events/ by file name (the same files `sam local invoke -e` takes)."""
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto in-process with every resource of template.yaml, and the functions' environment set."""
    from moto import mock_aws

    from tfnis.storage.clients import reset_clients
    from tfnis_local.provision import provision

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "eu-west-2",
        "AWS_REGION": "eu-west-2",
        "POWERTOOLS_METRICS_NAMESPACE": "tfnis-test",
        "POWERTOOLS_SERVICE_NAME": "tfnis",
        "POWERTOOLS_TRACE_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        resources = provision(ROOT / "template.yaml")
        for name, value in resources.environment().items():
            monkeypatch.setenv(name, value)
        reset_clients()
        yield resources
        reset_clients()


@pytest.fixture
def lambda_context() -> Any:
    from tfnis_local.lambdas import LambdaContext

    return LambdaContext(function_name="tfnis-test", timeout_s=60)


def load_function(resources: Any, logical_id: str) -> Any:
    """The handler module of one function, imported fresh so it reads this test's environment."""
    import importlib.util
    import sys

    function = resources.functions[logical_id]
    name = f"tfnis_test_fn_{logical_id}_{os.getpid()}_{id(resources)}"
    spec = importlib.util.spec_from_file_location(name, function.module_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    saved = dict(os.environ)
    os.environ.update(function.environment)  # module-level settings read the function's own values, as on Lambda
    try:
        spec.loader.exec_module(module)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    # Powertools loggers of one service share a process-wide logging.Logger whose level the first one set
    # (a local stack sets WARNING); tests read a handler's INFO lines, e.g. to scan them for identifiers.
    if hasattr(module, "logger"):
        module.logger.setLevel("INFO")
    return module
