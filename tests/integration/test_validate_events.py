"""The validate handler fed the sample event of events/ (what `sam local invoke -e` takes), against moto."""

from __future__ import annotations

import copy
import json
from typing import Any

from tests.conftest import load_event, load_function


def test_the_sample_upload_event_for_no_known_submission_is_acknowledged_and_the_upload_kept(
    aws: Any, lambda_context: Any
) -> None:
    event = copy.deepcopy(load_event("sqs_s3_upload.json"))
    notification = json.loads(event["Records"][0]["body"])
    s3 = notification["Records"][0]["s3"]
    bucket, key = aws.buckets["UploadBucket"], s3["object"]["key"]
    s3["bucket"]["name"] = bucket
    event["Records"][0]["body"] = json.dumps(notification)
    client = aws.client("s3")
    client.put_object(Bucket=bucket, Key=key, Body=b"la_code,family_id\n")
    module = load_function(aws, "ValidateFunction")
    assert module.handler(event, lambda_context) == {"batchItemFailures": []}
    assert client.head_object(Bucket=bucket, Key=key)["ContentLength"] > 0
