"""validate: an upload arrived (S3 → SQS); check the submission's return once all its files are present."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import S3Event
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from tfnis.pipeline.expiry import EXPIRE, ExpiryCheck, on_expiry_check
from tfnis.pipeline.failures import failing_stage
from tfnis.pipeline.validate import Upload, on_upload
from tfnis.storage import Settings, Store, SubmissionTable
from tfnis.submissions import parse_upload_key

logger, metrics, tracer = Logger(), Metrics(), Tracer()
processor = BatchProcessor(event_type=EventType.SQS)
settings = Settings.from_env()
persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table or "idempotency")
# Idempotent on bucket + key + version id: a duplicate S3 event does the work once.
idempotency = IdempotencyConfig(event_key_jmespath="[bucket, key, version_id]", expires_after_seconds=86400)


def uploads_in(record: SQSRecord) -> list[Upload]:
    """The uploads an SQS message carries (S3 event JSON in the body; keys arrive URL-encoded)."""
    body = json.loads(record.body)
    if body.get("Event") == "s3:TestEvent":
        return []
    receive_count = int(record.attributes.approximate_receive_count or 1)
    return [
        Upload(r.s3.bucket.name, unquote_plus(r.s3.get_object.key), r.s3.get_object.version_id, receive_count)
        for r in S3Event(body).records
    ]


@idempotent_function(data_keyword_argument="upload", config=idempotency, persistence_store=persistence)
def handle_upload(upload: dict[str, Any]) -> str:
    store, table = Store(settings), SubmissionTable(settings.submissions_table, settings.research_end_date)
    return on_upload(Upload(**upload), store=store, table=table)


def record_handler(record: SQSRecord) -> None:
    table = SubmissionTable(settings.submissions_table, settings.research_end_date)
    if EXPIRE in json.loads(record.body):  # the API's expiry check, due when a submission's forms have expired
        check = ExpiryCheck.from_message(json.loads(record.body))
        outcome = on_expiry_check(check, store=Store(settings), table=table)
        logger.info("expiry check", extra={"submission_id": check.submission_id, "outcome": outcome})
        return
    for upload in uploads_in(record):
        la_code, submission_id, _ = parse_upload_key(upload.key) or ("", "", "")
        with failing_stage(
            "validation", la_code, submission_id, table=table, log=logger.error,
            receive_count=upload.receive_count, max_receive_count=settings.max_receive_count,
        ):  # fmt: skip
            outcome = handle_upload(upload=asdict(upload))
        logger.info("upload handled", extra={"key": upload.key, "outcome": outcome})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
