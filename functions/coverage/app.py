"""coverage: a submission passed validation; report its coverage to the council and refresh the national table."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tfnis.pipeline.coverage import coverage_stage
from tfnis.pipeline.failures import StageFailed, dead_letter, failure_fields
from tfnis.pipeline.messages import UnreadableMessage, submission_named
from tfnis.pipeline.metrics import coverage_metrics
from tfnis.storage import store_and_table
from tfnis.storage.settings import CoverageSettings

logger, tracer = Logger(), Tracer()
# A failed batch is reported in batchItemFailures, not raised: BatchProcessingError's text would quote the errors.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
settings = CoverageSettings.from_env()


def record_handler(record: SQSRecord) -> None:
    store, table = store_and_table(settings)
    try:
        ref = submission_named(record.body, table=table)
    except UnreadableMessage as poison:  # to CoverageDLQ now: no retry can read it
        dead_letter(record.body, record.message_id, poison, store=store, log=logger.error)
        return
    try:
        report = coverage_stage(ref, store=store, table=table)
    except Exception as error:
        logger.error("coverage stage failed", extra={"submission_id": ref.submission_id, **failure_fields(error)})
        raise StageFailed.of("coverage", error) from None
    if report is None:
        logger.info("coverage not reported: research has ended", extra={"submission_id": ref.submission_id})
        return
    metrics = EphemeralMetrics()
    metrics.add_dimension("la_code", ref.la_code)
    for metric in coverage_metrics(table.get(ref.la_code, ref.submission_id).counts, report):
        metrics.add_metric(metric.name, metric.unit, metric.value)
    metrics.flush_metrics()
    logger.info("coverage reported", extra=ref.loggable())


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
