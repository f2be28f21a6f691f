"""Scheduler (a channel's poll is due) -> read its due watches and mentions, file them in the inbox."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from parley import store
from parley.listening import poll
from parley.scheduling.wiring import polls
from parley.shared.observability import logger, metrics

store.bind()


@logger.inject_lambda_context
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    workspace_id, channel_id = str(event["workspace_id"]), str(event["channel_id"])
    logger.append_keys(channel_id=channel_id)
    result = poll.run(workspace_id, channel_id, polls())
    logger.info(
        "poll done",
        extra={"polled": result.polled, "new": len(result.new_items), "network_calls": result.network_calls},
    )
    return {"polled": result.polled, "new": len(result.new_items), "next_poll": result.next_poll}
