"""submissions_api: a council creates a submission (pre-signed uploads) and reads its own submissions."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, UnauthorizedError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from tfnis.pipeline import submissions as api
from tfnis.storage import ServiceClosed, Settings, Store, SubmissionNotFound, SubmissionTable

logger, tracer = Logger(), Tracer()
app = APIGatewayHttpResolver()
settings = Settings.from_env()


def _council() -> str:
    """The caller's la_code, from its verified token only (privacy invariant 6)."""
    claims = app.current_event.request_context.authorizer.jwt_claim or {}
    la_code = claims.get(api.LA_CODE_CLAIM)
    if not la_code:
        raise UnauthorizedError("your token carries no council (custom:la_code)")
    return str(la_code)


def _services() -> tuple[Store, SubmissionTable]:
    return Store(settings), SubmissionTable(settings.submissions_table, settings.research_end_date)


@app.post("/submissions")
def create_submission() -> Response:
    try:
        body = app.current_event.json_body
    except ValueError:
        raise BadRequestError('the body is not JSON: send {"period_end": "YYYY-MM-DD", "files": [...]}') from None
    if not isinstance(body, dict):
        raise BadRequestError("the body must be a JSON object with period_end and files")
    request = api.CreateSubmission.model_validate(body)
    store, table = _services()
    created = api.create_submission(_council(), request, store=store, table=table)
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


@app.exception_handler(ValidationError)
def _invalid_request(error: ValidationError) -> Response:
    problems = [{"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in error.errors()]
    return Response(400, content_types.APPLICATION_JSON, {"message": "invalid request", "problems": problems})


@app.exception_handler(SubmissionNotFound)
def _not_found(error: SubmissionNotFound) -> Response:
    return Response(404, content_types.APPLICATION_JSON, {"message": f"no submission {error} for your council"})


@app.exception_handler(ServiceClosed)
def _closed(error: ServiceClosed) -> Response:
    return Response(410, content_types.APPLICATION_JSON, {"message": str(error)})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
