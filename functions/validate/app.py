"""validate: an upload arrived (S3 → SQS); check the submission's return once all its files are present."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from tfnis.pipeline.expiry import on_expiry_check
from tfnis.pipeline.failures import dead_letter, failing_stage
from tfnis.pipeline.messages import (
    UnreadableMessage,
    expiry_check_in,
    loggable_upload,
    receive_count,
    uploaded_objects,
)
from tfnis.pipeline.validate import Upload, on_upload
from tfnis.storage import store_and_table
from tfnis.storage.settings import ValidateSettings

logger, tracer = Logger(), Tracer()
# A failed batch is reported in batchItemFailures, not raised: BatchProcessingError's text would quote the errors.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
settings = ValidateSettings.from_env()
persistence = DynamoDBPersistenceLayer(table_name=settings.idempotency_table or "idempotency")
# Idempotent on bucket + key + version id: a duplicate S3 event does the work once.
idempotency = IdempotencyConfig(event_key_jmespath="[bucket, key, version_id]", expires_after_seconds=86400)


def uploads_in(record: SQSRecord) -> list[Upload]:
    """The uploads an SQS message carries (S3 event JSON in the body); UnreadableMessage for a body of no known kind."""
    deliveries = receive_count(record)
    return [Upload(bucket, key, version, deliveries) for bucket, key, version in uploaded_objects(record.body)]


@idempotent_function(data_keyword_argument="upload", config=idempotency, persistence_store=persistence)
def handle_upload(upload: dict[str, Any]) -> str:
    store, table = store_and_table(settings)
    return on_upload(Upload(**upload), store=store, table=table)


def record_handler(record: SQSRecord) -> None:
    store, table = store_and_table(settings)
    try:
        check = expiry_check_in(record.body)  # the API's, due when a submission's forms have expired
        uploads = [] if check else uploads_in(record)
    except UnreadableMessage as poison:  # to UploadDLQ now: no retry can read it
        dead_letter(record.body, record.message_id, poison, store=store, log=logger.error)
        return
    if check is not None:
        outcome = on_expiry_check(check, store=store, table=table)
        logger.info("expiry check", extra={"submission_id": check.submission_id, "outcome": outcome})
        return
    for upload in uploads:
        where = loggable_upload(upload.key)  # a key that is not one of ours could hold anything: not logged
        with failing_stage(
            "validation", record, where, max_receive_count=settings.max_receive_count, table=table, log=logger.error
        ):
            outcome = handle_upload(upload=asdict(upload))
        logger.info("upload handled", extra={**where, "outcome": outcome})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
