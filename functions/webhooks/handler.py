"""The webhook queue -> each event sent to its endpoint, signed; a failed send comes back after its backoff."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from parley import store
from parley.shared.observability import logger, metrics
from parley.webhooks import sending

store.bind()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> Any:
    return sending.handle_batch(event["Records"])
