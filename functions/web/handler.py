"""API Gateway (`/` and `/app/{proxy+}`) -> the marketers' web app: HTML pages (routes in parley.web.app)."""

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from parley import store
from parley.shared.observability import logger, metrics
from parley.web.app import handle

store.bind()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return handle(event, context)
