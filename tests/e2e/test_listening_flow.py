"""Listening end to end: a post goes out on the local Bluesky network (with its AppView), people reply
(also to a reply) and mention the brand, the runtime's clock passes the poll cadence, and the team reads,
claims and answers them through the API. Reads after writes poll the AppView until it has indexed."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local import audience
from infra.local.audience import Ref
from infra.local.bluesky_net import BlueskyNetwork
from parley.shared import aws as parley_aws
from parley.shared.config import get_settings
from tests.e2e.test_publish_flow import Runtime, run_to_publish_time, runtime_with_channel

pytestmark = pytest.mark.bluesky


@pytest.fixture
def lt(bluesky_full: BlueskyNetwork, tmp_path: Path) -> Iterator[Runtime]:
    env = runtime_with_channel(bluesky_full, tmp_path / "state", "brand")
    yield env
    env.runtime.stop()


def _until(check: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"the AppView did not show {what} in {timeout} s")


def _indexed(net: BlueskyNetwork, uris: list[str]) -> bool:
    answer = requests.get(f"{net.appview_url}/xrpc/app.bsky.feed.getPosts", params={"uris": uris}, timeout=10)
    return answer.ok and len(answer.json().get("posts", [])) == len(uris)


def _poll_schedules() -> list[str]:
    listed = parley_aws.client("scheduler").list_schedules(GroupName=get_settings().schedule_group)
    return [s["Name"] for s in listed["Schedules"] if s["Name"].startswith("poll-")]


def _root(env: Runtime, post_id: str) -> Ref:
    (delivery,) = env.post(post_id)["deliveries"]
    return audience.post_ref(env.network.pds_url, delivery["remote_id"])


def test_with_nothing_published_no_poll_schedule_exists_and_nothing_polls(
    lt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parley.listening import poll

    runs: list[str] = []
    real = poll.run

    def spy(*args: Any, **kwargs: Any) -> Any:
        runs.append("ran")
        return real(*args, **kwargs)

    monkeypatch.setattr(poll, "run", spy)
    lt.advance(24 * 3600)  # a connected channel, nothing published
    assert runs == [] and _poll_schedules() == []

    lt.queue("Watched for a week, then let go")
    run_to_publish_time(lt)
    assert _poll_schedules() == [f"poll-{lt.channel_id}"]
    lt.advance(2 * 60)
    assert runs == ["ran"]  # the spy sees a poll when there is something to poll
    lt.advance(8 * 24 * 3600)  # past the watch window: that run was the last look
    assert _poll_schedules() == []
    runs.clear()
    lt.advance(30 * 24 * 3600)
    assert runs == []


def test_replies_and_mentions_arrive_once_with_their_parent_and_one_threaded_answer_goes_out(
    lt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    post = lt.queue("Our launch is today! Tell us what you think")
    run_to_publish_time(lt)
    root = _root(lt, post["id"])
    assert _poll_schedules() == [f"poll-{lt.channel_id}"]

    people = [lt.network.create_account(f"{n}{uuid.uuid4().hex[:8]}.test", "audience-pass") for n in "ab"]
    alice, bob = (audience.Person(lt.network.pds_url, p.handle, p.password) for p in people)
    made = audience.react(root, lt.account.handle, alice, bob, mood="happy")
    first, nested, mention = made["reply"], made["nested_reply"], made["mention"]
    _until(lambda: _indexed(lt.network, [first.uri, nested.uri, mention.uri]), "the replies")
    time.sleep(0.5)  # notifications are written with the post's indexing

    lt.advance(2 * 60)  # the first poll, two minutes after publishing
    lt.advance(5 * 60)  # and a later one: nothing twice
    items = {i["remote_id"]: i for i in lt.call("GET", "/inbox").json()["items"]}
    assert set(items) == {first.uri, nested.uri, mention.uri}
    assert items[first.uri]["parent_id"] == root.uri and items[first.uri]["post_id"] == post["id"]
    assert items[nested.uri]["parent_id"] == first.uri and items[nested.uri]["kind"] == "reply"
    assert items[first.uri]["sentiment"]["label"] == "positive" and items[first.uri]["sentiment"]["score"] > 0
    assert items[mention.uri]["kind"] == "mention" and items[mention.uri]["author"]["handle"] == alice.handle

    item_id = items[nested.uri]["id"]
    assert lt.call("POST", f"/inbox/{item_id}/claim").status_code == 200
    body = {"text": "Thank you! Glad you like it."}
    answers = [lt.call("POST", f"/inbox/{item_id}/reply", body, **{"Idempotency-Key": "answer-1"}) for _ in "12"]
    assert [a.status_code for a in answers] == [200, 200] and answers[0].json() == answers[1].json()
    assert answers[0].json()["status"] == "answered"
    again = lt.call("POST", f"/inbox/{item_id}/reply", body, **{"Idempotency-Key": "answer-2"})
    assert again.status_code == 409

    replies = [r for r in lt.records() if r["value"].get("reply")]
    (answer,) = replies
    assert answer["value"]["reply"]["parent"]["uri"] == nested.uri
    assert answer["value"]["reply"]["root"]["uri"] == root.uri

    # The API dies after posting the answer, before recording it; the client retries without a key.
    from parley.listening import inbox

    real = inbox._mark_answered
    crashes: list[int] = []

    def crash_once(*args: Any) -> None:
        if not crashes:
            crashes.append(1)
            raise RuntimeError("the function died before recording the answer")
        real(*args)

    monkeypatch.setattr(inbox, "_mark_answered", crash_once)
    mention_item = items[mention.uri]["id"]
    assert lt.call("POST", f"/inbox/{mention_item}/reply", {"text": "Hi! Yes, today."}).status_code == 500
    # The dead request's lease holds a retry off (409) until it expires; then the retry looks first.
    assert lt.call("POST", f"/inbox/{mention_item}/reply", {"text": "Hi! Yes, today."}).status_code == 409
    lt.advance(inbox.ANSWER_LEASE.total_seconds() + 1)
    assert lt.call("POST", f"/inbox/{mention_item}/reply", {"text": "Hi! Yes, today."}).status_code == 200
    answers_to_mention = [
        r for r in lt.records() if r["value"].get("reply", {}).get("parent", {}).get("uri") == mention.uri
    ]
    assert len(answers_to_mention) == 1

    # An approved answer, with the person's handle filled in.
    approved = lt.call("POST", "/answers", {"name": "thanks", "text": "Thanks {author}, {extra}"}).json()["id"]
    first_item = items[first.uri]["id"]
    templated_body: dict[str, Any] = {"answer_id": approved, "values": {"extra": "glad you like it!"}}
    assert lt.call("POST", f"/inbox/{first_item}/reply", templated_body).status_code == 200
    (templated,) = [r for r in lt.records() if r["value"].get("reply", {}).get("parent", {}).get("uri") == first.uri]
    assert templated["value"]["text"] == f"Thanks @{alice.handle}, glad you like it!"

    _until(lambda: _indexed(lt.network, [answer["uri"]]), "our answer")
    lt.advance(15 * 60)  # our own answers are not inbox material
    assert len(lt.call("GET", "/inbox").json()["items"]) == 3


def test_a_hashtag_listeners_match_arrives_once_and_a_removed_listener_leaves_no_schedule(lt: Runtime) -> None:
    body = {"channel_id": lt.channel_id, "kind": "hashtag", "value": "launchday"}
    listener = lt.call("POST", "/listeners", body).json()
    account = lt.network.create_account(f"c{uuid.uuid4().hex[:8]}.test", "carol-pass")
    carol = audience.Person(lt.network.pds_url, account.handle, account.password)
    match = carol.post("Big day today #launchday")
    carol.post("Nothing to see here")
    _until(lambda: _indexed(lt.network, [match.uri]), "the match")

    lt.advance(5 * 60)
    lt.advance(5 * 60)  # read again: nothing twice
    (item,) = lt.call("GET", "/inbox").json()["items"]
    assert item["remote_id"] == match.uri and item["kind"] == "listener" and item["listener_id"] == listener["id"]

    assert lt.call("DELETE", f"/listeners/{listener['id']}").status_code == 204
    lt.advance(5 * 60)  # the armed run finds nothing watched and removes the schedule
    assert _poll_schedules() == []


def test_a_spike_of_real_mentions_alerts_the_team_and_holds_queued_posts_until_resumed(
    lt: Runtime, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    settings = {"k": 1, "min_items": 3, "webhook_url": url, "auto_hold": True}
    assert lt.call("PUT", "/workspace/alerts", settings).status_code == 200
    post = lt.queue("Big news: we are changing our prices")
    run_to_publish_time(lt)
    later = lt.queue("Tomorrow: the details", minutes=24 * 60)

    people = [lt.network.create_account(f"m{n}{uuid.uuid4().hex[:8]}.test", "audience-pass") for n in range(3)]
    mentions = [
        audience.Person(lt.network.pds_url, p.handle, p.password).post(
            f"@{lt.account.handle} this is a terrible change", mention=lt.account.did
        )
        for p in people
    ]
    _until(lambda: _indexed(lt.network, [m.uri for m in mentions]), "the mentions")
    time.sleep(0.5)  # notifications are written with the post's indexing

    lt.advance(2 * 60)  # the channel's first poll files the mentions and checks the hour against its baseline
    texts = [r["text"] for r in received]  # the mentions spiked, and they were negative: two alerts
    assert len(texts) == 2 and any("mentions spiked" in t and "1 queued deliveries held" in t for t in texts)
    assert lt.post(later["id"])["status"] == "held"
    assert lt.post(post["id"])["status"] == "published"

    assert lt.call("POST", "/workspace/resume").status_code == 200
    assert lt.post(later["id"])["status"] == "scheduled"
