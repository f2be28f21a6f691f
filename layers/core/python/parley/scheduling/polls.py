"""The one poll schedule of a channel: a one-time `at()` schedule, deterministically named after the
channel, whose target is the poll function. Which time it is armed for is decided in
`parley.listening.watches` (a conditional write); this module only mirrors that time into Scheduler."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from parley import clock
from parley.config import Settings
from parley.names import SCHEDULER_MAX_EVENT_AGE_SECONDS, SCHEDULER_MAX_RETRIES

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
        at = max(at, clock.now())
        request = {
            "Name": schedule_name(channel_id),
            "GroupName": self._settings.schedule_group,
            "ScheduleExpression": f"at({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "State": "ENABLED",
            "Target": {
                "Arn": self._settings.poll_function_arn,
                "RoleArn": self._settings.scheduler_role_arn,
                "Input": poll_input(workspace_id, channel_id),
                "RetryPolicy": {
                    "MaximumRetryAttempts": SCHEDULER_MAX_RETRIES,
                    "MaximumEventAgeInSeconds": SCHEDULER_MAX_EVENT_AGE_SECONDS,
                },
                "DeadLetterConfig": {"Arn": self._settings.scheduler_dlq_arn},
            },
        }
        try:
            self._scheduler.create_schedule(**request)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConflictException":
                raise
            self._scheduler.update_schedule(**request)

    def delete(self, channel_id: str) -> None:
        try:
            self._scheduler.delete_schedule(Name=schedule_name(channel_id), GroupName=self._settings.schedule_group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
