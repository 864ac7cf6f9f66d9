"""reference: a national reference extract arrived (S3 → SQS); validate it, match it to the study, write the
matched outcomes to the research extract and delete it. Only counts are logged: never a record of it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tfnis.pipeline.failures import StageFailed, dead_letter, failure_fields
from tfnis.pipeline.messages import UnreadableMessage, uploaded_objects
from tfnis.pipeline.reference import NotAReferenceUpload, ReferenceUpload, reference_stage
from tfnis.storage import store_and_table
from tfnis.storage.settings import ReferenceSettings

logger, tracer = Logger(), Tracer()
# A failed batch is reported in batchItemFailures, not raised: BatchProcessingError's text would quote the errors.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
settings = ReferenceSettings.from_env()


def record_handler(record: SQSRecord) -> None:
    store, table = store_and_table(settings)
    try:
        objects = uploaded_objects(record.body)
        uploads = [(ReferenceUpload.from_key(key), key) for _bucket, key, _version in objects]
    except (UnreadableMessage, NotAReferenceUpload) as error:  # to ReferenceDLQ now: no retry can read it
        poison = error if isinstance(error, UnreadableMessage) else UnreadableMessage("not a reference upload key")
        dead_letter(record.body, record.message_id, poison, store=store, log=logger.error)
        return
    for upload, key in uploads:
        try:
            outcome = reference_stage(key, store=store, table=table)
        except Exception as error:  # logged by type and place only: a message can quote the extract
            logger.error("reference stage failed", extra={**upload.fields(), **failure_fields(error)})
            raise StageFailed.of("reference", error) from None
        logger.info("reference stage", extra={**upload.fields(), "outcome": outcome})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
