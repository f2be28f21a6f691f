"""One-time `at()` schedules: how parley puts and removes them (deliveries and polls alike).

Each deletes itself after it fired; a failure to hand its event over goes to the failures queue after
Scheduler's own retries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from parley import clock
from parley.config import Settings
from parley.names import SCHEDULER_MAX_EVENT_AGE_SECONDS, SCHEDULER_MAX_RETRIES


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
