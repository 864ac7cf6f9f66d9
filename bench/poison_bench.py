"""Benchmark: how long one bad message in the FIFO MatchQueue holds back a valid submission's matching.

MatchQueue has one message group ("linkage": matching is serial), so nothing behind a message is received
until that message is deleted or moved to MatchDLQ. On the embedded stack (same handlers, visibility timeouts
capped at 2 s) this times, from the moment the bad message is sent, until a valid submission queued right
behind it is MATCHED:
  baseline   the valid submission alone
  unreadable an unparseable message first: the handler puts it in MatchDLQ on its first receive (now)
  retried    a readable message that fails every delivery first: what every unreadable message did before,
             received maxReceiveCount times, each after a visibility timeout, then moved to MatchDLQ by SQS
and prints the deployed figure for the retried case from template.yaml (VisibilityTimeout x maxReceiveCount).
Usage:  .venv/bin/python bench/poison_bench.py
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tfnis.client import SubmissionClient
from tfnis_local.stack import LocalStack

REPO = Path(__file__).resolve().parents[1]
COUNCIL = "E08000025"
VALID = REPO / "tests" / "data" / "valid"


def upload_return(stack: LocalStack, folder: Path) -> str:
    """Create a submission over the API and upload the valid test return to it; its submission id."""
    folder.mkdir()
    files = {}
    for name in ("families.csv", "individuals.csv"):
        files[name] = folder / name
        files[name].write_text((VALID / name).read_text().replace("E09000033", COUNCIL))
    client = SubmissionClient(stack.api_url, stack.token_for(COUNCIL))
    created = client.create("2024-03-31", list(files))
    for name, path in files.items():
        client.upload(created["uploads"][name], path)
    return str(created["submission_id"])


def take_match_messages(stack: LocalStack) -> dict[str, str]:
    """Remove the match messages validate queued; submission id -> body, to send again in a chosen order."""
    sqs, url = stack.client("sqs"), stack.resources.queues["MatchQueue"]  # type: ignore[union-attr]
    bodies: dict[str, str] = {}
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30).get("Messages")
        if not messages:
            return bodies
        for message in messages:
            bodies[json.loads(message["Body"])["submission_id"]] = message["Body"]
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def status(stack: LocalStack, submission_id: str) -> str:
    table = stack.resources.tables["SubmissionsTable"]  # type: ignore[union-attr]
    item = stack.client("dynamodb").get_item(
        TableName=table, Key={"la_code": {"S": COUNCIL}, "submission_id": {"S": submission_id}}
    )
    return str(item["Item"]["status"]["S"])


def seconds_until_matched(stack: LocalStack, first: str | None, valid_id: str, valid_body: str) -> float:
    sqs, url = stack.client("sqs"), stack.resources.queues["MatchQueue"]  # type: ignore[union-attr]
    match = next(p for p in stack.pumps if p.source.queue_logical_id == "MatchQueue")
    started = time.monotonic()
    for body in ([first] if first else []) + [valid_body]:
        sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageGroupId="linkage", MessageDeduplicationId=uuid.uuid4().hex
        )
    while status(stack, valid_id) != "MATCHED":
        if match.poll_once(wait_s=0) == 0:
            time.sleep(0.05)
    return time.monotonic() - started


def deployed_delay_s() -> tuple[int, int]:
    """MatchQueue's VisibilityTimeout and maxReceiveCount as template.yaml deploys them."""
    from tfnis_local.template import Template

    queue = Template.load(REPO / "template.yaml").resources["MatchQueue"]["Properties"]
    return int(queue["VisibilityTimeout"]), int(queue["RedrivePolicy"]["maxReceiveCount"])


def main() -> None:
    logging.disable(logging.CRITICAL)  # the stage's own log lines are not the figures
    with LocalStack(stack_name="tfnis-poison-bench") as stack, tempfile.TemporaryDirectory() as tmp:
        ids = [upload_return(stack, Path(tmp) / str(n)) for n in range(4)]
        for pump in stack.pumps:  # validate and coverage; matching waits for the chosen order
            if pump.source.queue_logical_id in ("UploadQueue", "CoverageQueue"):
                while pump.poll_once(0):
                    pass
        bodies = take_match_messages(stack)
        crashing_id = ids[3]
        linkage = stack.resources.buckets["LinkageBucket"]  # type: ignore[union-attr]
        stack.client("s3").delete_object(Bucket=linkage, Key=f"linkage/{COUNCIL}/{crashing_id}/identifiers.parquet")
        unreadable = json.dumps({"la_code": COUNCIL, "submission_id": "not an id", "period_end": "tomorrow"})
        figures: dict[str, Any] = {
            "baseline": seconds_until_matched(stack, None, ids[0], bodies[ids[0]]),
            "unreadable": seconds_until_matched(stack, unreadable, ids[1], bodies[ids[1]]),
            "retried": seconds_until_matched(stack, bodies[crashing_id], ids[2], bodies[ids[2]]),
        }
        local_timeout = stack.client("sqs").get_queue_attributes(
            QueueUrl=stack.resources.queues["MatchQueue"],  # type: ignore[union-attr]
            AttributeNames=["VisibilityTimeout"],
        )["Attributes"]["VisibilityTimeout"]
    timeout_s, max_receive = deployed_delay_s()
    print(f"embedded stack (MatchQueue VisibilityTimeout {local_timeout} s), seconds from the bad message")
    print("to a valid submission queued behind it being MATCHED:")
    for case, seconds in figures.items():
        print(f"  {case:<11} {seconds:6.1f} s")
    print(f"deployed MatchQueue: VisibilityTimeout {timeout_s} s x maxReceiveCount {max_receive}")
    print(f"  retried (before): {timeout_s * max_receive} s = {timeout_s * max_receive / 3600:.1f} h of no matching")
    print("  unreadable (now): one receive, no visibility timeout: no wait beyond the valid submission's own match")


if __name__ == "__main__":
    main()
