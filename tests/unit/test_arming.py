import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from parley.scheduling.arming import Arming, PublishMessage, schedule_name
from parley.shared import clock
from parley.shared.config import Settings
from parley.shared.names import SCHEDULE_LEAD_SECONDS
from parley.store.keys import DeliveryKey

NOW = datetime(2026, 11, 23, 12, 0, 0, 250_000, tzinfo=UTC)
KEY = DeliveryKey("ws_1", "p_1", "ch_1")


class FakeScheduler:
    """Unit-test stand-in for the Scheduler client: records calls, can raise like the real one."""

    def __init__(self) -> None:
        self.schedules: dict[str, dict[str, Any]] = {}

    def create_schedule(self, **request: Any) -> None:
        if request["Name"] in self.schedules:
            raise ClientError({"Error": {"Code": "ConflictException", "Message": "exists"}}, "CreateSchedule")
        self.schedules[request["Name"]] = request

    def update_schedule(self, **request: Any) -> None:
        self.schedules[request["Name"]] = request

    def delete_schedule(self, Name: str, GroupName: str) -> None:
        if Name not in self.schedules:
            raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no"}}, "DeleteSchedule")
        del self.schedules[Name]


class FakeQueue:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, **request: Any) -> None:
        self.sent.append(request)


@pytest.fixture
def parts() -> Iterator[tuple[Arming, FakeScheduler, FakeQueue]]:
    clock.set_clock(clock.ManualClock(NOW))
    settings = Settings.from_env({"PARLEY_PUBLISH_QUEUE_URL": "q", "PARLEY_SCHEDULE_GROUP": "g"})
    scheduler, queue = FakeScheduler(), FakeQueue()
    yield Arming(settings, scheduler, queue), scheduler, queue
    clock.set_clock(clock.SystemClock())


def test_a_far_delivery_gets_a_schedule_that_fires_the_lead_early(parts: Any) -> None:
    arming, scheduler, queue = parts
    due = NOW + timedelta(hours=1)
    arming.arm(PublishMessage(KEY, due), attempt=0)
    (request,) = scheduler.schedules.values()
    assert request["ScheduleExpression"] == f"at({(due - timedelta(seconds=SCHEDULE_LEAD_SECONDS)):%Y-%m-%dT%H:%M:%S})"
    assert request["ScheduleExpressionTimezone"] == "UTC"
    assert request["ActionAfterCompletion"] == "DELETE"
    assert json.loads(request["Target"]["Input"])["due_at"] == due.isoformat()
    assert queue.sent == []


def test_a_near_delivery_goes_straight_to_the_queue_delayed_to_its_second(parts: Any) -> None:
    arming, scheduler, queue = parts
    arming.arm(PublishMessage(KEY, NOW + timedelta(seconds=42.9)), attempt=0)
    assert scheduler.schedules == {}
    # visible 1 to 2 s early (QUEUE_EARLY_SECONDS): a slow pick-up is not late; the rest is waited in the function
    assert queue.sent[0]["DelaySeconds"] == 41


def test_a_due_delivery_keeps_a_minimum_delay_when_asked(parts: Any) -> None:
    arming, _, queue = parts
    arming.arm(PublishMessage(KEY, NOW - timedelta(seconds=5)), attempt=0, minimum_delay=1)
    assert queue.sent[0]["DelaySeconds"] == 1


def test_arming_again_moves_the_existing_schedule(parts: Any) -> None:
    arming, scheduler, _ = parts
    arming.arm(PublishMessage(KEY, NOW + timedelta(hours=1)), attempt=0)
    arming.arm(PublishMessage(KEY, NOW + timedelta(hours=2)), attempt=0)
    assert len(scheduler.schedules) == 1
    assert "T13:58:30" in scheduler.schedules[schedule_name(KEY, 0)]["ScheduleExpression"]


def test_a_hand_over_too_far_ahead_for_sqs_schedules_instead(parts: Any) -> None:
    arming, scheduler, queue = parts
    arming.hand_over(PublishMessage(KEY, NOW + timedelta(hours=3)))
    assert queue.sent == [] and len(scheduler.schedules) == 1


def test_cancelling_a_missing_schedule_is_fine(parts: Any) -> None:
    arming, _, _ = parts
    arming.cancel(KEY, attempt=0)


def test_schedule_names_fit_schedulers_limit() -> None:
    key = DeliveryKey("ws", "p_" + "0" * 26, "ch_" + "0" * 26)
    assert len(schedule_name(key, 9)) <= 64


def test_an_edit_to_a_near_time_removes_the_old_schedule(parts: Any) -> None:
    arming, scheduler, queue = parts
    arming.arm(PublishMessage(KEY, NOW + timedelta(hours=1)), attempt=0)
    arming.arm(PublishMessage(KEY, NOW + timedelta(seconds=30)), attempt=0, replacing=True)
    assert scheduler.schedules == {} and queue.sent[0]["DelaySeconds"] == 29
