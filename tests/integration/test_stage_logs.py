"""No identifier reaches a log through a stage's messages or exceptions, on the embedded stack.

Each stage gets messages whose fields hold identifier-like values; everything the functions write (their
Powertools lines and the lines the Lambda runtime writes for an exception escaping a handler, which the stack
writes the same way) is captured and searched. Its own module: it starts a stack of its own inside the test so
that every line lands in the capture, and it sets the shared `tfnis` logger to INFO.
"""

from __future__ import annotations

import json
import os

import pytest
import requests

NAME, DOB, NINO = "Zebedee Quartermaine", "1987-03-14", "QQ123456C"
IDENTIFIER_LIKE = (NAME, DOB, NINO, "Quartermaine", "QQ123456")


def stage_messages() -> list[str]:
    return [
        json.dumps({"la_code": NAME, "submission_id": NINO, "period_end": DOB}),
        json.dumps({"la_code": "E08000025", "submission_id": NINO, "period_end": "2025-03-31"}),
        json.dumps({"la_code": "E08000025", "submission_id": "20261124T210000-abcd1234", "period_end": DOB}),
        json.dumps({"la_code": "E08000025", "submission_id": "20261124T210000-abcd1234", "forename": NAME}),
        f"{NAME} born {DOB}, NINO {NINO}",
    ]


def upload_messages(bucket: str) -> list[str]:
    def s3_event(key: str) -> str:
        return json.dumps({"Records": [{"s3": {"bucket": {"name": bucket}, "object": {"key": key}}}]})

    return [
        s3_event(f"uploads/E08000025/{NINO}/{NAME.replace(' ', '+')}+{DOB}.csv"),  # not one of our keys
        s3_event(f"uploads/{NAME.replace(' ', '+')}/{DOB}/{NINO}.csv"),
        json.dumps({"Records": [{"s3": {"object": {"key": f"{NAME}/{DOB}"}}}]}),  # no bucket: not an S3 event
        json.dumps({"name": NAME, "dob": DOB, "nino": NINO}),
    ]


def test_no_identifier_reaches_the_functions_logs(capsys: pytest.CaptureFixture[str]) -> None:
    from tfnis_local.stack import LocalStack

    with LocalStack(stack_name=f"tfnis-logs-{os.getpid()}", log_level="INFO") as stack:
        sqs = stack.client("sqs")
        queues = stack.resources.queues
        for body in upload_messages(stack.resources.buckets["UploadBucket"]):
            sqs.send_message(QueueUrl=queues["UploadQueue"], MessageBody=body)
        for queue in ("CoverageQueue", "MatchQueue", "AnonymiseQueue"):
            for body in stage_messages():
                extra = {"MessageGroupId": "linkage"} if queue == "MatchQueue" else {}
                sqs.send_message(QueueUrl=queues[queue], MessageBody=body, **extra)
        stack.drain(timeout=120)
        with pytest.raises(PermissionError):  # escapes the handler: the runtime's line is written
            stack.invoke("ResearchEndFunction", {"source": NAME})
        for claim in (NAME, NINO):
            headers = {"authorization": stack.token_for(claim)}
            body = json.dumps({"period_end": DOB, "files": [f"{NAME}.csv"]})
            response = requests.post(f"{stack.api_url}/submissions", data=body, headers=headers, timeout=30)
            assert response.status_code == 403
        depths = stack.queue_depths()
    captured = capsys.readouterr()
    logs = captured.out + captured.err
    # What happened is there to read: every unreadable message, the runtime's line for the refused invocation.
    assert logs.count("unreadable message sent to the dead-letter queue") == 2 + 3 * len(stage_messages())
    runtime_lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{") and '"errorType"' in line]
    assert [line["errorType"] for line in runtime_lines] == ["NotConfirmed"]
    assert {"errorMessage", "requestId", "stackTrace"} <= set(runtime_lines[0])
    assert depths["UploadDLQ"]["visible"] == 2
    for dlq in ("CoverageDLQ", "MatchDLQ", "AnonymiseDLQ"):
        assert depths[dlq]["visible"] == len(stage_messages())
    for value in IDENTIFIER_LIKE:
        assert value not in logs, value
