"""match: link a validated submission's people to persons seen before (FIFO, one group: matching is serial)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tfnis.pipeline.failures import dead_letter, failing_stage
from tfnis.pipeline.match import match_stage
from tfnis.pipeline.messages import UnreadableMessage, submission_named
from tfnis.storage import store_and_table
from tfnis.storage.settings import MatchSettings

logger, tracer = Logger(), Tracer()
processor = SqsFifoPartialProcessor()  # a failure stops the batch: later messages keep their order
# A failed batch is reported in batchItemFailures, not raised: BatchProcessingError's text would quote the errors.
processor.raise_on_entire_batch_failure = False
settings = MatchSettings.from_env()


def record_handler(record: SQSRecord) -> None:
    store, table = store_and_table(settings)
    try:
        ref = submission_named(record.body, table=table)
    except UnreadableMessage as poison:  # to MatchDLQ now: a retry would hold every council's matching
        group = record.attributes.message_group_id
        dead_letter(record.body, record.message_id, poison, store=store, log=logger.error, group_id=group)
        return
    with failing_stage(
        "matching", record, ref.loggable(), max_receive_count=settings.max_receive_count, table=table, log=logger.error
    ):
        outcome = match_stage(ref, store=store, table=table)
    logger.info("match stage", extra={**ref.loggable(), "outcome": outcome})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
