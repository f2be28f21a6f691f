"""Scheduler (a delivery is due soon) and the publish queue (it is due now) -> the publish step."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from parley import store
from parley.publishing import publish as publishing
from parley.scheduling import PublishMessage
from parley.scheduling.wiring import arming
from parley.shared.observability import logger, metrics

store.bind()


def publish_one(record: SQSRecord) -> None:
    message = PublishMessage.from_dict(record.json_body)
    outcome = publishing.as_batch_item(lambda: publishing.handle_due(message, arming()))
    logger.info("publish step done", extra={"state": outcome.state, "detail": outcome.detail})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    if "Records" in event:
        # A failed record comes back through batchItemFailures. A batch whose every record failed (a lone
        # duplicate, usually) is no invocation error: as_batch_item logged each at its own level.
        processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)
        return process_partial_response(event=event, record_handler=publish_one, processor=processor, context=context)
    # A schedule fired (up to a minute late, maybe twice): hand the attempt to the delay queue.
    arming().hand_over(PublishMessage.from_dict(event))
    return {"armed": True}
