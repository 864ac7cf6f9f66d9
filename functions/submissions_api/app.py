"""submissions_api: a council creates a submission (pre-signed uploads) and reads its own submissions; the
research data team sends reference extracts. Routes are typed with the models of tfnis.api.models: Powertools
validates each body against its model (enable_validation) and serves the OpenAPI document at GET /openapi.json."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from tfnis.api import body, openapi
from tfnis.api.models import (
    SUBMISSION_ID_PATTERN,
    CreatedReference,
    CreatedSubmission,
    CreateReference,
    CreateSubmission,
    ReferenceResult,
    SubmissionDetail,
    SubmissionList,
    refusal,
)
from tfnis.pipeline import reference as references
from tfnis.pipeline import submissions as api
from tfnis.pipeline.failures import failure_fields
from tfnis.storage import ServiceClosed, Store, SubmissionNotFound, SubmissionTable, store_and_table
from tfnis.storage.settings import ApiSettings

logger, tracer = Logger(), Tracer()
app = APIGatewayHttpResolver(
    enable_validation=True,
    # a response its model refuses is our fault: 500, logged by type and place (_crashed), never a 422
    response_validation_error_http_code=500,
    # the size limit (413) and JSON's own refusals (400) come before the model sees the body
    json_body_deserializer=lambda text: body.read_json_object(text, app.current_event.path),
)
settings = ApiSettings.from_env()
# submission and reference upload ids: creation time and 8 hex digits (a malformed one is a 422, not a lookup)
UploadId = Annotated[str, Path(pattern=SUBMISSION_ID_PATTERN)]
NOT_JSON_CONTENT = "not_json_content"  # app.context: the request's body was withheld, not JSON


def _claims() -> dict[str, Any]:
    return app.current_event.request_context.authorizer.jwt_claim or {}


def _services() -> tuple[Store, SubmissionTable]:
    return store_and_table(settings)


CREATE = openapi.BODY_REFUSALS
READ = openapi.READ_REFUSALS


@app.post("/submissions", **openapi.operation(201, CreatedSubmission, *CREATE, summary="create a submission"))
def create_submission(request: CreateSubmission) -> Response[CreatedSubmission]:
    la_code = api.council_of(_claims())
    store, table = _services()
    created = api.create_submission(la_code, request, store=store, table=table)
    logger.info("submission created", extra={"submission_id": created.submission_id, "la_code": created.la_code})
    return Response(201, content_types.APPLICATION_JSON, created)


@app.get("/submissions", **openapi.operation(200, SubmissionList, 401, 403, summary="the council's submissions"))
def list_submissions() -> SubmissionList:
    store, table = _services()
    return api.list_for_page(api.council_of(_claims()), store=store, table=table)


@app.get("/submissions/<submission_id>", **openapi.operation(200, SubmissionDetail, *READ, summary="a submission"))
def show_submission(submission_id: UploadId) -> SubmissionDetail:
    store, table = _services()
    return api.show_submission(api.council_of(_claims()), submission_id, store=store, table=table)


@app.post("/references", **openapi.operation(201, CreatedReference, *CREATE, summary="send a reference extract"))
def create_reference(request: CreateReference) -> Response[CreatedReference]:
    references.require_research_team(_claims())
    created = references.create_reference_upload(request, store=_services()[0])
    logger.info("reference upload created", extra={"dataset": created.dataset, "upload_id": created.upload_id})
    return Response(201, content_types.APPLICATION_JSON, created)


@app.get("/references/<upload_id>", **openapi.operation(200, ReferenceResult, *READ, summary="an extract's result"))
def show_reference(upload_id: UploadId) -> ReferenceResult:
    references.require_research_team(_claims())
    return references.show_reference_upload(upload_id, store=_services()[0])


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> Response[str]:
    """The OpenAPI 3 document of the routes above (behind the JWT authorizer, as every route: docs/deploy.md)."""
    return Response(200, content_types.APPLICATION_JSON, _openapi_json())


@functools.cache
def _openapi_json() -> str:
    return openapi.document(app)


def _answer(status: int, message: str, **more: Any) -> Response[Any]:
    return Response(status, content_types.APPLICATION_JSON, {"message": message, **more})


def _caller_refusal() -> Response[Any] | None:
    """The 401/403 the route gives this caller, if it refuses it. Powertools validates a body before the route
    function (which checks the caller) runs, so each refusal of a body asks this first: a caller the route
    refuses hears only that, never anything about what it sent."""
    path = app.current_event.path
    try:
        if path.startswith("/references"):
            references.require_research_team(_claims())
        else:
            api.council_of(_claims())
    except api.NoCouncil as error:
        return _answer(401, str(error))
    except (api.NotACouncil, references.NotResearchTeam) as error:
        return _answer(403, str(error))
    return None


@app.exception_handler(RequestValidationError)
def _invalid_request(error: RequestValidationError) -> Response[Any]:
    if app.context.get(NOT_JSON_CONTENT):
        return _caller_refusal() or _answer(415, "send the body as application/json")
    status, answer = refusal(error.errors(), app.current_event.path)
    return _caller_refusal() or Response(status, content_types.APPLICATION_JSON, answer.model_dump())


@app.exception_handler(body.NotJson)
def _not_json(error: body.NotJson) -> Response[Any]:
    return _caller_refusal() or _answer(400, str(error))


@app.exception_handler(UnicodeDecodeError)
def _not_utf8(error: UnicodeDecodeError) -> Response[Any]:
    """Powertools decodes a base64 body as UTF-8 before it parses it: bytes that are not UTF-8 are not JSON."""
    return _caller_refusal() or _answer(400, f"the body is not JSON: send {body.shape_of(app.current_event.path)}")


@app.exception_handler(body.BodyTooLarge)
def _too_large(error: body.BodyTooLarge) -> Response[Any]:
    return _caller_refusal() or _answer(413, str(error))


@app.exception_handler(api.NoCouncil)
def _no_council(error: api.NoCouncil) -> Response[Any]:
    return _answer(401, str(error))


@app.exception_handler(api.NotACouncil)
def _not_a_council(error: api.NotACouncil) -> Response[Any]:
    return _answer(403, str(error))


@app.exception_handler(references.NotResearchTeam)
def _not_research_team(error: references.NotResearchTeam) -> Response[Any]:
    return _answer(403, str(error))


@app.exception_handler(SubmissionNotFound)
def _not_found(error: SubmissionNotFound) -> Response[Any]:
    return _answer(404, f"no submission {error} for your council")


@app.exception_handler(references.NoReferenceResult)
def _no_reference_result(error: references.NoReferenceResult) -> Response[Any]:
    return _answer(404, str(error))


@app.exception_handler(ServiceClosed)
def _closed(error: ServiceClosed) -> Response[Any]:
    return _answer(410, str(error))


@app.exception_handler(Exception)
def _crashed(error: Exception) -> Response[Any]:
    """Anything else is a 500 logged by type and place only: Powertools would log the message (and so would the
    runtime, if it escaped), and a message can quote data."""
    if isinstance(error, ServiceError):
        raise error  # Powertools answers its own errors (400, 401, …)
    logger.error("request failed", extra=failure_fields(error))
    return _answer(500, "Internal Server Error")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("body") and not body.is_json(event.get("headers")):
        # Only JSON is read. Powertools would parse a form or multipart body itself (and a multipart type
        # without a boundary is a ValueError in it: a 500), so it never sees one: the route answers 415.
        app.append_context(**{NOT_JSON_CONTENT: True})
        headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
        event = {**event, "headers": headers, "body": None, "isBase64Encoded": False}
    return app.resolve(event, context)
