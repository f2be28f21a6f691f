"""Our own voice is not an inbox item, against DynamoDB, SSM and Scheduler (moto's server): a workspace with
two Bluesky channels, each polled through the real Bluesky listener over a stand-in adapter that answers with
Bluesky's JSON (what is tested is what the poll files, not the network). The brand's answer seen as a mention
by the other channel, and the other channel's reply in the brand's thread, stay out of the inbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any, cast

import pytest

from parley.connect import adapters, credentials, kept_adapters
from parley.listening import poll, watches
from parley.networks.base import Adapter, Credential
from parley.scheduling.polls import PollScheduler
from parley.shared import aws as parley_aws
from parley.shared import clock, ids
from parley.shared.config import get_settings
from parley.store import ChannelRecord, DeliveryRecord, InboxRecord

BRAND = ("brand.test", "did:plc:brand")
SUPPORT = ("support.test", "did:plc:support")


def _post(author: tuple[str, str], text: str, reply_to: str | None = None, reason: str | None = None) -> dict[str, Any]:
    rkey = ids.new_id().lower()
    uri = f"at://{author[1]}/app.bsky.feed.post/{rkey}"
    record: dict[str, Any] = {"text": text, "createdAt": clock.now().isoformat()}
    if reply_to:
        record["reply"] = {"root": {"uri": reply_to, "cid": "c0"}, "parent": {"uri": reply_to, "cid": "c0"}}
    post = {
        "uri": uri,
        "cid": "c" + rkey,
        "author": {"did": author[1], "handle": author[0]},
        "record": record,
        "indexedAt": clock.now().isoformat(),
    }
    return post | ({"reason": reason} if reason else {})


class _Account:
    """A stand-in Bluesky adapter: the account's threads and notifications, as Bluesky's API shapes them."""

    def __init__(self) -> None:
        self.threads: dict[str, dict[str, Any]] = {}
        self.notifications: list[dict[str, Any]] = []

    def get_thread(self, uri: str, depth: int = 10) -> dict[str, Any] | None:
        return self.threads.get(uri)

    def list_notifications(self, cursor: str | None = None, limit: int = 50) -> dict[str, Any]:
        return {"notifications": list(reversed(self.notifications))}


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    previous = clock.get_clock()
    manual = clock.ManualClock(previous.now())
    clock.set_clock(manual)
    yield manual
    clock.set_clock(previous)


@pytest.fixture
def network(aws: str, manual_clock: clock.ManualClock) -> Iterator[dict[str, _Account]]:
    accounts = {BRAND[0]: _Account(), SUPPORT[0]: _Account()}
    adapters.set_factory(lambda name, credential, sessions: cast(Adapter, accounts[credential.identifier]))
    kept_adapters.forget_all()
    yield accounts
    adapters.set_factory(None)
    kept_adapters.forget_all()


def _polls() -> PollScheduler:
    return PollScheduler(get_settings(), parley_aws.client("scheduler"))


def _channel(workspace_id: str, account: tuple[str, str]) -> ChannelRecord:
    channel_id = "ch_" + ids.new_id()
    parameter = credentials.credential_parameter(get_settings().parameter_prefix, workspace_id, channel_id)
    credentials.save_credential(parameter, Credential(account[0], "app-password", "https://pds.test"))
    record = ChannelRecord(
        workspace_id,
        channel_id,
        network="bluesky",
        handle=account[0],
        remote_id=account[1],
        service_url="https://pds.test",
        credential_parameter=parameter,
        created_at=clock.now(),
        created_by="m",
    )
    record.save()
    return record


def _published(channel: ChannelRecord, remote_id: str) -> None:
    now = clock.now()
    delivery = DeliveryRecord(
        "p_" + ids.new_id(),
        channel.channel_id,
        workspace_id=channel.workspace_id,
        network="bluesky",
        text="Our spring launch is live",
        state="published",
        state_key=f"{channel.workspace_id}#published",
        publish_at=now,
        publish_key="k",
        due_at=now,
        remote_id=remote_id,
        published_at=now,
        updated_at=now,
    )
    assert watches.watch(delivery, _polls(), timedelta(days=7))


def _inbox(workspace_id: str) -> list[tuple[str, str, str]]:
    return sorted((i.kind, i.author_handle, i.channel_id) for i in InboxRecord.query(workspace_id))


def test_what_any_channel_of_the_workspace_wrote_is_never_an_inbox_item(
    network: dict[str, _Account], manual_clock: clock.ManualClock
) -> None:
    workspace_id = "ws_" + ids.new_id()
    brand, support = _channel(workspace_id, BRAND), _channel(workspace_id, SUPPORT)
    launch = _post(BRAND, "Our spring launch is live")
    bob = _post(("bob.test", "did:plc:bob"), "Does it ship to Canada?", reply_to=launch["uri"])
    answer = _post(BRAND, "Thanks @bob.test! It does, from May.", reply_to=bob["uri"])
    seconded = _post(SUPPORT, "@bob.test and orders open Monday.", reply_to=bob["uri"])
    network[BRAND[0]].threads[launch["uri"]] = {
        "post": launch,
        "replies": [{"post": bob, "replies": [{"post": answer, "replies": []}, {"post": seconded, "replies": []}]}],
    }
    network[SUPPORT[0]].notifications = [
        _post(BRAND, "Thanks @support.test and @bob.test! ...", reason="mention"),  # the brand's own voice
        _post(("carol.test", "did:plc:carol"), "@support.test my order is late", reason="mention"),
    ]
    network[BRAND[0]].notifications = [_post(SUPPORT, "cc @brand.test", reason="mention")]
    _published(brand, launch["uri"])
    _published(support, f"at://{SUPPORT[1]}/app.bsky.feed.post/quiet")

    manual_clock.advance(3600)  # both channels' polls are due (the firer is not running here)
    for channel in (brand, support):
        assert poll.run(workspace_id, channel.channel_id, _polls()).polled == 1

    assert _inbox(workspace_id) == sorted(
        [("reply", "bob.test", brand.channel_id), ("mention", "carol.test", support.channel_id)]
    )


def test_another_workspaces_account_is_not_ours(network: dict[str, _Account], manual_clock: clock.ManualClock) -> None:
    ours, theirs = "ws_" + ids.new_id(), "ws_" + ids.new_id()
    support = _channel(ours, SUPPORT)
    _channel(theirs, BRAND)  # the same brand account, connected by another workspace: a stranger to `ours`
    network[SUPPORT[0]].notifications = [_post(BRAND, "Hello @support.test", reason="mention")]
    _published(support, f"at://{SUPPORT[1]}/app.bsky.feed.post/quiet")

    manual_clock.advance(3600)
    assert poll.run(ours, support.channel_id, _polls()).polled == 1

    assert _inbox(ours) == [("mention", "brand.test", support.channel_id)]
