"""A poll run that the network rate-limits makes no further calls in that run (no hot loop): the watches
it claimed are looked at again at their next poll, after the network's reset. A stand-in listener
(a fake: this is the poll's own rule, no network involved)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from parley.listening import poll
from parley.networks.base import Conversation, Found, TransientNetworkError
from parley.store import ChannelRecord, WatchRecord

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class LimitedListener:
    network = "mastodon"

    def __init__(self, retry_at: datetime | None) -> None:
        self.retry_at = retry_at
        self.calls: list[str] = []

    def read_conversation(self, remote_id: str, own_id: str) -> Conversation | None:
        self.calls.append(f"conversation {remote_id}")
        raise TransientNetworkError("Mastodon's rate limit was reached", retry_at=self.retry_at)

    def read_mentions(self, since: str | None) -> Found:
        self.calls.append("mentions")
        return Found([], None, 1)


def _watch(n: int) -> WatchRecord:
    return WatchRecord("ws#ch", f"post{n}", workspace_id="ws", channel_id="ch", remote_id=f"{n}", post_id=f"post{n}")


@pytest.mark.parametrize(("retry_at", "expected"), [(NOW + timedelta(minutes=15), 1), (None, 3)])
def test_a_rate_limit_stops_the_runs_calls_while_a_plain_failure_moves_on(
    monkeypatch: pytest.MonkeyPatch, retry_at: datetime | None, expected: int
) -> None:
    listener = LimitedListener(retry_at)
    monkeypatch.setattr(poll.kept_adapters, "adapter_for_channel", lambda channel: None)
    monkeypatch.setattr(poll, "listener_for", lambda network, adapter: listener)
    monkeypatch.setattr(poll, "_read_mentions", lambda channel, listener, result, own: listener.read_mentions(None))
    channel = ChannelRecord("ws", "ch", network="mastodon", remote_id="1", credential_parameter="/p/cred")
    monkeypatch.setattr(poll.own_voice, "of_workspace", lambda reading: poll.own_voice.accounts([], reading))

    poll._read(channel, [_watch(1), _watch(2), _watch(3)], poll.PollResult())

    conversations = [c for c in listener.calls if c.startswith("conversation")]
    assert len(conversations) == expected
    assert ("mentions" in listener.calls) == (retry_at is None)
