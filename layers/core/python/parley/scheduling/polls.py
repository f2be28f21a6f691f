"""The one poll schedule of a channel: a one-time `at()` schedule, deterministically named after the
channel, whose target is the poll function. Which time it is armed for is decided in
`parley.listening.watches` (a conditional write); this module only mirrors that time into Scheduler."""

from __future__ import annotations

from typing import Any

from parley.scheduling import one_time
from parley.shared.config import Settings

POLL = "poll"


def schedule_name(channel_id: str) -> str:
    return one_time.channel_schedule_name("poll", channel_id)


def poll_input(workspace_id: str, channel_id: str) -> str:
    return one_time.channel_input(POLL, workspace_id, channel_id)


class PollScheduler(one_time.ChannelSchedule):
    def __init__(self, settings: Settings, scheduler: Any) -> None:
        super().__init__(settings, scheduler, kind="poll", action=POLL, target_arn=settings.poll_function_arn)
