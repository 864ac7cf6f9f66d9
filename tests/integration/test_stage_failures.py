"""A stage that crashes on a readable message: reported for retry, never raised, its message never logged.

Powertools raises BatchProcessingError when a whole batch fails (every failure, with BatchSize 1), and its text
quotes the original errors; the Lambda runtime would log that text. The handlers report the failure instead.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.conftest import load_event, load_function
from tfnis.storage import SubmissionTable
from tfnis.submissions import Submission, SubmissionStatus

EVENTS = {"MatchFunction": "sqs_match.json", "CoverageFunction": "sqs_coverage.json"}


@pytest.mark.parametrize("function", list(EVENTS))
def test_a_crash_on_every_record_is_reported_not_raised_and_logged_without_its_message(
    aws: Any, table: SubmissionTable, lambda_context: Any, function: str, caplog: pytest.LogCaptureFixture
) -> None:
    event = load_event(EVENTS[function])
    named = json.loads(event["Records"][0]["body"])
    now = datetime.now(UTC)
    table.create(  # VALIDATED, but its identifiers and attributes files are missing: the stage crashes
        Submission(
            la_code=named["la_code"], submission_id=named["submission_id"], period_end=named["period_end"],
            status=SubmissionStatus.VALIDATED, files=["return.xlsx"], created_at=now, updated_at=now,
        )
    )  # fmt: skip
    module = load_function(aws, function)
    response = module.handler(event, lambda_context)
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["messageId"]}]}
    [failed] = [r for r in caplog.records if r.getMessage().endswith("failed")]
    assert failed.error_type == "NoSuchKey"  # type: ignore[attr-defined]
    assert "The specified key does not exist" not in caplog.text + json.dumps(
        [vars(r) for r in caplog.records], default=str
    )
