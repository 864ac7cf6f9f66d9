"""Each function's environment in the local stack, where every function runs in one process."""

from __future__ import annotations

import logging
import os

import pytest


def test_each_function_has_its_own_dead_letter_queue_url_and_the_stack_does_not_warn(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A variable that differs between functions is warned about (code reading it at call time would see one
    # value), except one that names each function's own resource by design: handlers read it through Settings at
    # import, with their own environment.
    from tfnis_local.stack import LocalStack

    own = {
        "ValidateFunction": "UploadDLQ",
        "CoverageFunction": "CoverageDLQ",
        "MatchFunction": "MatchDLQ",
        "AnonymiseFunction": "AnonymiseDLQ",
    }
    # Stage prod: KMS aliases are named by Stage, and another stack of this process may hold dev's.
    with (
        caplog.at_level(logging.WARNING),
        LocalStack(stack_name=f"tfnis-dlq-{os.getpid()}", parameters={"Stage": "prod"}) as stack,
    ):
        assert stack.resources is not None
        for function, dlq in own.items():
            environment = stack.resources.functions[function].environment
            assert environment["DEAD_LETTER_QUEUE_URL"] == stack.resources.queues[dlq], function
    assert "DEAD_LETTER_QUEUE_URL" not in caplog.text
