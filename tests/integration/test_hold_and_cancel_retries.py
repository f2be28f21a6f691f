"""Hold and cancel act on every delivery that has not gone out, a retry waiting for its next attempt too
(issue 15 item 7): the API over moto's DynamoDB/Scheduler/SQS, the publish step with a network stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from parley.connect import credentials
from parley.networks.base import Credential, TransientNetworkError
from parley.publishing import deliveries
from parley.publishing import publish as publishing
from parley.scheduling import PublishMessage
from parley.scheduling.arming import schedule_name
from parley.scheduling.wiring import arming
from parley.shared import clock
from parley.store import WorkspaceRecord
from parley.store.keys import DeliveryKey
from tests.integration.test_api_posts import Workspace, draft, in_minutes, make_workspace, schedules
from tests.integration.test_publishing import FaultyNetwork, due, net, state

__all__ = ["net"]  # the fixture


@pytest.fixture
def ws(net: FaultyNetwork) -> Iterator[Workspace]:
    workspace = make_workspace("Retries")
    credentials.save_credential("/parley/test/credential", Credential("acme.test", "secret", "http://127.0.0.1:1"))
    yield workspace


def manual() -> clock.ManualClock:
    now = clock.get_clock()
    assert isinstance(now, clock.ManualClock)
    return now


def retrying(ws: Workspace, net: FaultyNetwork) -> DeliveryKey:
    """A post whose first attempt met a rate limit: retrying, its next attempt armed in 7 minutes."""
    post_id = ws.editor.call("POST", "/posts", draft(ws, publish_at=in_minutes(30))).body["id"]
    key = DeliveryKey(ws.id, post_id, ws.channel_id)
    manual().set(state(key).due_at)
    net.script = [TransientNetworkError("rate limited", retry_at=clock.now() + timedelta(minutes=7))]
    assert publishing.handle_due(due(key), arming()).state == "retrying"
    assert schedule_name(key, 1) in schedules()
    return key


def test_a_hold_stops_a_waiting_retry_and_resume_puts_it_back_with_its_attempts(
    ws: Workspace, net: FaultyNetwork
) -> None:
    key = retrying(ws, net)
    next_attempt = state(key).due_at

    held = ws.editor.call("POST", "/workspace/hold")
    assert held.status == 200 and held.body["held"] == [key.id]
    assert state(key).state == "held" and schedule_name(key, 1) not in schedules()
    manual().set(next_attempt)
    assert publishing.handle_due(PublishMessage(key, next_attempt), arming()).state == "held"  # a queued message
    assert net.creates == 0

    manual().set(next_attempt - timedelta(minutes=5))
    resumed = ws.editor.call("POST", "/workspace/resume")
    assert resumed.body["resumed"] == [key.id]
    record = state(key)
    assert (record.state, record.attempt, record.due_at) == ("retrying", 1, next_attempt)
    assert schedule_name(key, 1) in schedules()
    manual().set(next_attempt)
    assert publishing.handle_due(due(key), arming()).state == "published"
    assert state(key).attempt == 2 and net.creates == 1


def test_a_held_retry_whose_time_passed_follows_the_workspaces_rule(ws: Workspace, net: FaultyNetwork) -> None:
    WorkspaceRecord(ws.id).update(actions=[WorkspaceRecord.past_due_rule.set("refuse")])
    key = retrying(ws, net)
    ws.editor.call("POST", "/workspace/hold")
    manual().advance(timedelta(minutes=30).total_seconds())
    resumed = ws.editor.call("POST", "/workspace/resume").body
    assert resumed["resumed"] == [] and resumed["still_held"][0]["delivery"] == key.id
    assert state(key).state == "held"

    WorkspaceRecord(ws.id).update(actions=[WorkspaceRecord.past_due_rule.set("publish")])
    ws.editor.call("POST", "/workspace/hold")
    assert ws.editor.call("POST", "/workspace/resume").body["resumed"] == [key.id]
    record = state(key)
    assert record.state == "retrying" and record.attempt == 1 and record.due_at > clock.now()


def test_cancelling_a_post_cancels_its_waiting_retry_and_its_schedule(ws: Workspace, net: FaultyNetwork) -> None:
    key = retrying(ws, net)
    answer = ws.editor.call("DELETE", f"/posts/{key.post_id}")
    assert answer.status == 200, answer.body
    assert answer.body["changed"] == [ws.channel_id] and answer.body["post"]["status"] == "cancelled"
    assert state(key).state == "cancelled" and schedule_name(key, 1) not in schedules()
    manual().set(state(key).due_at)
    assert publishing.handle_due(due(key), arming()).state == "cancelled" and net.creates == 0


def test_cancelling_a_held_retry_cancels_it(ws: Workspace, net: FaultyNetwork) -> None:
    key = retrying(ws, net)
    ws.editor.call("POST", "/workspace/hold")
    assert ws.editor.call("DELETE", f"/posts/{key.post_id}").status == 200
    assert state(key).state == "cancelled"


def test_an_attempt_under_way_is_neither_held_nor_cancelled(ws: Workspace, net: FaultyNetwork) -> None:
    key = retrying(ws, net)
    record = state(key)
    manual().set(record.due_at)
    deliveries.start_publishing(record, due_at=record.due_at, by="test")  # the retry is going out now

    assert ws.editor.call("POST", "/workspace/hold").body["held"] == []
    refused = ws.editor.call("DELETE", f"/posts/{key.post_id}")
    assert refused.status == 409 and refused.body["deliveries"][0]["state"] == "publishing"
    assert state(key).state == "publishing"


def test_a_held_retry_may_move_in_time_but_keeps_its_text(ws: Workspace, net: FaultyNetwork) -> None:
    key = retrying(ws, net)
    ws.editor.call("POST", "/workspace/hold")
    reworded = ws.editor.call("PATCH", f"/posts/{key.post_id}", {"text": "Other words"})
    assert reworded.status == 409 and "text cannot change" in reworded.body["deliveries"][0]["reason"]
    assert state(key).text == "Hello from parley"

    later = in_minutes(60)
    assert ws.editor.call("PATCH", f"/posts/{key.post_id}", {"publish_at": later}).status == 200
    assert ws.editor.call("POST", "/workspace/resume").body["resumed"] == [key.id]
    record = state(key)
    assert (record.state, record.attempt, record.due_at.isoformat()) == ("retrying", 1, later)
