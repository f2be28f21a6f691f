"""A poll keeps the channel's adapter (its credential and session) in the container between runs, while the
channel record says it may: against DynamoDB, SSM and Scheduler (moto's server), with a stand-in listener
(what is read from the network is not the point; what is read from SSM is)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, cast

import pytest

from parley.connect import adapters, credentials, health, kept_adapters
from parley.listening import poll, watches
from parley.networks.base import Adapter, Conversation, Credential, Found, InvalidCredential, NetworkError
from parley.scheduling.polls import PollScheduler
from parley.shared import aws as parley_aws
from parley.shared import clock, ids
from parley.shared.config import get_settings
from parley.store import ChannelRecord, DeliveryRecord


class _Listener:
    def __init__(self) -> None:
        self.refuse: NetworkError | None = None

    def read_conversation(self, remote_id: str, own_id: str) -> Conversation | None:
        if self.refuse is not None:
            raise self.refuse
        return Conversation({"like": 1}, [])

    def read_mentions(self, since: str | None) -> Found:
        return Found([], None, 1)


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    previous = clock.get_clock()
    manual = clock.ManualClock(previous.now())
    clock.set_clock(manual)
    yield manual
    clock.set_clock(previous)


@pytest.fixture
def reads(aws: str, manual_clock: clock.ManualClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """What each poll read from SSM (credentials) and which adapters it made."""
    seen: dict[str, Any] = {"credentials": 0, "adapters": 0, "listener": _Listener()}
    load = credentials.load_credential

    def counted(name: str) -> Credential:
        seen["credentials"] += 1
        return load(name)

    def factory(network: str, credential: Credential, sessions: Any) -> Adapter:
        seen["adapters"] += 1
        return cast(Adapter, object())

    monkeypatch.setattr(credentials, "load_credential", counted)
    monkeypatch.setattr(poll, "listener_for", lambda network, adapter: seen["listener"])
    adapters.set_factory(factory)
    kept_adapters.forget_all()
    yield seen
    adapters.set_factory(None)
    kept_adapters.forget_all()


def _channel(network: str = "bluesky") -> ChannelRecord:
    workspace_id, channel_id = "ws_" + ids.new_id(), "ch_" + ids.new_id()
    parameter = credentials.credential_parameter(get_settings().parameter_prefix, workspace_id, channel_id)
    credentials.save_credential(parameter, Credential("brand.test", "app-password", "https://pds.test"))
    record = ChannelRecord(
        workspace_id,
        channel_id,
        network=network,
        handle="brand.test",
        remote_id="did:plc:brand",
        service_url="https://pds.test",
        credential_parameter=parameter,
        created_at=clock.now(),
        created_by="m",
    )
    record.save()
    now = clock.now()
    published = DeliveryRecord(
        "p_" + ids.new_id(),
        channel_id,
        workspace_id=workspace_id,
        network=network,
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
    assert watches.watch(published, _polls(), timedelta(days=7))
    return record


def _polls() -> PollScheduler:
    return PollScheduler(get_settings(), parley_aws.client("scheduler"))


def _poll(channel: ChannelRecord, manual_clock: clock.ManualClock) -> poll.PollResult:
    manual_clock.advance(3600)  # the next look is due (the firer is not running here)
    result = poll.run(channel.workspace_id, channel.channel_id, _polls())
    assert result.polled == 1
    return result


def test_a_warm_poll_reads_neither_the_credential_nor_the_session(
    reads: dict[str, Any], manual_clock: clock.ManualClock
) -> None:
    channel = _channel()
    for _ in range(3):
        _poll(channel, manual_clock)
    assert (reads["credentials"], reads["adapters"]) == (1, 1)
    assert kept_adapters.kept(channel.workspace_id, channel.channel_id)


def test_a_reconnected_channel_is_read_again(reads: dict[str, Any], manual_clock: clock.ManualClock) -> None:
    channel = _channel()
    _poll(channel, manual_clock)
    manual_clock.advance(60)
    channel.update(actions=[ChannelRecord.credential_set_at.set(clock.now())])  # what a reconnect does
    _poll(channel, manual_clock)
    _poll(channel, manual_clock)
    assert (reads["credentials"], reads["adapters"]) == (2, 2)


@pytest.mark.parametrize("status", ["needs_reauth", "paused"])
def test_a_channel_that_is_not_active_keeps_nothing(
    reads: dict[str, Any], manual_clock: clock.ManualClock, status: str
) -> None:
    channel = _channel()
    _poll(channel, manual_clock)
    channel.update(actions=[ChannelRecord.status.set(status)])
    _poll(channel, manual_clock)
    assert not kept_adapters.kept(channel.workspace_id, channel.channel_id)
    _poll(channel, manual_clock)
    assert (reads["credentials"], reads["adapters"]) == (3, 3)  # read from SSM every time, as before


def test_a_channel_that_is_gone_is_forgotten(reads: dict[str, Any], manual_clock: clock.ManualClock) -> None:
    channel = _channel()
    _poll(channel, manual_clock)
    channel.delete()  # a disconnect deletes its watches first; one claimed before it ran finds no channel
    _poll(channel, manual_clock)
    assert not kept_adapters.kept(channel.workspace_id, channel.channel_id)
    assert reads["credentials"] == 1


def test_a_refused_credential_is_read_again_at_the_next_poll(
    reads: dict[str, Any], manual_clock: clock.ManualClock
) -> None:
    channel = _channel()
    _poll(channel, manual_clock)
    reads["listener"].refuse = InvalidCredential("Bluesky refused the app password")
    _poll(channel, manual_clock)
    assert not kept_adapters.kept(channel.workspace_id, channel.channel_id)
    reads["listener"].refuse = None
    _poll(channel, manual_clock)
    assert (reads["credentials"], reads["adapters"]) == (2, 2)


def test_the_oauth_networks_adapters_are_not_kept(reads: dict[str, Any], manual_clock: clock.ManualClock) -> None:
    channel = _channel("linkedin")  # token upkeep renews its token in SSM behind the adapter's back
    _poll(channel, manual_clock)
    _poll(channel, manual_clock)
    assert reads["credentials"] == 2


def test_the_last_poll_is_written_at_most_once_an_hour(reads: dict[str, Any], manual_clock: clock.ManualClock) -> None:
    channel = _channel()
    _poll(channel, manual_clock)
    first = clock.now()
    assert ChannelRecord.get(channel.workspace_id, channel.channel_id).last_polled_at == first

    for minutes in (1, 30, 59):  # polls within the hour leave it
        read = ChannelRecord.get(channel.workspace_id, channel.channel_id)
        assert not health.note_polled(read, first + timedelta(minutes=minutes))
    assert ChannelRecord.get(channel.workspace_id, channel.channel_id).last_polled_at == first

    _poll(channel, manual_clock)  # an hour after it: moved
    assert ChannelRecord.get(channel.workspace_id, channel.channel_id).last_polled_at == clock.now()


def test_a_stale_read_does_not_move_a_newer_last_poll(aws: str, manual_clock: clock.ManualClock) -> None:
    channel = _channel()
    stale = ChannelRecord.get(channel.workspace_id, channel.channel_id)
    assert health.note_polled(stale, clock.now())
    # a concurrent run read the record before that write: the condition keeps the newer time
    assert not health.note_polled(stale, clock.now() + timedelta(minutes=5))
    assert ChannelRecord.get(channel.workspace_id, channel.channel_id).last_polled_at == clock.now()


def test_unchanged_counters_are_not_written_again(reads: dict[str, Any], manual_clock: clock.ManualClock) -> None:
    channel = _channel()
    manual_clock.advance(3600)
    (watch,) = watches.due(channel.workspace_id, channel.channel_id, clock.now())
    assert watches.save_counters(watch, {"like": 1, "reply": 0})
    (again,) = watches.due(channel.workspace_id, channel.channel_id, clock.now())
    assert not watches.save_counters(again, {"like": 1, "reply": 0})
    assert watches.save_counters(again, {"like": 2, "reply": 0})
    (stored,) = watches.due(channel.workspace_id, channel.channel_id, clock.now())
    assert stored.counters is not None and stored.counters.as_dict() == {"like": 2, "reply": 0}


def test_the_network_calls_are_a_field_of_the_poll_done_line_not_a_metric(
    reads: dict[str, Any],
    manual_clock: clock.ManualClock,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from functions.poll.handler import lambda_handler
    from tests.support.api import FakeContext

    channel = _channel()
    manual_clock.advance(3600)
    capsys.readouterr()
    with caplog.at_level(logging.INFO):
        lambda_handler(
            {"workspace_id": channel.workspace_id, "channel_id": channel.channel_id}, cast(Any, FakeContext())
        )

    (done,) = [r for r in caplog.records if r.getMessage() == "poll done"]
    assert (done.__dict__["polled"], done.__dict__["network_calls"]) == (1, 2)  # the thread and the mentions
    emitted = capsys.readouterr().out  # the EMF line the metrics flush prints
    assert '"Engagement"' in emitted and '"PollNetworkCalls"' not in emitted
