"""Scheduler (a channel's token expires soon) -> renew it and arm the next refresh (parley.connect.upkeep)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from parley import store
from parley.connect import upkeep
from parley.scheduling.wiring import tokens
from parley.shared.config import get_settings
from parley.shared.observability import logger, metrics

store.bind()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    workspace_id, channel_id = str(event["workspace_id"]), str(event["channel_id"])
    logger.append_keys(channel_id=channel_id)
    result = upkeep.refresh_channel(workspace_id, channel_id, get_settings(), tokens())
    next_refresh = result.next_refresh.isoformat() if result.next_refresh else None
    logger.info("token upkeep done", extra={"outcome": result.outcome, "detail": result.detail, "next": next_refresh})
    return {"outcome": result.outcome, "next_refresh": next_refresh}
