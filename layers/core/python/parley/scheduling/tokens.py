"""The one token refresh schedule of a channel: a one-time `at()` schedule named after the channel, whose
target is the tokens function. When it is armed is decided in `parley.token_upkeep`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from parley.config import Settings
from parley.scheduling import one_time

REFRESH_TOKEN = "refresh_token"


def schedule_name(channel_id: str) -> str:
    return f"tokens-{channel_id}"[:64]


def refresh_input(workspace_id: str, channel_id: str) -> str:
    return json.dumps({"action": REFRESH_TOKEN, "workspace_id": workspace_id, "channel_id": channel_id})


def failed_refresh(body: Any) -> tuple[str, str] | None:
    """(workspace, channel) of a refresh that failed (Lambda's on-failure record or Scheduler's DLQ)."""
    if isinstance(body, dict) and isinstance(body.get("requestPayload"), dict):
        body = body["requestPayload"]
    if isinstance(body, dict) and body.get("action") == REFRESH_TOKEN:
        return str(body["workspace_id"]), str(body["channel_id"])
    return None


class TokenScheduler:
    def __init__(self, settings: Settings, scheduler: Any) -> None:
        self._settings = settings
        self._scheduler = scheduler

    def upsert(self, workspace_id: str, channel_id: str, at: datetime) -> None:
        one_time.put(
            self._scheduler,
            self._settings,
            name=schedule_name(channel_id),
            at=at,
            target_arn=self._settings.tokens_function_arn,
            payload=refresh_input(workspace_id, channel_id),
        )

    def delete(self, channel_id: str) -> None:
        one_time.delete(self._scheduler, self._settings, schedule_name(channel_id))
