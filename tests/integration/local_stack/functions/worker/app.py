"""Test handler: each message body says what to do with it (ok, fail = reported failure, raise = crash)."""

import json

seen: list[dict] = []  # every record handed over, in order, for the tests to read


def handler(event, context):
    failures = []
    for record in event["Records"]:
        seen.append(record)
        outcome = json.loads(record["body"]).get("outcome", "ok")
        if outcome == "raise":
            raise RuntimeError("asked to raise")
        if outcome == "fail":
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
