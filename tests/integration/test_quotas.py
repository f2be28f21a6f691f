"""Queue-time posting quotas (parley.publishing.quotas) through the API: the post over the network's rolling 24-hour
quota is refused naming the network and the field, nothing is written; cancelled posts free their place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parley.publishing import queue, quotas
from parley.shared import clock
from parley.store import ChannelRecord, PostRecord
from tests.integration.test_api_posts import Workspace, make_workspace
from tests.integration.test_api_queue import START, add_channel, manual


@pytest.fixture
def x_ws(aws: str, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    ws = make_workspace("Quota")
    ChannelRecord.get(ws.id, ws.channel_id).update(actions=[ChannelRecord.network.set("x")])
    monkeypatch.setitem(quotas.DAILY_POSTS, "x", 2)  # X's is 100: two keeps the test short
    return ws


def _queue(ws: Workspace, hours: float) -> tuple[int, dict]:
    at = (clock.now() + timedelta(hours=1 + hours)).isoformat()
    answer = ws.editor.call("POST", "/posts", {"text": f"At +{hours} h", "channels": [ws.channel_id], "publish_at": at})
    return answer.status, answer.body


def _posts(ws: Workspace) -> int:
    return sum(1 for _ in PostRecord.query(ws.id))


def test_the_post_over_the_quota_is_refused_naming_the_network(x_ws: Workspace) -> None:
    assert _queue(x_ws, 0)[0] == 201
    assert _queue(x_ws, 1)[0] == 201

    status, body = _queue(x_ws, 2)

    assert status == 422
    (problem,) = body["errors"]
    assert problem["field"] == "publish_at" and "x allows 2 posts per 24 hours" in problem["reason"]
    assert _posts(x_ws) == 2  # nothing written
    assert _queue(x_ws, 25.5)[0] == 201  # a day after the first two: a window of its own


def test_a_cancelled_post_frees_its_place_and_a_move_into_a_full_day_is_refused(x_ws: Workspace) -> None:
    first = _queue(x_ws, 0)[1]["id"]
    assert _queue(x_ws, 1)[0] == 201
    later = _queue(x_ws, 30)[1]["id"]

    moved = x_ws.editor.call("PATCH", f"/posts/{later}", {"publish_at": (clock.now() + timedelta(hours=3)).isoformat()})
    assert moved.status == 422 and moved.body["errors"][0]["field"] == "publish_at"

    assert x_ws.editor.call("DELETE", f"/posts/{first}").status == 200
    assert _queue(x_ws, 2)[0] == 201


# -- a post in the queue: each delivery at its own slot, each channel's quota on its own day ---------------

__all__ = ["manual"]  # the fixture: a manual clock from START, a Monday, 08:00 UTC


def _slots(ws: Workspace, channel_id: str, day: str) -> None:
    answer = ws.editor.call("PUT", f"/channels/{channel_id}/slots", {"times": [{"days": [day], "at": ["09:00"]}]})
    assert answer.status == 200, answer.body


def _at(ws: Workspace, day: int, hour: int) -> None:
    at = datetime(2030, 1, day, hour, tzinfo=UTC).isoformat()
    answer = ws.editor.call("POST", "/posts", {"text": f"{day} {hour}h", "channels": [ws.channel_id], "publish_at": at})
    assert answer.status == 201, answer.body


def _next_slot(ws: Workspace, channels: list[str]) -> Any:
    return ws.editor.call("POST", "/posts", {"text": "Queued", "channels": channels, "publish_at": "next_slot"})


def test_a_queued_posts_quota_is_checked_at_each_channels_own_slot(x_ws: Workspace, manual: Any) -> None:
    other = add_channel(x_ws)  # Bluesky: no quota; its slot is Monday, the X channel's Tuesday
    _slots(x_ws, other, "mon")
    _slots(x_ws, x_ws.channel_id, "tue")
    _at(x_ws, 8, 8)  # Tuesday 08:00 and 10:00 on X: Tuesday's 09:00 would be the third in 24 hours
    _at(x_ws, 8, 10)

    refused = _next_slot(x_ws, [other, x_ws.channel_id])

    assert refused.status == 422, refused.body  # counted at Monday 09:00 (the post's time), it was let through
    (problem,) = refused.body["errors"]
    assert problem["field"] == "publish_at" and "2030-01-08T09:00:00+00:00" in problem["reason"]
    assert _posts(x_ws) == 2  # nothing written, and both slots given back
    assert queue.claims(x_ws.id, other, START, None) == {}
    assert queue.claims(x_ws.id, x_ws.channel_id, START, None) == {}


def test_a_full_day_of_the_posts_earliest_slot_does_not_refuse_a_channel_going_out_later(
    x_ws: Workspace, manual: Any
) -> None:
    other = add_channel(x_ws)
    _slots(x_ws, other, "mon")
    _slots(x_ws, x_ws.channel_id, "wed")
    _at(x_ws, 7, 10)  # Monday is full on X; the X delivery goes out on Wednesday
    _at(x_ws, 7, 11)

    added = _next_slot(x_ws, [other, x_ws.channel_id])

    assert added.status == 201, added.body  # counted at Monday 09:00, it was refused
    times = {d["channel_id"]: d["publish_at"] for d in added.body["deliveries"]}
    assert times == {other: "2030-01-07T09:00:00Z", x_ws.channel_id: "2030-01-09T09:00:00Z"}


def test_a_timed_post_moved_to_the_queue_is_checked_at_its_new_slot(x_ws: Workspace, manual: Any) -> None:
    _slots(x_ws, x_ws.channel_id, "tue")
    _at(x_ws, 8, 8)
    _at(x_ws, 8, 10)
    timed = x_ws.editor.call(
        "POST", "/posts", {"text": "Fri", "channels": [x_ws.channel_id], "publish_at": "2030-01-11T09:00:00Z"}
    ).body

    refused = x_ws.editor.call("POST", f"/posts/{timed['id']}/queue")

    assert refused.status == 422 and refused.body["errors"][0]["field"] == "publish_at"
    assert x_ws.editor.call("GET", f"/posts/{timed['id']}").body["publish_at"] == "2030-01-11T09:00:00Z"
    assert queue.claims(x_ws.id, x_ws.channel_id, START, None) == {}  # the slot it took is given back
