"""Which stack a research-team command talks to: the file `tfnis serve --tokens-file` writes, or the
environment as it is (AWS credentials and the resource names template.yaml gives the functions)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def use_stack_file(path: Path) -> None:
    """Point this process at the stack the file describes (its endpoint and its functions' environment)."""
    stack = json.loads(path.read_text(encoding="utf-8"))
    environment = stack["environment"]
    if not isinstance(environment, dict):
        raise ValueError('"environment" is not an object')
    os.environ.update({str(k): str(v) for k, v in environment.items()})
    if stack.get("aws"):
        os.environ["AWS_ENDPOINT_URL"] = stack["aws"]
        # The embedded stack (moto) takes any credentials; never send real ones to it.
        os.environ["AWS_ACCESS_KEY_ID"] = os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
        os.environ.pop("AWS_SESSION_TOKEN", None)
    if stack.get("region"):
        os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = stack["region"]


def point_at_stack(path: Path | None, command: str) -> bool:
    """Use the stack file if one was given; False (after saying why on stderr) when it cannot be used."""
    if path is None:
        return True
    try:
        use_stack_file(path)
    except (OSError, ValueError, KeyError) as error:
        print(f"tfnis {command}: cannot use {path}: {error}", file=sys.stderr)
        return False
    return True
