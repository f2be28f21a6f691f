"""The media-uploads queue (S3's ObjectCreated events for the media bucket) -> check each upload."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from parley import store
from parley.media import uploads as media
from parley.shared.observability import logger, metrics

store.bind()


def check_one(record: SQSRecord) -> None:
    for key in media.uploaded_keys(record.json_body):
        outcome = media.check_uploaded(key)
        logger.info("media checked", extra={"key": key, "status": outcome})


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return process_partial_response(
        event=event, record_handler=check_one, processor=BatchProcessor(EventType.SQS), context=context
    )
