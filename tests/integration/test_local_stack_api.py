"""The local HTTP API: requests become API Gateway v2 events, tokens are checked like the JWT authorizer.

The echo handler of tests/integration/local_stack/ answers with the event it received.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests

from tfnis_local.stack import LocalStack
from tfnis_local.tokens import DEV_COUNCILS

TEMPLATE = Path(__file__).resolve().parent / "local_stack" / "template.yaml"


@pytest.fixture(scope="module")
def stack() -> Iterator[LocalStack]:
    with LocalStack(TEMPLATE, stack_name="api-test", parameters={"Greeting": "hiya"}) as running:
        yield running


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def echoed(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()["event"]


def test_a_request_without_a_token_gets_401(stack: LocalStack) -> None:
    response = requests.get(f"{stack.api_url}/things/1", timeout=10)
    assert response.status_code == 401
    assert response.json() == {"message": "Unauthorized"}


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda claims: claims, id="signed-with-another-key"),
        pytest.param(lambda claims: {**claims, "iss": "https://elsewhere.example"}, id="wrong-issuer"),
        pytest.param(lambda claims: {**claims, "aud": "another-client"}, id="wrong-audience"),
        pytest.param(lambda claims: {**claims, "exp": int(time.time()) - 5}, id="expired"),
    ],
)
def test_a_bad_token_gets_401(stack: LocalStack, tamper: Any) -> None:
    assert stack.authorizer is not None
    claims = jwt.decode(stack.token_for("E08000025"), options={"verify_signature": False})
    secret = b"not the stack's secret" * 2 if tamper(claims) == claims else stack.authorizer.secret
    token = jwt.encode(tamper(claims), secret, algorithm="HS256")
    response = requests.get(f"{stack.api_url}/things/1", headers=bearer(token), timeout=10)
    assert response.status_code == 401


def test_a_garbled_token_gets_401(stack: LocalStack) -> None:
    response = requests.get(f"{stack.api_url}/things/1", headers=bearer("not-a-jwt"), timeout=10)
    assert response.status_code == 401


def test_claims_reach_the_handler_as_strings(stack: LocalStack) -> None:
    event = echoed(requests.get(f"{stack.api_url}/things/1", headers=bearer(stack.tokens["E09000012"]), timeout=10))
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert claims["custom:la_code"] == "E09000012"
    assert claims["iss"] == stack.template.jwt_authorizers()[0].issuer
    assert claims["aud"] in stack.template.jwt_authorizers()[0].audiences
    assert isinstance(claims["exp"], str) and claims["exp"].isdigit()
    assert claims["sub"]


def test_the_token_is_accepted_without_the_bearer_scheme(stack: LocalStack) -> None:
    response = requests.get(
        f"{stack.api_url}/things/1", headers={"Authorization": stack.token_for("E06000017")}, timeout=10
    )
    assert response.status_code == 200


def test_tokens_cover_the_dev_councils_and_differ_by_sub(stack: LocalStack) -> None:
    tokens = stack.tokens
    assert set(tokens) == set(DEV_COUNCILS)
    subs = {jwt.decode(t, options={"verify_signature": False})["sub"] for t in tokens.values()}
    assert len(subs) == len(DEV_COUNCILS)


def test_the_event_is_an_api_gateway_v2_event(stack: LocalStack) -> None:
    response = requests.get(
        f"{stack.api_url}/things/a%20b?x=1&x=2&y=",
        headers={**bearer(stack.token_for("E08000025")), "X-Custom": "Value", "Cookie": "c1=1; c2=2"},
        timeout=10,
    )
    event = echoed(response)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /things/{thing_id}"
    assert event["rawPath"] == "/things/a%20b"
    assert event["rawQueryString"] == "x=1&x=2&y="
    assert event["queryStringParameters"] == {"x": "1,2", "y": ""}
    assert event["pathParameters"] == {"thing_id": "a b"}
    assert event["headers"]["x-custom"] == "Value"  # header names lower-cased
    assert event["cookies"] == ["c1=1", "c2=2"]
    context = event["requestContext"]
    assert context["http"]["method"] == "GET" and context["http"]["path"] == "/things/a%20b"
    assert context["http"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"] and context["stage"] == "$default" and context["routeKey"] == event["routeKey"]
    assert event["isBase64Encoded"] is False and "body" not in event


def test_the_handler_response_becomes_the_http_response(stack: LocalStack) -> None:
    response = requests.get(f"{stack.api_url}/things/1", headers=bearer(stack.token_for("E08000025")), timeout=10)
    assert response.headers["x-echo"] == "yes"
    assert response.json()["greeting"] == "hiya"  # template parameter override reached the function env
    assert response.json()["function_name"] == "api-test-echofunction"


def test_a_json_body_arrives_as_text(stack: LocalStack) -> None:
    response = requests.post(
        f"{stack.api_url}/things", json={"files": ["a.csv"]}, headers=bearer(stack.token_for("E08000025")), timeout=10
    )
    event = echoed(response)
    assert event["body"] == '{"files": ["a.csv"]}' and event["isBase64Encoded"] is False


def test_a_binary_body_arrives_base64_encoded(stack: LocalStack) -> None:
    payload = bytes(range(256))
    response = requests.post(
        f"{stack.api_url}/things",
        data=payload,
        headers={**bearer(stack.token_for("E08000025")), "Content-Type": "application/octet-stream"},
        timeout=10,
    )
    event = echoed(response)
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == payload


def test_a_route_with_auth_none_needs_no_token(stack: LocalStack) -> None:
    event = echoed(requests.get(f"{stack.api_url}/health", timeout=10))
    assert "authorizer" not in event["requestContext"]


def test_an_unknown_route_or_method_gets_404(stack: LocalStack) -> None:
    token = bearer(stack.token_for("E08000025"))
    assert requests.get(f"{stack.api_url}/nowhere", headers=token, timeout=10).status_code == 404
    assert requests.delete(f"{stack.api_url}/things/1", headers=token, timeout=10).status_code == 404


def test_concurrent_requests_each_get_their_own_event(stack: LocalStack) -> None:
    from concurrent.futures import ThreadPoolExecutor

    councils = list(DEV_COUNCILS) * 6

    def claimed_council(la_code: str) -> str:
        response = requests.get(
            f"{stack.api_url}/things/{la_code}", headers=bearer(stack.token_for(la_code)), timeout=30
        )
        event = echoed(response)
        assert event["pathParameters"]["thing_id"] == la_code
        return event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:la_code"]

    with ThreadPoolExecutor(max_workers=10) as pool:
        assert list(pool.map(claimed_council, councils)) == councils
