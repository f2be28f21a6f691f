"""Queue-time posting quotas (parley.publishing.quotas) through the API: the post over the network's rolling 24-hour
quota is refused naming the network and the field, nothing is written; cancelled posts free their place."""

from __future__ import annotations

from datetime import timedelta

import pytest

from parley.publishing import quotas
from parley.shared import clock
from parley.store import ChannelRecord, PostRecord
from tests.integration.test_api_posts import Workspace, make_workspace


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
