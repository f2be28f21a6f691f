"""Publishing a thread on moto's endpoint (docs/threads.md), with a stand-in Bluesky network that keys each
record by its record key, as the PDS does: each part once, a crash after part 3 of 5 resumed at part 4 with
parts 1-3 not posted again, a part refused for good leaving the delivery `partial`, a cancel stopping it."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parley.connect import adapters, credentials
from parley.networks.base import (
    Account,
    Credential,
    PermanentNetworkError,
    Published,
    PublishRequest,
    SessionStore,
    TransientNetworkError,
)
from parley.publishing import deliveries, posts, thread_steps
from parley.publishing import publish as publishing
from parley.publishing.deliveries import State
from parley.scheduling import PublishMessage
from parley.scheduling.wiring import arming
from parley.shared import clock, ids
from parley.shared.config import get_settings
from parley.shared.errors import FieldProblem
from parley.shared.names import LEASE_SECONDS
from parley.store import ChannelRecord, DeliveryRecord, WatchRecord
from parley.store.keys import DeliveryKey
from parley.team import members, tokens
from tests.support.api import ApiClient

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


class Crash(BaseException):
    """The process dies (not an error the publish step could settle)."""


@dataclass
class Pds:
    """Stand-in Bluesky adapter: records keyed by their key (a second create with one key is refused, as the
    PDS refuses a duplicate record key), replies with their root and parent."""

    records: dict[str, dict[str, str]] = field(default_factory=dict)
    creates: list[str] = field(default_factory=list)
    crash_after: str | None = None  # the key whose record lands, then the process dies
    refuse: str | None = None  # the key refused for good
    flaky: str | None = None  # the key whose first create times out (nothing written)
    after_reply: Callable[[], object] | None = None  # what happens meanwhile, after a reply lands
    network: str = "bluesky"

    def adapter(self, network: str, credential: Credential, sessions: SessionStore) -> Pds:
        return self

    def check_text(self, text: str) -> list[FieldProblem]:
        return []

    def verify(self, credential: Credential) -> Account:
        raise NotImplementedError

    def _create(self, key: str, text: str, **reply: str) -> Published:
        if key == self.refuse:
            raise PermanentNetworkError("Bluesky refused to post the answer: InvalidRequest")
        if key == self.flaky:
            self.flaky = None
            raise TransientNetworkError("Bluesky did not answer in time (trying to post the answer)")
        assert key not in self.records, f"{key} posted twice"
        self.creates.append(key)
        self.records[key] = {"uri": f"at://did:plc:brand/app.bsky.feed.post/{len(self.records)}", "text": text, **reply}
        if key == self.crash_after:
            raise Crash(key)
        return self._published(key)

    def _published(self, key: str, found: bool = False) -> Published:
        uri = self.records[key]["uri"]
        return Published(uri, "https://bsky.app/" + uri[-1], clock.now(), already_there=found, cid="cid-" + uri[-1])

    def publish(self, request: PublishRequest) -> Published:
        if request.look_first and request.delivery_id in self.records:
            return self._published(request.delivery_id, found=True)
        return self._create(request.delivery_id, request.text)

    def find(self, request: PublishRequest) -> Published | None:
        return self._published(request.delivery_id, True) if request.delivery_id in self.records else None

    def reply(self, key: str, when: datetime, text: str, parent: tuple[str, str], root: tuple[str, str]) -> Published:
        if key in self.records:  # BlueskyAdapter.reply looks by its record key first
            return self._published(key, found=True)
        published = self._create(key, text, parent=parent[0], parent_cid=parent[1], root=root[0], root_cid=root[1])
        if self.after_reply is not None:
            self.after_reply()
        return published


@pytest.fixture
def pds(aws: str) -> Iterator[Pds]:
    clock.set_clock(clock.ManualClock(START))
    fake = Pds()
    adapters.set_factory(fake.adapter)
    yield fake
    adapters.set_factory(None)
    clock.set_clock(clock.SystemClock())


def thread_delivery(parts: int = 5, workspace_id: str = "ws_thr", network: str = "bluesky") -> DeliveryKey:
    channel_id = bluesky_channel(workspace_id, network)
    key = DeliveryKey(workspace_id, "p_" + ids.new_id(), channel_id)
    record = deliveries.new_delivery(key, network=network, text="part 1", publish_at=START, publish_key="k")
    later: list[str] = [f"part {i}" for i in range(2, parts + 1)]
    record.thread = later  # type: ignore[assignment]
    record.thread_mode = "replies"
    record.save()
    return key


def bluesky_channel(workspace_id: str, network: str = "bluesky") -> str:
    channel_id = "ch_" + ids.new_id()
    parameter = credentials.credential_parameter(get_settings().parameter_prefix, workspace_id, channel_id)
    credentials.save_credential(parameter, Credential("brand.test", "secret", "http://127.0.0.1:1"))
    ChannelRecord(
        workspace_id,
        channel_id,
        network=network,
        handle="brand.test",
        remote_id="did:plc:brand",
        service_url="http://127.0.0.1:1",
        credential_parameter=parameter,
        created_at=START,
        created_by="mem_1",
    ).save()
    return channel_id


def state(key: DeliveryKey) -> DeliveryRecord:
    record = deliveries.get(key)
    assert record is not None
    return record


def keys(key: DeliveryKey, n: int) -> list[str]:
    return [thread_steps.part_key(key.id, i) for i in range(n)]


def assert_chained(pds: Pds, key: DeliveryKey, n: int) -> None:
    """Part i>0 replies to part i-1, under part 1 as root, with their cids (strong refs)."""
    all_keys = keys(key, n)
    root = pds.records[all_keys[0]]
    for before, this in itertools.pairwise(all_keys):
        assert pds.records[this]["parent"] == pds.records[before]["uri"]
        assert pds.records[this]["parent_cid"] == "cid-" + pds.records[before]["uri"][-1]
        assert pds.records[this]["root"] == root["uri"]
        assert pds.records[this]["root_cid"] == "cid-" + root["uri"][-1]


def test_part_keys_are_the_deliverys_own_for_the_first_and_distinct_and_stable_for_the_others() -> None:
    assert thread_steps.part_key("p_1.ch_1", 0) == "p_1.ch_1"  # a one-part post keeps its key
    assert thread_steps.part_key("p_1.ch_1", 3) == "p_1.ch_1/part/3" == thread_steps.part_key("p_1.ch_1", 3)
    assert len({thread_steps.part_key("p_1.ch_1", i) for i in range(26)}) == 26


def test_a_five_part_thread_goes_out_once_chained_and_shows_each_part(pds: Pds) -> None:
    key = thread_delivery(5)
    outcome = publishing.handle_due(PublishMessage(key, START), arming())
    assert outcome.state == State.PUBLISHED.value
    assert pds.creates == keys(key, 5)
    assert_chained(pds, key, 5)
    record = state(key)
    assert record.remote_id == pds.records[key.id]["uri"]  # the delivery's post is the first part
    shown = posts.delivery_view(record)["parts"]
    assert [p["state"] for p in shown] == ["published"] * 5
    assert [p["remote_id"] for p in shown] == [pds.records[k]["uri"] for k in keys(key, 5)]


def test_a_crash_after_part_3_of_5_resumes_at_part_4_and_never_posts_1_to_3_again(pds: Pds) -> None:
    key = thread_delivery(5)
    pds.crash_after = thread_steps.part_key(key.id, 2)  # part 3 lands on the network, then the process dies
    with pytest.raises(Crash):
        publishing.handle_due(PublishMessage(key, START), arming())
    assert [int(p["index"]) for p in state(key).parts_out or []] == [0, 1]  # part 3 is out but not recorded
    pds.crash_after = None
    clock.get_clock().sleep(LEASE_SECONDS + 1)  # type: ignore[attr-defined]
    assert publishing.settle(key, arming()).state == State.PUBLISHED.value  # the reconciler takes over
    assert pds.creates == keys(key, 5)  # each part created once: 1-3 before the crash, 4-5 after
    assert_chained(pds, key, 5)
    assert [int(p["index"]) for p in state(key).parts_out or []] == [0, 1, 2, 3, 4]


def test_a_part_refused_for_good_leaves_the_delivery_partial_with_the_parts_out_and_why(pds: Pds) -> None:
    key = thread_delivery(5)
    pds.refuse = thread_steps.part_key(key.id, 2)
    outcome = publishing.handle_due(PublishMessage(key, START), arming())
    assert outcome.state == State.PARTIAL.value
    record = state(key)
    assert record.state == "partial" and State.PARTIAL in deliveries.FINAL
    assert "2 of 5 parts are out; part 3 of 5 was not posted" in (record.failure_reason or "")
    assert "InvalidRequest" in (record.failure_reason or "")
    assert record.published_at is not None and record.remote_id == pds.records[key.id]["uri"]  # it is watched
    watches = WatchRecord.query(f"{key.workspace_id}#{key.channel_id}")
    assert [w.remote_id for w in watches if w.post_id == key.post_id] == [record.remote_id]
    assert [p["state"] for p in posts.delivery_view(record)["parts"]] == ["published"] * 2 + ["not_sent"] * 3
    assert pds.creates == keys(key, 2)
    # a repeat of its message finds it ended and posts nothing
    assert publishing.handle_due(PublishMessage(key, START), arming()).detail == "nothing to do"
    assert pds.creates == keys(key, 2)


def test_a_cancel_during_a_thread_stops_it_before_its_next_part(pds: Pds) -> None:
    key = thread_delivery(4)
    # what DELETE /posts/{id} does while the thread goes out, once part 2 is out
    pds.after_reply = lambda: deliveries.request_stop(state(key), by="mem_editor")
    outcome = publishing.handle_due(PublishMessage(key, START), arming())
    assert outcome.state == State.PARTIAL.value
    assert pds.creates == keys(key, 2)
    assert "cancelled while the thread went out" in (state(key).failure_reason or "")


def queue_thread(parts: int) -> tuple[ApiClient, str, DeliveryKey]:
    """Through the API: an editor queues a thread on a Bluesky channel; its delivery's key."""
    admin = tokens.create_workspace("Acme", "Ada")
    editor = tokens.add_member(admin.workspace_id, "Ed", members.Role.EDITOR)
    channel_id = bluesky_channel(admin.workspace_id)
    api = ApiClient(editor.token)
    body = {
        "text": "part 1",
        "channels": [channel_id],
        "publish_at": "2026-11-23T12:30:00Z",
        "thread": [{"text": f"part {i}"} for i in range(2, parts + 1)],
    }
    answer = api.call("POST", "/posts", body)
    assert answer.status == 201, answer.body
    post_id = answer.body["id"]
    return api, post_id, DeliveryKey(admin.workspace_id, post_id, channel_id)


def test_through_the_api_a_part_that_fails_for_good_leaves_partial_and_get_shows_each_part(pds: Pds) -> None:
    api, post_id, key = queue_thread(5)
    pds.refuse = thread_steps.part_key(key.id, 2)  # part 3
    clock.get_clock().sleep(1800)  # type: ignore[attr-defined]
    assert publishing.handle_due(PublishMessage(key, state(key).due_at), arming()).state == "partial"
    shown = api.call("GET", f"/posts/{post_id}").body
    delivery = shown["deliveries"][0]
    assert delivery["state"] == "partial" and shown["status"] == "partial"
    assert [p["state"] for p in delivery["parts"]] == ["published", "published", "not_sent", "not_sent", "not_sent"]
    assert delivery["parts"][1]["remote_id"] == pds.records[thread_steps.part_key(key.id, 1)]["uri"]
    assert delivery["url"] == delivery["parts"][0]["url"]
    assert "part 3 of 5 was not posted" in delivery["failure_reason"]


def test_through_the_api_a_cancel_between_attempts_ends_a_started_thread_partial(pds: Pds) -> None:
    api, post_id, key = queue_thread(4)
    pds.flaky = thread_steps.part_key(key.id, 2)  # part 3 times out: a retry is armed
    clock.get_clock().sleep(1800)  # type: ignore[attr-defined]
    assert publishing.handle_due(PublishMessage(key, state(key).due_at), arming()).state == "retrying"
    answer = api.call("DELETE", f"/posts/{post_id}")
    assert answer.status == 200, answer.body
    assert answer.body["changed"] == [key.channel_id]
    assert state(key).state == "partial"
    assert "cancelled by" in (state(key).failure_reason or "")
    assert publishing.handle_due(PublishMessage(key, state(key).due_at), arming()).detail == "nothing to do"
    assert pds.creates == keys(key, 2)


def test_a_first_comment_goes_out_once_as_a_reply_to_the_first_part_after_the_thread(pds: Pds) -> None:
    key = thread_delivery(3)
    record = state(key)
    record.update(actions=[DeliveryRecord.first_comment.set("Link in the comment: https://example.com")])
    assert publishing.handle_due(PublishMessage(key, START), arming()).state == State.PUBLISHED.value
    comment = thread_steps.comment_key(key.id)
    assert pds.creates == [*keys(key, 3), comment]  # after the thread's last part
    first = pds.records[key.id]
    assert pds.records[comment]["parent"] == first["uri"] and pds.records[comment]["root"] == first["uri"]
    shown = posts.delivery_view(state(key))["first_comment"]
    assert shown["state"] == "published" and shown["remote_id"] == pds.records[comment]["uri"]


def test_a_crash_between_a_post_and_its_first_comment_posts_the_comment_once_and_the_post_not_again(
    pds: Pds,
) -> None:
    key = thread_delivery(1)  # a single post ...
    state(key).update(actions=[DeliveryRecord.thread.remove(), DeliveryRecord.first_comment.set("More below")])
    pds.crash_after = key.id  # ... that lands, then the process dies before its comment
    with pytest.raises(Crash):
        publishing.handle_due(PublishMessage(key, START), arming())
    pds.crash_after = None
    clock.get_clock().sleep(LEASE_SECONDS + 1)  # type: ignore[attr-defined]
    assert publishing.settle(key, arming()).state == State.PUBLISHED.value  # found by its key, then the comment
    assert pds.creates == [key.id, thread_steps.comment_key(key.id)]
    assert posts.delivery_view(state(key))["parts"] is None  # not a thread


def test_a_first_comment_is_checked_and_refused_where_parley_cannot_comment(aws: str) -> None:
    admin = tokens.create_workspace("Acme", "Ada")
    api = ApiClient(admin.token)
    bluesky = bluesky_channel(admin.workspace_id)
    linkedin = "ch_" + ids.new_id()
    ChannelRecord(
        admin.workspace_id,
        linkedin,
        network="linkedin",
        handle="acme",
        remote_id="urn:li:person:A1b2C3",  # a member profile: its comments cannot be read back
        service_url="https://api.linkedin.com",
        credential_parameter="/parley/test/credential",
        created_at=clock.now(),
        created_by="mem_1",
    ).save()
    body = {"text": "Launch day", "channels": [bluesky], "publish_at": (clock.now() + timedelta(days=1)).isoformat()}
    queued = api.call("POST", "/posts", body | {"first_comment": {"text": "Details: https://example.com"}})
    assert queued.status == 201, queued.body
    assert queued.body["first_comment"] == {"text": "Details: https://example.com"}
    assert queued.body["deliveries"][0]["first_comment"]["state"] == "pending"
    too_long = api.call("POST", "/posts", body | {"first_comment": {"text": "x" * 301}})
    assert too_long.status == 422
    assert "Bluesky" in {e["field"]: e["reason"] for e in too_long.body["errors"]}["first_comment.text"]
    refused = api.call("POST", "/posts", body | {"channels": [linkedin], "first_comment": {"text": "Details"}})
    assert refused.status == 422
    assert "member profile" in {e["field"]: e["reason"] for e in refused.body["errors"]}["first_comment"]


def test_through_the_api_a_cancel_while_the_thread_goes_out_stops_it_before_its_next_part(pds: Pds) -> None:
    api, post_id, key = queue_thread(4)
    answers: list[Any] = []
    # DELETE /posts/{id} arrives while part 2 is being posted
    pds.after_reply = lambda: answers.append(api.call("DELETE", f"/posts/{post_id}")) if not answers else None
    clock.get_clock().sleep(1800)  # type: ignore[attr-defined]
    assert publishing.handle_due(PublishMessage(key, state(key).due_at), arming()).state == State.PARTIAL.value
    (cancelled,) = answers
    assert cancelled.status == 200 and cancelled.body["changed"] == [key.channel_id]
    assert pds.creates == keys(key, 2)
    shown = api.call("GET", f"/posts/{post_id}").body["deliveries"][0]
    assert shown["state"] == "partial" and "cancelled while the thread went out" in shown["failure_reason"]
    assert [p["state"] for p in shown["parts"]] == ["published", "published", "not_sent", "not_sent"]
