"""One-time `at()` schedules: how parley puts and removes them (deliveries, polls and token refreshes).

Each deletes itself after it fired; a failure to hand its event over goes to the failures queue after
Scheduler's own retries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from parley.shared import clock
from parley.shared.config import Settings
from parley.shared.names import SCHEDULER_MAX_EVENT_AGE_SECONDS, SCHEDULER_MAX_RETRIES


def put(scheduler: Any, settings: Settings, *, name: str, at: datetime, target_arn: str, payload: str) -> None:
    """Create the schedule, or move it if one of that name exists (times in the past fire at once)."""
    at = max(at, clock.now())
    request = {
        "Name": name,
        "GroupName": settings.schedule_group,
        "ScheduleExpression": f"at({at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "State": "ENABLED",
        "Target": {
            "Arn": target_arn,
            "RoleArn": settings.scheduler_role_arn,
            "Input": payload,
            "RetryPolicy": {
                "MaximumRetryAttempts": SCHEDULER_MAX_RETRIES,
                "MaximumEventAgeInSeconds": SCHEDULER_MAX_EVENT_AGE_SECONDS,
            },
            "DeadLetterConfig": {"Arn": settings.scheduler_dlq_arn},
        },
    }
    try:
        scheduler.create_schedule(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConflictException":
            raise
        scheduler.update_schedule(**request)


def delete(scheduler: Any, settings: Settings, name: str) -> None:
    """Remove the schedule; one that already fired (and deleted itself) is fine."""
    try:
        scheduler.delete_schedule(Name=name, GroupName=settings.schedule_group)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise


def channel_schedule_name(kind: str, channel_id: str) -> str:
    return f"{kind}-{channel_id}"[:64]


def channel_input(action: str, workspace_id: str, channel_id: str) -> str:
    return json.dumps({"action": action, "workspace_id": workspace_id, "channel_id": channel_id})


class ChannelSchedule:
    """A channel's one schedule of a kind (its poll, its token refresh): named `<kind>-<channel>` so it is
    moved rather than doubled, firing `{"action", "workspace_id", "channel_id"}` at one function."""

    def __init__(self, settings: Settings, scheduler: Any, *, kind: str, action: str, target_arn: str) -> None:
        self._settings = settings
        self._scheduler = scheduler
        self._kind = kind
        self._action = action
        self._target_arn = target_arn

    def upsert(self, workspace_id: str, channel_id: str, at: datetime) -> None:
        put(
            self._scheduler,
            self._settings,
            name=channel_schedule_name(self._kind, channel_id),
            at=at,
            target_arn=self._target_arn,
            payload=channel_input(self._action, workspace_id, channel_id),
        )

    def delete(self, channel_id: str) -> None:
        delete(self._scheduler, self._settings, channel_schedule_name(self._kind, channel_id))


def failed_channel_run(action: str, body: Any) -> tuple[str, str] | None:
    """(workspace, channel) of a channel schedule's run of `action` that failed: Lambda's on-failure record
    (`requestPayload` is the schedule's input) or the input Scheduler could not hand over."""
    if isinstance(body, dict) and isinstance(body.get("requestPayload"), dict):
        body = body["requestPayload"]
    if isinstance(body, dict) and body.get("action") == action:
        return str(body["workspace_id"]), str(body["channel_id"])
    return None
