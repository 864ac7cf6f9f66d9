"""Run a template's functions in this process, the way the Lambda runtime would call them.

Each handler file is imported by path under a module name of its own (every function has an `app.py`), and
is called with the event and a context object carrying what handlers and Powertools read from it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tfnis_local.template import LocalFunction

Handler = Callable[[Any, Any], Any]

_import_lock = threading.Lock()


@dataclass
class LambdaContext:
    """The attributes of the Lambda runtime's context object that handlers use."""

    function_name: str
    memory_limit_in_mb: int = 128
    timeout_s: int = 3
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local"
    identity: Any = None
    client_context: Any = None
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def where_raised(error: BaseException) -> str:
    """file:line of the innermost frame, to point at a crash without echoing its message (which may quote data)."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"


def runtime_error_line(error: BaseException, request_id: str) -> str:
    """The line the python3.13 runtime writes to the function's log for an exception escaping the handler.

    As awslambdaric's bootstrap.handle_event_request does (JSON log format): make_error(str(value), type name,
    traceback.format_list(frames), invoke id) with a timestamp and level, frames of the runtime itself dropped.
    So an identifier in an exception's message reaches CloudWatch on AWS, and the log here, the same way.
    """
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename != __file__]
    return json.dumps(
        {
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "level": "ERROR",
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "requestId": request_id,
            "stackTrace": traceback.format_list(frames),
        }
    )


def module_name(function: LocalFunction) -> str:
    """One module per function and environment: handlers read their settings once, at import, as on Lambda,
    so a second stack in the same process (other resource names) must import its own copy."""
    environment = hashlib.sha256(json.dumps(function.environment, sort_keys=True).encode()).hexdigest()[:12]
    return f"tfnis_local_fn_{function.logical_id}_{environment}"


def load_handler(function: LocalFunction) -> Handler:
    """Import the function's handler file by path; sibling modules in its code directory import as on Lambda."""
    path = function.module_file
    if not path.exists():
        raise FileNotFoundError(f"{function.logical_id}: handler file {path} does not exist")
    name = module_name(function)
    with _import_lock:
        if name in sys.modules:
            module = sys.modules[name]
        else:
            spec = importlib.util.spec_from_file_location(name, path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            code_dir = str(function.code_dir)
            sys.path.insert(0, code_dir)  # Lambda puts the code directory first on the path
            try:
                sys.modules[name] = module
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(name, None)
                raise
            finally:
                if code_dir in sys.path:
                    sys.path.remove(code_dir)
    return getattr(module, function.handler_name)


@dataclass
class LocalLambda:
    """One function, loaded once and invoked many times with a fresh context per call.

    Invocations of one function run one at a time, as in a single Lambda execution environment: handler
    modules keep per-invocation state at module level (Powertools' resolver holds the current event), so two
    API requests served at once by threads must not share it. Different functions do run in parallel.
    """

    function: LocalFunction
    physical_name: str
    arn: str
    _handler: Handler | None = None
    _one_at_a_time: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def handler(self) -> Handler:
        if self._handler is None:
            self._handler = load_handler(self.function)
        return self._handler

    def context(self) -> LambdaContext:
        return LambdaContext(
            function_name=self.physical_name,
            memory_limit_in_mb=self.function.memory_mb,
            timeout_s=self.function.timeout_s,
            invoked_function_arn=self.arn,
        )

    def invoke(self, event: Any, context: LambdaContext | None = None) -> Any:
        """Call the handler; an exception escaping it is logged as the Lambda runtime logs it, then raised."""
        context = context or self.context()
        with self._one_at_a_time:
            try:
                return self.handler(event, context)
            except Exception as error:
                # stdout, where the runtime's log sink and the handlers' Powertools loggers write
                sys.stdout.write(runtime_error_line(error, context.aws_request_id) + "\n")
                sys.stdout.flush()
                raise
