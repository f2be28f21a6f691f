"""The one token refresh schedule of a channel: a one-time `at()` schedule named after the channel, whose
target is the tokens function. When it is armed is decided in `parley.connect.upkeep`."""

from __future__ import annotations

from typing import Any

from parley.scheduling import one_time
from parley.shared.config import Settings

REFRESH_TOKEN = "refresh_token"


def schedule_name(channel_id: str) -> str:
    return one_time.channel_schedule_name("tokens", channel_id)


def refresh_input(workspace_id: str, channel_id: str) -> str:
    return one_time.channel_input(REFRESH_TOKEN, workspace_id, channel_id)


def failed_refresh(body: Any) -> tuple[str, str] | None:
    """(workspace, channel) of a refresh that failed (Lambda's on-failure record or Scheduler's DLQ)."""
    return one_time.failed_channel_run(REFRESH_TOKEN, body)


class TokenScheduler(one_time.ChannelSchedule):
    def __init__(self, settings: Settings, scheduler: Any) -> None:
        super().__init__(
            settings, scheduler, kind="tokens", action=REFRESH_TOKEN, target_arn=settings.tokens_function_arn
        )
