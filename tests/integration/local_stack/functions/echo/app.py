"""Test handler: answers with the API Gateway v2 event it received, so tests can check its shape."""

import json
import os


def handler(event, context):
    body = {"event": event, "greeting": os.environ["GREETING"], "function_name": context.function_name}
    return {"statusCode": 200, "headers": {"X-Echo": "yes"}, "body": json.dumps(body)}
