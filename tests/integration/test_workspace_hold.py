"""Holding a workspace's queued posts by hand, and resuming them (DynamoDB and Scheduler on moto)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from parley.shared import clock
from parley.store import WorkspaceRecord
from tests.integration.test_api_posts import Workspace, draft, in_minutes, make_workspace, schedules


@pytest.fixture
def manual(aws: str) -> Iterator[clock.ManualClock]:
    previous = clock.get_clock()
    manual = clock.ManualClock(previous.now())
    clock.set_clock(manual)
    yield manual
    clock.set_clock(previous)


@pytest.fixture
def ws(manual: clock.ManualClock) -> Workspace:
    return make_workspace("Hold")


def _states(ws: Workspace, post_id: str) -> list[str]:
    return [d["state"] for d in ws.admin.call("GET", f"/posts/{post_id}").body["deliveries"]]


def test_hold_removes_schedules_and_resume_restores_them(ws: Workspace) -> None:
    post = ws.editor.call("POST", "/posts", draft(ws)).body
    assert any(post["id"] in name for name in schedules())

    held = ws.editor.call("POST", "/workspace/hold")
    assert held.status == 200 and held.body["held"] == [f"{post['id']}.{ws.channel_id}"]
    assert _states(ws, post["id"]) == ["held"] and not any(post["id"] in n for n in schedules())
    assert ws.viewer.call("POST", "/workspace/resume").status == 403

    resumed = ws.editor.call("POST", "/workspace/resume")
    assert resumed.body["resumed"] == [f"{post['id']}.{ws.channel_id}"]
    assert _states(ws, post["id"]) == ["scheduled"] and any(post["id"] in n for n in schedules())


def test_a_time_that_passed_while_held_is_refused_when_the_workspace_says_so(
    ws: Workspace, manual: clock.ManualClock
) -> None:
    WorkspaceRecord(ws.id).update(actions=[WorkspaceRecord.past_due_rule.set("refuse")])
    post = ws.editor.call("POST", "/posts", draft(ws, publish_at=in_minutes(10))).body
    ws.editor.call("POST", "/workspace/hold")
    manual.advance(timedelta(minutes=30).total_seconds())

    resumed = ws.editor.call("POST", "/workspace/resume").body
    assert resumed["resumed"] == [] and resumed["still_held"][0]["delivery"] == f"{post['id']}.{ws.channel_id}"
    assert _states(ws, post["id"]) == ["held"]


def test_posts_queued_while_held_are_held_until_resumed(ws: Workspace) -> None:
    ws.editor.call("POST", "/workspace/hold")
    post = ws.editor.call("POST", "/posts", draft(ws)).body
    assert post["status"] == "held" and not any(post["id"] in n for n in schedules())

    resumed = ws.editor.call("POST", "/workspace/resume").body
    assert resumed["resumed"] == [f"{post['id']}.{ws.channel_id}"]
    assert _states(ws, post["id"]) == ["scheduled"] and any(post["id"] in n for n in schedules())
    later = ws.editor.call("POST", "/posts", draft(ws)).body
    assert later["status"] == "scheduled"
