"""Getting a delivery's attempt to the publish function at the right second.

Scheduler may fire up to a minute late, so a delivery's one-time schedule fires SCHEDULE_LEAD_SECONDS
early and hands the attempt to the publish queue with DelaySeconds = the time left; SQS then delivers
it within about a second of `due_at`, and the publish step waits out the last fraction (never early).
docs/publishing-on-time.md gives the reasoning.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from parley import clock
from parley.config import Settings
from parley.deliveries import DeliveryKey
from parley.names import (
    MAX_SQS_DELAY_SECONDS,
    SCHEDULE_LEAD_SECONDS,
    SCHEDULER_MAX_EVENT_AGE_SECONDS,
    SCHEDULER_MAX_RETRIES,
)

ARM = "arm"


@dataclass(frozen=True)
class PublishMessage:
    """What travels through the schedule and the publish queue: which delivery, due when."""

    key: DeliveryKey
    due_at: datetime

    def to_json(self) -> str:
        return json.dumps({"action": ARM, **self.key.to_dict(), "due_at": self.due_at.isoformat()})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PublishMessage:
        return cls(DeliveryKey.from_dict(data), datetime.fromisoformat(str(data["due_at"])))


def schedule_name(key: DeliveryKey, attempt: int) -> str:
    # One name per attempt: a retry's schedule is created while the previous one may still exist.
    return f"d-{key.post_id}-{key.channel_id}-{attempt}"


class Arming:
    def __init__(self, settings: Settings, scheduler: Any, sqs: Any) -> None:
        self._settings = settings
        self._scheduler = scheduler
        self._sqs = sqs

    def arm(self, message: PublishMessage, attempt: int, minimum_delay: int = 0, replacing: bool = False) -> None:
        """Make sure the attempt reaches the publish queue at `due_at`: a schedule if it is far off,
        the queue itself (delayed) if it is close. `replacing`: an earlier time was armed (an edit)."""
        now = clock.now()
        fire_at = message.due_at - timedelta(seconds=SCHEDULE_LEAD_SECONDS)
        if fire_at <= now:
            if replacing:
                self.cancel(message.key, attempt)  # its message would only be found stale
            self.hand_over(message, minimum_delay)
        else:
            self._upsert_schedule(message, attempt, fire_at)

    def hand_over(self, message: PublishMessage, minimum_delay: int = 0) -> None:
        """Send the attempt to the publish queue, delayed to (just under) its due second."""
        left = (message.due_at - clock.now()).total_seconds()
        if left > MAX_SQS_DELAY_SECONDS:  # fired far too early (an edit moved it): schedule again
            self._upsert_schedule(message, 0, message.due_at - timedelta(seconds=SCHEDULE_LEAD_SECONDS))
            return
        delay = max(minimum_delay, math.floor(left)) if left > 0 else minimum_delay
        self._sqs.send_message(
            QueueUrl=self._settings.publish_queue_url,
            MessageBody=message.to_json(),
            DelaySeconds=int(min(delay, MAX_SQS_DELAY_SECONDS)),
        )

    def cancel(self, key: DeliveryKey, attempt: int) -> None:
        try:
            self._scheduler.delete_schedule(Name=schedule_name(key, attempt), GroupName=self._settings.schedule_group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise

    def _upsert_schedule(self, message: PublishMessage, attempt: int, fire_at: datetime) -> None:
        fire_at = max(fire_at, clock.now())
        request = {
            "Name": schedule_name(message.key, attempt),
            "GroupName": self._settings.schedule_group,
            "ScheduleExpression": f"at({fire_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "State": "ENABLED",
            "Target": {
                "Arn": self._settings.publish_function_arn,
                "RoleArn": self._settings.scheduler_role_arn,
                "Input": message.to_json(),
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
