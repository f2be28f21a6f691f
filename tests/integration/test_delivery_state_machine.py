"""Every transition is a conditional write: two racing actors have exactly one winner (moto's DynamoDB)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parley.publishing import deliveries
from parley.publishing.deliveries import State
from parley.shared import clock, ids
from parley.shared.errors import LostRace
from parley.shared.names import LEASE_SECONDS
from parley.store import DeliveryRecord
from parley.store.keys import DeliveryKey

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def manual(aws: str):
    manual = clock.ManualClock(START)
    clock.set_clock(manual)
    yield manual
    clock.set_clock(clock.SystemClock())


def make(publish_at: datetime = START) -> DeliveryRecord:
    key = DeliveryKey("ws_sm", "p_" + ids.new_id(), "ch_1")
    record = deliveries.new_delivery(key, network="bluesky", text="hi", publish_at=publish_at, publish_key="k")
    record.save()
    return record


def fresh(record: DeliveryRecord) -> DeliveryRecord:
    found = deliveries.get(DeliveryKey.of(record))
    assert found is not None
    return found


def test_only_one_of_two_racing_publishers_gets_the_lease(manual: clock.ManualClock) -> None:
    record = make()
    first, second = fresh(record), fresh(record)
    deliveries.start_publishing(first, due_at=START, by="a")
    with pytest.raises(LostRace):
        deliveries.start_publishing(second, due_at=START, by="b")
    assert fresh(record).lease_token == first.lease_token


def test_a_stale_due_time_cannot_start_publishing(manual: clock.ManualClock) -> None:
    record = make()
    with pytest.raises(LostRace):
        deliveries.start_publishing(fresh(record), due_at=START - timedelta(minutes=5), by="old message")


def test_an_expired_lease_can_be_taken_over_and_the_old_holder_can_no_longer_finish(
    manual: clock.ManualClock,
) -> None:
    record = make()
    crashed = deliveries.start_publishing(fresh(record), due_at=START, by="a")
    manual.advance(LEASE_SECONDS + 1)
    taker = deliveries.start_publishing(fresh(record), due_at=START, by="reconciler")
    assert taker.attempt == 2
    with pytest.raises(LostRace):
        deliveries.mark_published(crashed, remote_id="x", url="u", published_at=manual.now(), by="a")
    deliveries.mark_published(taker, remote_id="x", url="u", published_at=manual.now(), by="reconciler")
    assert fresh(record).state == State.PUBLISHED


def test_a_live_lease_cannot_be_taken_over(manual: clock.ManualClock) -> None:
    record = make()
    deliveries.start_publishing(fresh(record), due_at=START, by="a")
    manual.advance(LEASE_SECONDS - 1)
    with pytest.raises(LostRace):
        deliveries.start_publishing(fresh(record), due_at=START, by="b")


def test_published_records_id_url_and_lag(manual: clock.ManualClock) -> None:
    record = deliveries.start_publishing(make(), due_at=START, by="a")
    deliveries.mark_published(
        record, remote_id="at://x", url="https://u", published_at=START + timedelta(seconds=0.4), by="a"
    )
    done = fresh(record)
    assert (done.state, done.remote_id, done.url, done.lag_ms) == ("published", "at://x", "https://u", 400)
    assert done.lease_token is None
    assert [h["to"] for h in done.history] == ["scheduled", "publishing", "published"]


def test_a_cancel_during_a_publish_loses(manual: clock.ManualClock) -> None:
    record = make()
    stale_view = fresh(record)
    deliveries.start_publishing(fresh(record), due_at=START, by="publish")
    with pytest.raises(LostRace):
        deliveries.cancel(stale_view, by="api")
    assert fresh(record).state == State.PUBLISHING


def test_a_publish_after_a_cancel_loses(manual: clock.ManualClock) -> None:
    record = make()
    stale_view = fresh(record)
    deliveries.cancel(fresh(record), by="api")
    with pytest.raises(LostRace):
        deliveries.start_publishing(stale_view, due_at=START, by="publish")


def test_retrying_moves_the_due_time_and_the_next_attempt_needs_it(manual: clock.ManualClock) -> None:
    record = deliveries.start_publishing(make(), due_at=START, by="a")
    retry_at = START + timedelta(seconds=30)
    deliveries.mark_retrying(record, next_attempt_at=retry_at, error="timeout", by="a")
    with pytest.raises(LostRace):
        deliveries.start_publishing(fresh(record), due_at=START, by="old message")
    again = deliveries.start_publishing(fresh(record), due_at=retry_at, by="retry")
    assert again.attempt == 2 and again.state == State.PUBLISHING


def test_failed_is_final(manual: clock.ManualClock) -> None:
    record = deliveries.start_publishing(make(), due_at=START, by="a")
    deliveries.mark_failed(record, reason="the account was suspended", by="a")
    done = fresh(record)
    assert done.state == State.FAILED and done.failure_reason == "the account was suspended"
    for attempt in (
        lambda r: deliveries.cancel(r, by="x"),
        lambda r: deliveries.start_publishing(r, due_at=START, by="x"),
    ):
        with pytest.raises(LostRace):
            attempt(fresh(record))


def test_hold_and_resume(manual: clock.ManualClock) -> None:
    record = make()
    deliveries.hold(fresh(record), by="alerts")
    with pytest.raises(LostRace):
        deliveries.start_publishing(fresh(record), due_at=START, by="publish")
    later = START + timedelta(minutes=5)
    deliveries.resume(fresh(record), due_at=later, by="marketer")
    assert fresh(record).state == State.SCHEDULED and fresh(record).due_at == later


def test_the_state_index_follows_every_transition(manual: clock.ManualClock) -> None:
    record = deliveries.start_publishing(make(), due_at=START, by="a")
    assert fresh(record).state_key == "ws_sm#publishing"
