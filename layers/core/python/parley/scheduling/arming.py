"""Getting a delivery's attempt to the publish function at the right second.

Scheduler may fire up to a minute late, so a delivery's one-time schedule fires SCHEDULE_LEAD_SECONDS
early and hands the attempt to the publish queue with DelaySeconds = the time left less one second; SQS
then delivers it 1 to 2 s before `due_at`, and the publish step prepares and waits out the rest (never
early).
docs/publishing-on-time.md gives the reasoning.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from parley.scheduling import one_time
from parley.shared import clock
from parley.shared.config import Settings
from parley.shared.names import MAX_SQS_DELAY_SECONDS, QUEUE_EARLY_SECONDS, SCHEDULE_LEAD_SECONDS
from parley.store.keys import DeliveryKey

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
        """Send the attempt to the publish queue, delayed to 1 to 2 s before its due second
        (QUEUE_EARLY_SECONDS: the function waits out the rest)."""
        left = (message.due_at - clock.now()).total_seconds()
        if left > MAX_SQS_DELAY_SECONDS:  # fired far too early (an edit moved it): schedule again
            self._upsert_schedule(message, 0, message.due_at - timedelta(seconds=SCHEDULE_LEAD_SECONDS))
            return
        delay = max(minimum_delay, math.floor(left) - QUEUE_EARLY_SECONDS) if left > 0 else minimum_delay
        self._sqs.send_message(
            QueueUrl=self._settings.publish_queue_url,
            MessageBody=message.to_json(),
            DelaySeconds=int(min(delay, MAX_SQS_DELAY_SECONDS)),
        )

    def cancel(self, key: DeliveryKey, attempt: int) -> None:
        one_time.delete(self._scheduler, self._settings, schedule_name(key, attempt))

    def _upsert_schedule(self, message: PublishMessage, attempt: int, fire_at: datetime) -> None:
        one_time.put(
            self._scheduler,
            self._settings,
            name=schedule_name(message.key, attempt),
            at=fire_at,
            target_arn=self._settings.publish_function_arn,
            payload=message.to_json(),
        )
