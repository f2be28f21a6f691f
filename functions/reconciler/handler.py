"""The failures queue -> settle the delivery that a crash, a timeout or a lost event left behind."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from parley import store
from parley.connect import upkeep
from parley.listening import watches
from parley.publishing import publish as publishing
from parley.scheduling.tokens import failed_refresh
from parley.scheduling.wiring import arming, failed_message, failed_poll, polls, tokens
from parley.shared.observability import logger, metrics

store.bind()


def settle_one(record: SQSRecord) -> None:
    publishing.as_batch_item(lambda: _settle(record))  # a duplicate quietly, anything else with its traceback


def _settle(record: SQSRecord) -> None:
    poll = failed_poll(record.json_body)
    if poll is not None:
        watches.arm_by(*poll, watches.retry_time(), polls())  # the failed run's schedule is gone: arm another
        return
    refresh = failed_refresh(record.json_body)
    if refresh is not None:
        upkeep.retry_soon(*refresh, tokens())  # the failed run's schedule is gone: arm another
        return
    message = failed_message(record.json_body)
    if message is None:
        logger.error("not a parley delivery message; left for a person", extra={"body": record.body[:500]})
        raise ValueError("unrecognised failure record")
    outcome = publishing.settle(message.key, arming())
    logger.info("settled", extra={"delivery_id": message.key.id, "state": outcome.state, "detail": outcome.detail})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    # A failed record comes back through batchItemFailures. A batch whose every record failed (a lone
    # duplicate, usually) is no invocation error: as_batch_item logged each at its own level.
    processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=settle_one, processor=processor, context=context)
