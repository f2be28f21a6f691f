"""The one poll schedule of a channel: a one-time `at()` schedule, deterministically named after the
channel, whose target is the poll function. Which time it is armed for is decided in
`parley.listening.watches` (a conditional write); this module only mirrors that time into Scheduler."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from parley.config import Settings
from parley.scheduling import one_time

POLL = "poll"


def schedule_name(channel_id: str) -> str:
    return f"poll-{channel_id}"[:64]


def poll_input(workspace_id: str, channel_id: str) -> str:
    return json.dumps({"action": POLL, "workspace_id": workspace_id, "channel_id": channel_id})


class PollScheduler:
    def __init__(self, settings: Settings, scheduler: Any) -> None:
        self._settings = settings
        self._scheduler = scheduler

    def upsert(self, workspace_id: str, channel_id: str, at: datetime) -> None:
        one_time.put(
            self._scheduler,
            self._settings,
            name=schedule_name(channel_id),
            at=at,
            target_arn=self._settings.poll_function_arn,
            payload=poll_input(workspace_id, channel_id),
        )

    def delete(self, channel_id: str) -> None:
        one_time.delete(self._scheduler, self._settings, schedule_name(channel_id))
