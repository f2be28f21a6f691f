"""The inbox's claims and the channel's poll arming against DynamoDB and Scheduler (moto's server)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any, cast

import pytest

from parley.connect import adapters, credentials
from parley.listening import inbox, watches
from parley.listening.seen import item_id
from parley.networks.base import (
    Adapter,
    Credential,
    InvalidCredential,
    PermanentNetworkError,
    Published,
    TransientNetworkError,
)
from parley.scheduling.polls import PollScheduler, schedule_name
from parley.shared import aws as parley_aws
from parley.shared import clock, ids
from parley.shared.config import get_settings
from parley.shared.errors import Conflict
from parley.store import ChannelRecord, DeliveryRecord, InboxRecord
from parley.team import members, tokens
from tests.support.api import ApiClient


def _item(workspace_id: str, channel_id: str, text: str = "Is this out yet?", **extra: Any) -> InboxRecord:
    now = clock.now()
    uri = f"at://did:plc:alice/app.bsky.feed.post/{ids.new_id()}"
    key = item_id("bluesky", uri)
    fields: dict[str, Any] = {
        "arrival_key": f"{watches.stamp(now)}#{key}",
        "kind": "reply",
        "network": "bluesky",
        "channel_id": channel_id,
        "remote_id": uri,
        "remote_cid": "cid",
        "root_id": uri,
        "root_cid": "cid",
        "author_handle": "alice.test",
        "author_id": "did:plc:alice",
        "text": text,
        "url": "https://bsky.app/profile/alice.test/post/x",
        "created_at": now,
        "arrived_at": now,
        "sentiment": "neutral",
        "sentiment_score": 0.0,
    } | extra
    record = InboxRecord(workspace_id, key, **fields)
    record.save()
    return record


@pytest.fixture
def team(aws: str) -> tuple[tokens.IssuedToken, tokens.IssuedToken, tokens.IssuedToken]:
    admin = tokens.create_workspace("Inbox", "Ada")
    ed = tokens.add_member(admin.workspace_id, "Ed", members.Role.EDITOR)
    bo = tokens.add_member(admin.workspace_id, "Bo", members.Role.EDITOR)
    return admin, ed, bo


def _principal(token: tokens.IssuedToken) -> members.Principal:
    return members.Principal(token.workspace_id, token.member_id, token.role)


def test_two_concurrent_claims_have_one_winner(team: Any) -> None:
    _, ed, bo = team
    item = _item(ed.workspace_id, "ch_x")
    outcomes: dict[str, str] = {}
    start = threading.Barrier(2)

    def claim(token: tokens.IssuedToken) -> None:
        start.wait()
        try:
            inbox.claim(_principal(token), item.item_id)
            outcomes[token.member_id] = "won"
        except Conflict as exc:
            outcomes[token.member_id] = f"lost:{exc.extra['claimed_by']}"

    threads = [threading.Thread(target=claim, args=(t,)) for t in (ed, bo)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [m for m, o in outcomes.items() if o == "won"]
    assert len(winners) == 1
    (loser,) = [o for o in outcomes.values() if o != "won"]
    assert loser == f"lost:{winners[0]}"


def test_the_api_tells_the_loser_who_holds_the_item_and_release_frees_it(team: Any) -> None:
    _, ed, bo = team
    item = _item(ed.workspace_id, "ch_x")
    assert ApiClient(ed.token).call("POST", f"/inbox/{item.item_id}/claim").status == 200
    lost = ApiClient(bo.token).call("POST", f"/inbox/{item.item_id}/claim")
    assert lost.status == 409 and lost.body["claimed_by_name"] == "Ed"
    assert ApiClient(bo.token).call("POST", f"/inbox/{item.item_id}/release").status == 409
    assert ApiClient(ed.token).call("POST", f"/inbox/{item.item_id}/release").body["status"] == "new"
    assert ApiClient(bo.token).call("POST", f"/inbox/{item.item_id}/dismiss").body["status"] == "dismissed"


def test_another_workspaces_item_is_not_found(team: Any) -> None:
    admin, _, _ = team
    other = tokens.create_workspace("Other", "Oz")
    item = _item(other.workspace_id, "ch_y")
    assert ApiClient(admin.token).call("POST", f"/inbox/{item.item_id}/claim").status == 404
    assert ApiClient(admin.token).call("POST", f"/inbox/{item.item_id}/reply", {"text": "hi"}).status == 404


def test_answering_an_answered_item_or_with_bad_text_is_refused(team: Any) -> None:
    admin, _, _ = team
    answered = _item(admin.workspace_id, "ch_x", status="answered", answer_id="at://a", answer_url="u")
    fresh = _item(admin.workspace_id, "ch_x")
    api = ApiClient(admin.token)
    assert api.call("POST", f"/inbox/{answered.item_id}/reply", {"text": "again"}).status == 409
    assert api.call("POST", f"/inbox/{fresh.item_id}/reply", {"text": "  "}).status == 422
    assert api.call("POST", f"/inbox/{fresh.item_id}/reply", {"text": "x" * 301}).status == 422


def test_the_inbox_lists_newest_first_filters_and_pages(team: Any) -> None:
    admin, _, _ = team
    api = ApiClient(admin.token)
    for n in range(3):
        _item(admin.workspace_id, "ch_a", text=f"a{n}", sentiment="negative" if n == 1 else "neutral")
        clock_item = _item(admin.workspace_id, "ch_b", text=f"b{n}")
    assert clock_item
    first = api.call("GET", "/inbox?limit=4")
    assert first.status == 200 and len(first.body["items"]) == 4 and first.body["next_cursor"]
    rest = api.call("GET", f"/inbox?limit=4&cursor={first.body['next_cursor']}")
    seen = [i["text"] for i in first.body["items"] + rest.body["items"]]
    assert sorted(seen) == ["a0", "a1", "a2", "b0", "b1", "b2"]
    negative = api.call("GET", "/inbox?sentiment=negative").body["items"]
    assert [i["text"] for i in negative] == ["a1"]
    assert api.call("GET", "/inbox?status=bogus").status == 422


def _published(workspace_id: str, channel_id: str) -> DeliveryRecord:
    now = clock.now()
    return DeliveryRecord(
        "p_" + ids.new_id(),
        channel_id,
        workspace_id=workspace_id,
        network="bluesky",
        text="t",
        state="published",
        state_key=f"{workspace_id}#published",
        publish_at=now,
        publish_key="k",
        due_at=now,
        remote_id="at://did:plc:brand/app.bsky.feed.post/x",
        published_at=now,
        updated_at=now,
    )


def _schedule(channel_id: str) -> dict[str, Any] | None:
    client = parley_aws.client("scheduler")
    try:
        return dict(client.get_schedule(Name=schedule_name(channel_id), GroupName=get_settings().schedule_group))
    except client.exceptions.ResourceNotFoundException:
        return None


@pytest.fixture
def manual_clock() -> Any:
    previous = clock.get_clock()
    manual = clock.ManualClock(previous.now())
    clock.set_clock(manual)
    yield manual
    clock.set_clock(previous)


def test_one_poll_schedule_per_channel_moved_only_earlier_and_gone_when_nothing_is_watched(
    aws: str, manual_clock: clock.ManualClock
) -> None:
    polls = PollScheduler(get_settings(), parley_aws.client("scheduler"))
    workspace_id, channel_id = "ws_" + ids.new_id(), "ch_" + ids.new_id()
    first = _published(workspace_id, channel_id)
    assert watches.watch(first, polls, timedelta(hours=1))
    assert not watches.watch(first, polls, timedelta(hours=1))  # registering twice changes nothing
    armed = watches.poll_state(workspace_id, channel_id)
    assert armed is not None and armed.armed_for == first.published_at + timedelta(minutes=2)
    assert _schedule(channel_id) is not None

    watches.arm_by(workspace_id, channel_id, clock.now() + timedelta(hours=1), polls)  # later: no move
    state = watches.poll_state(workspace_id, channel_id)
    assert state is not None and state.armed_for == armed.armed_for

    manual_clock.advance(2 * 3600)  # the schedule fired (the firer is not running here); past the window
    (due,) = watches.due(workspace_id, channel_id, clock.now())
    assert watches.claim(due, clock.now())  # the last look
    assert not watches.claim(due, clock.now())  # a duplicate run gets nothing
    assert watches.rearm(workspace_id, channel_id, polls) is None
    assert _schedule(channel_id) is None
    state = watches.poll_state(workspace_id, channel_id)
    assert state is None or state.armed_for is None


def test_a_poll_run_that_failed_is_armed_again_by_the_reconciler(aws: str, manual_clock: clock.ManualClock) -> None:
    import json

    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from functions.reconciler.handler import settle_one
    from parley.scheduling.polls import poll_input

    polls = PollScheduler(get_settings(), parley_aws.client("scheduler"))
    workspace_id, channel_id = "ws_" + ids.new_id(), "ch_" + ids.new_id()
    assert watches.watch(_published(workspace_id, channel_id), polls, timedelta(days=1))
    manual_clock.advance(180)  # the schedule fired; the run failed three times (its schedule is gone)
    parley_aws.client("scheduler").delete_schedule(
        Name=schedule_name(channel_id), GroupName=get_settings().schedule_group
    )
    on_failure = {
        "requestContext": {"condition": "RetriesExhausted"},
        "requestPayload": json.loads(poll_input(workspace_id, channel_id)),
    }

    settle_one(SQSRecord({"messageId": "m", "body": json.dumps(on_failure), "attributes": {}}))

    state = watches.poll_state(workspace_id, channel_id)
    assert state is not None and state.armed_for == clock.now() + timedelta(minutes=5)
    assert _schedule(channel_id) is not None


def test_approved_answers_are_kept_per_workspace_and_their_placeholders_must_be_filled(team: Any) -> None:
    admin, _, _ = team
    api, viewer = (
        ApiClient(admin.token),
        ApiClient(tokens.add_member(admin.workspace_id, "V", members.Role.VIEWER).token),
    )
    created = api.call("POST", "/answers", {"name": "delay", "text": "Hi {author}, it ships on {date}."})
    assert created.status == 201 and created.body["placeholders"] == ["author", "date"]
    answer_id = created.body["id"]
    assert viewer.call("POST", "/answers", {"name": "x", "text": "y"}).status == 403
    assert [a["id"] for a in viewer.call("GET", "/answers").body["items"]] == [answer_id]
    assert api.call("PUT", f"/answers/{answer_id}", {"name": "delay", "text": "Hi {author}! {date}"}).status == 200

    item = _item(admin.workspace_id, "ch_x")
    missing = api.call("POST", f"/inbox/{item.item_id}/reply", {"answer_id": answer_id})
    assert missing.status == 422 and missing.body["errors"][0]["field"] == "values.date"
    unknown = api.call("POST", f"/inbox/{item.item_id}/reply", {"answer_id": "ans_nope"})
    assert unknown.status == 404
    both = api.call("POST", f"/inbox/{item.item_id}/reply", {"answer_id": answer_id, "text": "hi"})
    assert both.status == 422

    other = tokens.create_workspace("Elsewhere", "Oz")
    assert ApiClient(other.token).call("GET", f"/answers/{answer_id}").status == 404
    assert api.call("DELETE", f"/answers/{answer_id}").status == 204
    assert api.call("GET", f"/answers/{answer_id}").status == 404


def test_listeners_keep_the_channel_polled_and_are_scoped_to_the_workspace(aws: str) -> None:
    from tests.integration.test_api_posts import make_workspace

    ws = make_workspace("Listeners")
    other = make_workspace("Other listeners")
    body = {"channel_id": ws.channel_id, "kind": "hashtag", "value": "#launch"}
    assert other.admin.call("POST", "/listeners", body).status == 404  # another workspace's channel
    assert ws.viewer.call("POST", "/listeners", body).status == 403
    assert ws.admin.call("POST", "/listeners", body | {"value": "two words"}).status == 422
    created = ws.editor.call("POST", "/listeners", body)
    assert created.status == 201 and created.body["query"] == "#launch"
    assert _schedule(ws.channel_id) is not None
    assert [item["id"] for item in ws.viewer.call("GET", "/listeners").body["items"]] == [created.body["id"]]
    assert other.admin.call("DELETE", f"/listeners/{created.body['id']}").status == 404
    assert ws.editor.call("DELETE", f"/listeners/{created.body['id']}").status == 204
    assert ws.viewer.call("GET", "/listeners").body["items"] == []


def test_a_keyword_listener_on_mastodon_is_refused_naming_kind(aws: str) -> None:
    from tests.integration.test_api_posts import make_workspace

    ws = make_workspace("Mastodon listeners")
    channel = ChannelRecord.get(ws.id, ws.channel_id)
    channel.update(actions=[ChannelRecord.network.set("mastodon")])
    body = {"channel_id": ws.channel_id, "kind": "keyword", "value": "launch"}
    refused = ws.editor.call("POST", "/listeners", body)
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "kind"
    assert ws.editor.call("POST", "/listeners", body | {"kind": "hashtag"}).status == 201


class _BusyNetwork:
    """A stand-in adapter (a fake: the network's answer is what is tested here, not the network)."""

    network = "bluesky"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def reply(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (TransientNetworkError("Mastodon's rate limit was reached", retry_at=None), 503),
        (PermanentNetworkError("Mastodon refused to post the answer: Text too long"), 422),
        (InvalidCredential("Mastodon says the access token was revoked"), 409),
    ],
)
def test_an_answer_the_network_cannot_take_is_a_problem_and_leaves_the_item_as_it_was(
    aws: str, error: Exception, status: int
) -> None:
    from tests.integration.test_api_posts import make_workspace

    ws = make_workspace("Busy network")
    credentials.save_credential("/parley/test/credential", Credential("acme.test", "secret", "http://127.0.0.1:1"))
    item = _item(ws.id, ws.channel_id)
    adapters.set_factory(lambda network, credential, sessions: cast(Adapter, _BusyNetwork(error)))
    try:
        answer = ws.editor.call("POST", f"/inbox/{item.item_id}/reply", {"text": "Soon!"})
    finally:
        adapters.set_factory(None)
    assert answer.status == status and "Mastodon" in answer.body["detail"]
    assert ws.editor.call("GET", f"/inbox/{item.item_id}").body["status"] == "new"


def test_a_rate_limited_answer_says_when_to_come_back(aws: str) -> None:
    from tests.integration.test_api_posts import make_workspace

    ws = make_workspace("Rate limited")
    credentials.save_credential("/parley/test/credential", Credential("acme.test", "secret", "http://127.0.0.1:1"))
    item = _item(ws.id, ws.channel_id)
    before = clock.get_clock()
    manual = clock.ManualClock(clock.now())
    later = manual.now() + timedelta(minutes=15)
    clock.set_clock(manual)
    busy = _BusyNetwork(TransientNetworkError("rate limit", retry_at=later))
    adapters.set_factory(lambda n, c, s: cast(Adapter, busy))
    try:
        answer = ws.editor.call("POST", f"/inbox/{item.item_id}/reply", {"text": "Soon!"})
    finally:
        adapters.set_factory(None)
        clock.set_clock(before)
    assert answer.status == 503 and answer.headers["Retry-After"] == "900"


class _AnsweringNetwork:
    """A stand-in adapter that takes every answer (a fake: what is tested is who may talk to the network)."""

    network = "bluesky"

    def __init__(self) -> None:
        self.answers: list[str] = []

    def reply(self, key: str, when: Any, text: str, **kwargs: Any) -> Published:
        self.answers.append(text)
        return Published(f"at://did:plc:x/app.bsky.feed.post/{len(self.answers)}", "https://bsky.app/x", when)


def test_a_second_answer_while_one_is_on_its_way_is_held_off_until_the_first_is_gone(aws: str) -> None:
    from tests.integration.test_api_posts import make_workspace

    ws = make_workspace("Racing answers")
    credentials.save_credential("/parley/test/credential", Credential("acme.test", "secret", "http://127.0.0.1:1"))
    item = _item(ws.id, ws.channel_id)
    before = clock.get_clock()
    manual = clock.ManualClock(clock.now())
    clock.set_clock(manual)
    network = _AnsweringNetwork()
    adapters.set_factory(lambda n, c, s: cast(Adapter, network))
    try:
        inbox._take_answering_lease(InboxRecord.get(ws.id, item.item_id))  # a first request, talking to the network
        racing = ws.editor.call("POST", f"/inbox/{item.item_id}/reply", {"text": "Me too!"})
        manual.advance(inbox.ANSWER_LEASE.total_seconds() + 1)  # the first request died
        after = ws.editor.call("POST", f"/inbox/{item.item_id}/reply", {"text": "Thanks!"})
    finally:
        adapters.set_factory(None)
        clock.set_clock(before)
    assert racing.status == 409 and "being sent" in racing.body["detail"]
    assert after.status == 200 and after.body["status"] == "answered"
    assert network.answers == ["Thanks!"]
    assert InboxRecord.get(ws.id, item.item_id).answering_until is None


def test_an_answer_whose_fate_is_unknown_holds_off_a_retry_until_its_lease_ends_then_goes_once(aws: str) -> None:
    """A timeout after the network may have taken the answer: an immediate retry must not answer twice."""
    from tests.integration.test_api_posts import make_workspace

    ws = make_workspace("Unknown fate")
    credentials.save_credential("/parley/test/credential", Credential("acme.test", "secret", "http://127.0.0.1:1"))
    item = _item(ws.id, ws.channel_id)
    before = clock.get_clock()
    manual = clock.ManualClock(clock.now())
    clock.set_clock(manual)
    network = _AnsweringNetwork()
    try:
        adapters.set_factory(lambda n, c, s: cast(Adapter, _BusyNetwork(TransientNetworkError("read timed out"))))
        first = ws.editor.call("POST", f"/inbox/{item.item_id}/reply", {"text": "Thanks!"})
        adapters.set_factory(lambda n, c, s: cast(Adapter, network))
        retried = ws.editor.call("POST", f"/inbox/{item.item_id}/reply", {"text": "Thanks!"})
        manual.advance(inbox.ANSWER_LEASE.total_seconds() + 1)
        later = ws.editor.call("POST", f"/inbox/{item.item_id}/reply", {"text": "Thanks!"})
    finally:
        adapters.set_factory(None)
        clock.set_clock(before)
    assert first.status == 503
    assert retried.status == 409 and "being sent" in retried.body["detail"]
    assert later.status == 200 and network.answers == ["Thanks!"]


def test_an_answer_the_network_refused_frees_the_item_at_once(aws: str) -> None:
    from tests.integration.test_api_posts import make_workspace

    ws = make_workspace("Refused answer")
    credentials.save_credential("/parley/test/credential", Credential("acme.test", "secret", "http://127.0.0.1:1"))
    item = _item(ws.id, ws.channel_id)
    network = _AnsweringNetwork()
    try:
        adapters.set_factory(lambda n, c, s: cast(Adapter, _BusyNetwork(PermanentNetworkError("Text too long"))))
        assert ws.editor.call("POST", f"/inbox/{item.item_id}/reply", {"text": "Thanks!"}).status == 422
        adapters.set_factory(lambda n, c, s: cast(Adapter, network))
        assert ws.editor.call("POST", f"/inbox/{item.item_id}/reply", {"text": "Thanks!"}).status == 200
    finally:
        adapters.set_factory(None)
    assert network.answers == ["Thanks!"]
