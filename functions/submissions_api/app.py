"""submissions_api: a council creates a submission (pre-signed uploads) and reads its own submissions."""

from __future__ import annotations

import base64
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from tfnis.pipeline import reference as references
from tfnis.pipeline import submissions as api
from tfnis.pipeline.failures import failure_fields
from tfnis.storage import ServiceClosed, Store, SubmissionNotFound, SubmissionTable, store_and_table
from tfnis.storage.settings import ApiSettings

logger, tracer = Logger(), Tracer()
app = APIGatewayHttpResolver()
settings = ApiSettings.from_env()


def _council() -> str:
    return api.council_of(app.current_event.request_context.authorizer.jwt_claim or {})


def _services() -> tuple[Store, SubmissionTable]:
    return store_and_table(settings)


@app.post("/submissions")
def create_submission() -> Response:
    la_code = _council()
    event = app.current_event
    body = base64.b64decode(event.body or "") if event.is_base64_encoded else (event.body or "").encode()
    request = api.read_create_request(body)
    store, table = _services()
    created = api.create_submission(la_code, request, store=store, table=table)
    logger.info("submission created", extra={"submission_id": created["submission_id"], "la_code": created["la_code"]})
    return Response(201, content_types.APPLICATION_JSON, created)


@app.get("/submissions")
def list_submissions() -> dict[str, Any]:
    store, table = _services()
    return api.list_for_page(_council(), store=store, table=table)


@app.get("/submissions/<submission_id>")
def show_submission(submission_id: str) -> dict[str, Any]:
    store, table = _services()
    return api.show_submission(_council(), submission_id, store=store, table=table)


@app.post("/references")
def create_reference() -> Response:
    references.require_research_team(app.current_event.request_context.authorizer.jwt_claim or {})
    event = app.current_event
    body = base64.b64decode(event.body or "") if event.is_base64_encoded else (event.body or "").encode()
    request = references.read_reference_request(body)
    created = references.create_reference_upload(request, store=_services()[0])
    logger.info("reference upload created", extra={"dataset": created["dataset"], "upload_id": created["upload_id"]})
    return Response(201, content_types.APPLICATION_JSON, created)


@app.get("/references/<upload_id>")
def show_reference(upload_id: str) -> Response:
    references.require_research_team(app.current_event.request_context.authorizer.jwt_claim or {})
    found = references.show_reference_upload(upload_id, store=_services()[0])
    if found is None:
        return _answer(404, "no result for this reference upload (yet)")
    return Response(200, content_types.APPLICATION_JSON, found)


def _answer(status: int, message: str, **more: Any) -> Response:
    return Response(status, content_types.APPLICATION_JSON, {"message": message, **more})


@app.exception_handler(ValidationError)
def _invalid_request(error: ValidationError) -> Response:
    problems = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in error.errors()]
    return _answer(400, "invalid request", problems=problems)


@app.exception_handler(api.NotJson)
def _not_json(error: api.NotJson) -> Response:
    return _answer(400, str(error))


@app.exception_handler(api.BodyTooLarge)
def _too_large(error: api.BodyTooLarge) -> Response:
    return _answer(413, str(error))


@app.exception_handler(api.NoCouncil)
def _no_council(error: api.NoCouncil) -> Response:
    return _answer(401, str(error))


@app.exception_handler(api.NotACouncil)
def _not_a_council(error: api.NotACouncil) -> Response:
    return _answer(403, str(error))


@app.exception_handler(references.NotResearchTeam)
def _not_research_team(error: references.NotResearchTeam) -> Response:
    return _answer(403, str(error))


@app.exception_handler(SubmissionNotFound)
def _not_found(error: SubmissionNotFound) -> Response:
    return _answer(404, f"no submission {error} for your council")


@app.exception_handler(ServiceClosed)
def _closed(error: ServiceClosed) -> Response:
    return _answer(410, str(error))


@app.exception_handler(Exception)
def _crashed(error: Exception) -> Response:
    """Anything else is a 500 logged by type and place only: Powertools would log the message (and so would the
    runtime, if it escaped), and a message can quote data."""
    if isinstance(error, ServiceError):
        raise error  # Powertools answers its own errors (400, 401, …)
    logger.error("request failed", extra=failure_fields(error))
    return _answer(500, "Internal Server Error")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
