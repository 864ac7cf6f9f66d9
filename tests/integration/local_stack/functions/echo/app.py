"""Test handler: answers with the API Gateway v2 event it received, so tests can check its shape.

Like Powertools' resolver it keeps the current event at module level, so concurrent invocations sharing one
module would answer with each other's events.
"""

import json
import os
import time

current_event: dict = {}


def handler(event, context):
    global current_event
    current_event = event
    time.sleep(0.005)
    body = {"event": current_event, "greeting": os.environ["GREETING"], "function_name": context.function_name}
    return {"statusCode": 200, "headers": {"X-Echo": "yes"}, "body": json.dumps(body)}
