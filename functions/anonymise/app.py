"""anonymise: a matched submission becomes pseudonymised research data, then its raw upload and identifiers go."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.metrics import EphemeralMetrics
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from tfnis.anonymise import ExtractRefused
from tfnis.disclosure.control import DisclosureRefused
from tfnis.pipeline.anonymise import anonymise_stage
from tfnis.pipeline.failures import dead_letter, failing_stage, mark_failed
from tfnis.pipeline.messages import UnreadableMessage, submission_named
from tfnis.pipeline.metrics import extract_metrics
from tfnis.storage import store_and_table
from tfnis.storage.settings import AnonymiseSettings

logger, tracer = Logger(), Tracer()
# A failed batch is reported in batchItemFailures, not raised: BatchProcessingError's text would quote the errors.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
settings = AnonymiseSettings.from_env()


def record_handler(record: SQSRecord) -> None:
    store, table = store_and_table(settings)
    try:
        ref = submission_named(record.body, table=table)
    except UnreadableMessage as poison:  # to AnonymiseDLQ now: no retry can read it
        dead_letter(record.body, record.message_id, poison, store=store, log=logger.error)
        return
    where = ref.loggable()
    with failing_stage(
        "anonymisation", record, where, max_receive_count=settings.max_receive_count, table=table, log=logger.error
    ):
        try:
            outcome = anonymise_stage(ref, store=store, table=table)
        except ExtractRefused as refused:
            # Loud and at once: a retry would be refused the same way. The message still goes to the DLQ.
            violations = [str(v) for v in refused.violations]
            logger.error("research extract refused", extra={**where, "violations": violations})
            mark_failed(ref.la_code, ref.submission_id, "the research extract failed its privacy check", table=table)
            raise
        except DisclosureRefused as refused:
            # k cannot be reached within the suppression limit: nothing written; the reason holds counts only.
            logger.error("research extract refused by disclosure control", extra={**where, "reason": str(refused)})
            reason = f"disclosure control refused the extract: {refused}"
            mark_failed(ref.la_code, ref.submission_id, reason, table=table)
            raise
    if outcome == "complete":
        metrics = EphemeralMetrics()
        metrics.add_dimension("la_code", ref.la_code)
        for metric in extract_metrics(table.get(ref.la_code, ref.submission_id).counts):
            metrics.add_metric(metric.name, metric.unit, metric.value)
        metrics.flush_metrics()
    logger.info("anonymise stage", extra={**where, "outcome": outcome})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
