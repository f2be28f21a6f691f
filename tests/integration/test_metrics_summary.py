"""GET /metrics/summary reads what the writes added up (issue 15 item 11): a bounded number of DynamoDB calls
whatever the period holds, and the same answer as reading every post's deliveries, links and snapshots."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import botocore.client

from parley.metrics import snapshots
from parley.shared import clock, ids
from parley.shared.config import get_settings
from parley.store import ChannelRecord, DeliveryRecord, LinkRecord
from parley.store.keys import click_tally_key, post_key
from tests.integration.test_api_posts import Workspace, draft, make_workspace
from tests.integration.test_metrics import click, codes_in


@contextlib.contextmanager
def dynamodb_calls() -> Iterator[list[tuple[str, str]]]:
    """Every DynamoDB call made in the block, as (operation, table), whichever client makes it (PynamoDB's or
    boto3's): botocore's one entry point, wrapped."""
    calls: list[tuple[str, str]] = []
    real = botocore.client.BaseClient._make_api_call

    def counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            tables = [params["TableName"]] if "TableName" in params else sorted(params.get("RequestItems", {}))
            calls.append((operation, ",".join(tables)))
        return real(self, operation, params)

    botocore.client.BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.client.BaseClient._make_api_call = real  # type: ignore[method-assign]


def add_channel(ws: Workspace, network: str = "mastodon") -> str:
    channel_id = "ch_" + ids.new_id()
    ChannelRecord(
        ws.id,
        channel_id,
        network=network,
        handle=f"acme@{network}.test",
        remote_id="1",
        service_url="http://127.0.0.1:1",
        credential_parameter="/parley/test/credential",
        created_at=clock.now(),
        created_by="m_test",
    ).save()
    return channel_id


def publish(post_id: str, hours_ago: float) -> None:
    """Marks every delivery of the post published (as the publish function's transition does)."""
    for record in DeliveryRecord.query(post_id):
        record.update(
            actions=[
                DeliveryRecord.state.set("published"),
                DeliveryRecord.state_key.set(f"{record.workspace_id}#published"),
                DeliveryRecord.published_at.set(clock.now() - timedelta(hours=hours_ago)),
            ]
        )


def poll(ws: Workspace, post_id: str, channel_id: str, network: str = "bluesky", **counters: int) -> None:
    watch = SimpleNamespace(workspace_id=ws.id, post_id=post_id, channel_id=channel_id)
    snapshots.record(watch, network, counters)


def seed(ws: Workspace, frozen: clock.ManualClock, count: int, start: int = 0) -> list[str]:
    """`count` posts on the workspace's channels, each with a link, published, polled and clicked."""
    channels = [c.channel_id for c in ChannelRecord.query(ws.id)]
    made = []
    for n in range(start, start + count):
        text = f"Post {n} https://example.com/{n}"
        body = draft(ws, text=text, channels=channels, campaign="launch" if n % 2 else None)
        post = ws.editor.call("POST", "/posts", body).body
        publish(post["id"], hours_ago=1 + n % 30)
        for delivery in post["deliveries"]:
            channel, network = delivery["channel_id"], delivery["network"]
            poll(ws, post["id"], channel, network, like=n, repost=1, impression=10 * n)
            frozen.advance(120)
            poll(ws, post["id"], channel, network, like=n + 2, repost=1, reply=n % 3, impression=20 * n)
            for code in codes_in(delivery["text"])[: 1 + n % 2]:
                for _ in range(n % 4):
                    click(code)
                click(code, "Twitterbot/1.0")
        made.append(post["id"])
    return made


def summary_query() -> str:
    now = clock.now()
    start, end = (now - timedelta(days=3)).isoformat(), (now + timedelta(days=2)).isoformat()
    return f"from={start.replace('+', '%2B')}&to={end.replace('+', '%2B')}"


def data_calls(calls: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The calls the summary itself makes (not the token check's)."""
    auth = {get_settings().tables[t] for t in get_settings().tables if t.value in {"tokens", "members", "workspaces"}}
    return [c for c in calls if not set(c[1].split(",")) & auth]


def test_a_summary_makes_the_same_few_dynamodb_calls_whatever_the_period_holds(
    short_links_on: None, frozen: clock.ManualClock
) -> None:
    # issue 15 item 11: it made 1 + 3 per post (a post's deliveries, its links, each delivery's newest snapshot)
    ws = make_workspace()
    add_channel(ws)
    seed(ws, frozen, 4)
    query = summary_query()
    with dynamodb_calls() as few:
        small = ws.viewer.call("GET", f"/metrics/summary?{query}")
    assert small.status == 200, small.body
    assert small.body["totals"]["posts"] == 4 and small.body["totals"]["deliveries"] == 8

    seed(ws, frozen, 20, start=4)
    with dynamodb_calls() as many:
        large = ws.viewer.call("GET", f"/metrics/summary?{query}")
    assert large.status == 200, large.body
    assert large.body["totals"]["posts"] == 24 and large.body["totals"]["deliveries"] == 48

    tables = get_settings().tables
    posts, deliveries, links = (tables[t] for t in tables if t.value in ("posts", "deliveries", "links"))
    # One Query for the period's posts, one BatchGetItem for their deliveries (with their newest counters), one
    # for the deliveries' click totals: 100 deliveries per BatchGetItem, so the bound is 1 + 2 * ceil(d / 100).
    expected = [("Query", posts), ("BatchGetItem", deliveries), ("BatchGetItem", links)]
    assert data_calls(few) == expected
    assert data_calls(many) == expected
    assert len(many) == len(few)


def forget_what_was_added_up(post_ids: list[str]) -> None:
    """The posts' deliveries as a parley from before the tallies left them: no counters on the delivery, no
    `tallied`, no click tally (their links and snapshots are all there is)."""
    for post_id in post_ids:
        for record in DeliveryRecord.query(post_id):
            record.update(
                actions=[
                    DeliveryRecord.counters.remove(),
                    DeliveryRecord.counters_at.remove(),
                    DeliveryRecord.tallied.remove(),
                ]
            )
            tally = click_tally_key(post_key(record.workspace_id, post_id), record.channel_id)
            LinkRecord(tally).delete()


def test_the_summary_answers_what_reading_every_posts_links_and_snapshots_answers(
    short_links_on: None, frozen: clock.ManualClock
) -> None:
    ws = make_workspace()
    second = add_channel(ws)
    made = seed(ws, frozen, 6)
    # A poll retried (the same snapshot twice) and one that lands late (older than the newest): the newest counts.
    late_post = made[0]
    poll(ws, late_post, ws.channel_id, like=40, repost=4)
    newest = frozen.now()
    poll(ws, late_post, ws.channel_id, like=40, repost=4)
    frozen.set(newest - timedelta(seconds=30))
    poll(ws, late_post, ws.channel_id, like=1)
    frozen.set(newest + timedelta(seconds=60))
    query = summary_query()
    paths = [
        f"/metrics/summary?{query}",
        f"/metrics/summary?{query}&channel={second}",
        f"/metrics/summary?{query}&format=csv",
    ]
    added_up = [ws.viewer.call("GET", path).body for path in paths]
    assert added_up[0]["totals"]["posts"] == 6 and added_up[0]["totals"]["deliveries"] == 12
    late_row = next(
        r for r in added_up[0]["deliveries"] if r["post_id"] == late_post and r["channel_id"] == ws.channel_id
    )
    assert (late_row["likes"], late_row["reposts"]) == (40, 4)
    assert added_up[0]["totals"]["clicks"] == sum(int(r.clicks or 0) for r in links_of(made))
    assert added_up[0]["totals"]["previews"] == 12
    # The tallies are no links of the post's metrics.
    metrics = ws.viewer.call("GET", f"/posts/{made[1]}/metrics").body
    assert [len(d["links"]) for d in metrics["deliveries"]] == [1, 1]

    forget_what_was_added_up(made[:3])  # some deliveries from before the tallies, some after
    assert [ws.viewer.call("GET", path).body for path in paths] == added_up
    forget_what_was_added_up(made[3:])
    assert [ws.viewer.call("GET", path).body for path in paths[1:]] == added_up[1:]
    with dynamodb_calls() as calls:
        assert ws.viewer.call("GET", paths[0]).body == added_up[0]
    # Read as before the tallies: the posts, their deliveries, then per post a Query on its links and per
    # delivery one for its newest snapshot.
    assert len(data_calls(calls)) == 2 + 6 + 12


def links_of(post_ids: list[str]) -> list[LinkRecord]:
    return [
        link
        for post_id in post_ids
        for link in LinkRecord.by_post.query(snapshots.post_key(ws_of(post_id), post_id))
        if "@" not in link.code
    ]


def ws_of(post_id: str) -> str:
    return next(iter(DeliveryRecord.query(post_id))).workspace_id
