"""research_end: at ResearchEndDate destroy every personal object and the pseudonym key; certify it in AuditBucket.

Invoked once by the EventBridge Scheduler schedule, whose input carries "confirm": true; any other invocation
without it is refused, so a stray test event cannot destroy a live study's data.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from tfnis.pipeline.failures import StageFailed, failure_fields
from tfnis.pipeline.research_end import destroy_personal_data
from tfnis.storage import store_and_table
from tfnis.storage.settings import ResearchEndSettings

logger, tracer = Logger(), Tracer()
settings = ResearchEndSettings.from_env()


class NotConfirmed(PermissionError):
    """The event did not say "confirm": true."""


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("confirm") is not True:
        raise NotConfirmed('research_end destroys all personal data; invoke it with {"confirm": true}')
    store, table = store_and_table(settings)
    try:
        certificate = destroy_personal_data(store, table, trigger=str(event.get("source") or "schedule"))
    except Exception as error:
        # Raised again for Lambda's retries and ResearchEndDLQ, but cleaned: the runtime logs the message.
        logger.error("research end failed", extra=failure_fields(error))
        raise StageFailed.of("research end", error) from None
    logger.info(
        "personal data destroyed",
        extra={
            "certificate": certificate.key,
            "objects_deleted": {b.role: b.versions_deleted + b.delete_markers_deleted for b in certificate.buckets},
            "key_state": certificate.pseudonym_key.state,
        },
    )
    return certificate.document()  # counts and names only: fit to print (tfnis demo --research-end does)
