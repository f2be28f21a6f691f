"""Issue 15 item 11: page cursors are signed and bound to what they page. A cursor the API did not give out
for this listing (forged, changed, cut short, another workspace's, another listing's or another filter's) is
a 400 naming `cursor`, and nothing is sent to DynamoDB for it; a real one pages as before."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from pynamodb.connection.base import Connection

from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.names import Env, Table, physical_name
from parley.store import PostRecord, WebhookDeliveryRecord
from tests.integration.test_api_posts import Workspace, draft, in_minutes, make_workspace
from tests.support.api import Answer


@pytest.fixture
def ws(aws: str) -> Workspace:
    return make_workspace()


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, str | None, Any]]]:
    """Every Query sent to DynamoDB: (table, index, ExclusiveStartKey)."""
    sent: list[tuple[str, str | None, Any]] = []
    original = Connection.query

    def query(self: Connection, table_name: str, hash_key: str, *args: Any, **kwargs: Any) -> Any:
        sent.append((table_name, kwargs.get("index_name"), kwargs.get("exclusive_start_key")))
        return original(self, table_name, hash_key, *args, **kwargs)

    monkeypatch.setattr(Connection, "query", query)
    yield sent


def unsigned(key: dict[str, Any]) -> str:
    """A cursor as the API used to give them out: base64url of DynamoDB's last evaluated key, nothing more."""
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def refused(answer: Answer) -> bool:
    return answer.status == 400 and [e["field"] for e in answer.body.get("errors", [])] == ["cursor"]


def queue(ws: Workspace, n: int) -> list[str]:
    return [ws.editor.call("POST", "/posts", draft(ws, publish_at=in_minutes(10 + i))).body["id"] for i in range(n)]


def on_posts(sent: list[tuple[str, str | None, Any]]) -> list[tuple[str, str | None, Any]]:
    tables = {physical_name(Table.POSTS), physical_name(Table.DELIVERIES)}
    return [q for q in sent if q[0] in tables]


def test_a_real_cursor_pages_through_every_post_once(ws: Workspace) -> None:
    ids = queue(ws, 5)
    seen: list[str] = []
    cursor = ""
    for _ in range(5):
        page = ws.viewer.call("GET", f"/posts?limit=2{cursor}")
        assert page.status == 200, page.body
        seen += [p["id"] for p in page.body["items"]]
        if not page.body["next_cursor"]:
            break
        cursor = f"&cursor={page.body['next_cursor']}"
    assert seen == ids[::-1]


def test_a_forged_cursor_is_refused_and_never_reaches_dynamodb(
    ws: Workspace, queries: list[tuple[str, str | None, Any]]
) -> None:
    ids = queue(ws, 3)
    post = PostRecord.get(ws.id, ids[2])
    # What an attacker writes: the last evaluated key of their choosing, encoded as the old cursors were.
    forged = unsigned(
        {"workspace_id": {"S": ws.id}, "post_id": {"S": post.post_id}, "publish_key": {"S": post.publish_key}}
    )
    queries.clear()

    answer = ws.viewer.call("GET", f"/posts?limit=2&cursor={forged}")

    assert refused(answer), (answer.status, answer.body)
    assert "cursor this API gave out" in answer.body["errors"][0]["reason"]
    assert on_posts(queries) == []


def test_a_changed_or_cut_short_cursor_is_refused(ws: Workspace, queries: list[tuple[str, str | None, Any]]) -> None:
    queue(ws, 3)
    cursor = ws.viewer.call("GET", "/posts?limit=1").body["next_cursor"]
    changed = cursor[:10] + ("A" if cursor[10] != "A" else "B") + cursor[11:]
    queries.clear()

    for bad in (changed, cursor[:-4], cursor[: len(cursor) // 2], cursor + "AAAA"):
        answer = ws.viewer.call("GET", f"/posts?limit=1&cursor={bad}")
        assert refused(answer), (bad, answer.status, answer.body)
    assert on_posts(queries) == []
    assert ws.viewer.call("GET", f"/posts?limit=1&cursor={cursor}").status == 200


def test_another_workspaces_cursor_is_refused(ws: Workspace) -> None:
    other = make_workspace("Other")
    other.editor.call("POST", "/posts", draft(other, publish_at=in_minutes(10)))
    other.editor.call("POST", "/posts", draft(other, publish_at=in_minutes(11)))
    queue(ws, 2)
    theirs = other.viewer.call("GET", "/posts?limit=1").body["next_cursor"]
    assert theirs

    assert refused(ws.viewer.call("GET", f"/posts?limit=1&cursor={theirs}"))
    assert other.viewer.call("GET", f"/posts?limit=1&cursor={theirs}").status == 200


def test_a_cursor_works_only_in_the_listing_and_with_the_filters_it_came_from(ws: Workspace) -> None:
    queue(ws, 3)
    plain = ws.viewer.call("GET", "/posts?limit=1").body["next_cursor"]
    scheduled = ws.viewer.call("GET", "/posts?status=scheduled&limit=1").body["next_cursor"]
    since = (clock.now() + timedelta(minutes=5)).isoformat().replace("+", "%2B")
    ranged = ws.viewer.call("GET", f"/posts?since={since}&limit=1").body["next_cursor"]
    assert plain and scheduled and ranged

    # the index, its partition and its range differ: DynamoDB would be handed a key of another query
    assert refused(ws.viewer.call("GET", f"/posts?limit=1&cursor={scheduled}"))
    assert refused(ws.viewer.call("GET", f"/posts?status=scheduled&limit=1&cursor={plain}"))
    assert refused(ws.viewer.call("GET", f"/posts?status=published&limit=1&cursor={scheduled}"))
    assert refused(ws.viewer.call("GET", f"/posts?limit=1&cursor={ranged}"))
    assert refused(ws.viewer.call("GET", f"/inbox?limit=1&cursor={plain}"))
    # the page size is not part of it
    assert ws.viewer.call("GET", f"/posts?status=scheduled&limit=5&cursor={scheduled}").status == 200
    assert ws.viewer.call("GET", f"/posts?since={since}&limit=5&cursor={ranged}").status == 200


def _log(ws: Workspace, webhook_id: str, n: int) -> None:
    for i in range(n):
        at = clock.now() + timedelta(seconds=i)
        WebhookDeliveryRecord(
            webhook_id,
            f"evt_{i}",
            time_key=f"{at.isoformat()}#evt_{i}",
            workspace_id=ws.id,
            event_type="post.published",
            payload="{}",
            status="delivered",
            attempts=1,
            created_at=at,
        ).save()


def test_a_webhook_logs_cursor_works_only_for_that_endpoint(
    ws: Workspace, queries: list[tuple[str, str | None, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(Env.OUTBOUND_ALLOWED_HOSTS.value, "127.0.0.1")  # the endpoints' URL is checked when saved
    get_settings.cache_clear()
    hooks = []
    for _ in range(2):
        answer = ws.admin.call("POST", "/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["post.published"]})
        assert answer.status == 201, answer.body
        hooks.append(answer.body["id"])
        _log(ws, answer.body["id"], 3)
    get_settings.cache_clear()
    first = ws.viewer.call("GET", f"/webhooks/{hooks[0]}/deliveries?limit=2")
    assert first.status == 200 and len(first.body["items"]) == 2 and first.body["next_cursor"]
    rest = ws.viewer.call("GET", f"/webhooks/{hooks[0]}/deliveries?limit=2&cursor={first.body['next_cursor']}")
    assert rest.status == 200 and [d["id"] for d in rest.body["items"]] == ["evt_0"], rest.body
    queries.clear()

    assert refused(ws.viewer.call("GET", f"/webhooks/{hooks[1]}/deliveries?limit=2&cursor={first.body['next_cursor']}"))
    forged = unsigned({"webhook_id": {"S": hooks[1]}, "event_id": {"S": "evt_2"}, "time_key": {"S": "9999"}})
    assert refused(ws.viewer.call("GET", f"/webhooks/{hooks[1]}/deliveries?cursor={forged}"))
    assert [q for q in queries if q[0] == physical_name(Table.WEBHOOK_DELIVERIES)] == []
