"""What the OpenAPI document says beyond the routes' own models: every status a route answers with (and the
error body each carries), the bearer token, the title. Powertools builds the document from the routes."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from tfnis.api.models import ErrorBody

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

TITLE = "tfnis submissions API"
API_VERSION = "1.0.0"
SECURITY_SCHEME = "CognitoJwt"
# Why each refusal happens, in the words the document shows next to the status.
REFUSALS = {
    400: "the body is not a JSON object (not JSON, nested too deeply, or missing)",
    401: "no token, or one API Gateway's JWT authorizer refuses, or one that names no council",
    403: "the token's council is not an upper-tier authority's GSS code, or the caller is not in the group the "
    "route needs",
    404: "not found for the caller (another council's submission looks exactly like a missing one)",
    410: "the research has ended: nothing new is accepted",
    413: "the body is over 64 KiB",
    415: "the body is not sent as application/json",
    422: "the body (or a path parameter) breaks its model: each field and rule in `problems`, never the value sent",
    500: "the service failed (logged by type and place only)",
}


# What a route with a body can refuse, and a route that reads one item.
BODY_REFUSALS = (400, 401, 403, 410, 413, 415, 422)
READ_REFUSALS = (401, 403, 404, 422)


def operation(status: int, model: Any, *refusals: int, summary: str) -> dict[str, Any]:
    """The keywords of a route's decorator: its answer's model under `status`, ErrorBody under each refusal
    and 500, and a 500 (not a 422) when an answer does not fit its own model."""
    responses: dict[int, Any] = {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"model": model}},
        }
    }
    for refused in (*refusals, 500):
        responses[refused] = {
            "description": REFUSALS[refused],
            "content": {"application/json": {"model": ErrorBody}},
        }
    return {
        "summary": summary,
        "responses": responses,
        "custom_response_validation_http_code": HTTPStatus.INTERNAL_SERVER_ERROR,
    }


def document(app: APIGatewayHttpResolver) -> str:
    """The OpenAPI 3 document of the resolver's routes, as JSON text."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    bearer = HTTPBearer(
        bearerFormat="JWT",
        description="the ID token of a Cognito user: a council officer's (custom:la_code names the council) or "
        "the research data team's (group research-team, for /references)",
    )
    generated = app.get_openapi_json_schema(
        title=TITLE,
        version=API_VERSION,
        description="Councils create submissions (pre-signed uploads) and read their own; the research data team "
        "sends national reference extracts. Every refusal is {message, problems: [{field, message}]}.",
        security_schemes={SECURITY_SCHEME: bearer},
        security=[{SECURITY_SCHEME: []}],
    )
    return json.dumps(_without_powertools_errors(json.loads(generated)), indent=1)


def _without_powertools_errors(document: dict[str, Any]) -> dict[str, Any]:
    """Powertools declares a 422 of its own shape ({detail: [...]}) on every validated route, and its error
    components; our handlers answer every refusal with ErrorBody instead, so a route that cannot be refused
    with a 422 loses it and the components no response uses go, leaving the document describing only bodies
    the API sends."""
    unused = {"HTTPValidationError", "ValidationError", "ResponseValidationError"}
    for operations in document["paths"].values():
        for operation in operations.values():
            operation["responses"] = {
                status: answer
                for status, answer in operation["responses"].items()
                if not any(name in json.dumps(answer) for name in unused)
            }
    schemas = document.get("components", {}).get("schemas", {})
    for name in unused:
        schemas.pop(name, None)
    return document
