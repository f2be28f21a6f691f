"""A channel's health, as a person reads it: whether its credentials work and until when, whether they are
renewed by themselves, when it last published and was last read."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

from parley.connect import credentials
from parley.connect.base import Renewal
from parley.connect.providers import OAUTH_NETWORKS, PROVIDERS
from parley.shared import clock
from parley.shared.timeparse import network_time
from parley.store import Action, ChannelRecord, UpdateError

# `last_polled_at` is moved at most this often: a poll runs every few minutes, and a write each time was
# the channel table's share of a poll's cost (docs/deploy.md, "What 1,000 posts cost").
POLLED_AT_EVERY = timedelta(hours=1)

# How each kind of credential lasts, where it is not a token with an expiry
LASTING = {
    "bluesky": "an app password: it lasts until revoked on Bluesky",
    "mastodon": "an access token: it lasts until revoked",
}


def health(channel: ChannelRecord) -> dict[str, Any]:
    expires_at, renews = _token(channel)
    if channel.network in OAUTH_NETWORKS:
        if expires_at is None:
            credential = "a token with no expiry given by the network"
        elif renews:
            credential = "a token renewed before it expires"
        else:
            credential = "a token that cannot be renewed: connect the channel again before it expires"
    else:
        credential = LASTING.get(channel.network, "a credential that lasts until revoked")
    return {
        "ok": channel.status == "active" and (expires_at is None or expires_at > clock.now()),
        "credential": credential,
        "token_expires_at": expires_at.isoformat() if expires_at else None,
        "renewed_automatically": renews,
        "last_published_at": _iso(channel.last_published_at),
        "last_polled_at": _iso(channel.last_polled_at),
    }


def note(
    workspace_id: str, channel_id: str, *, published_at: datetime | None = None, polled_at: datetime | None = None
) -> None:
    """Remember a publish or a poll for the health view; a channel disconnected meanwhile is left alone."""
    actions: list[Action] = []
    if published_at is not None:
        actions.append(ChannelRecord.last_published_at.set(published_at))
    if polled_at is not None:
        actions.append(ChannelRecord.last_polled_at.set(polled_at))
    # gone meanwhile, or a hiccup: health is a courtesy, never a reason to fail the publish or the poll
    with contextlib.suppress(UpdateError):
        ChannelRecord(workspace_id, channel_id).update(actions=actions, condition=ChannelRecord.channel_id.exists())


def note_polled(channel: ChannelRecord, now: datetime) -> bool:
    """Remember a poll for the health view, at most once an hour: only when the stored time (the record the
    poll read) is an hour old or none. The write's condition holds it to that against a concurrent run.
    True when it wrote."""
    last = channel.last_polled_at
    if last is not None and now - last < POLLED_AT_EVERY:
        return False
    older = ChannelRecord.last_polled_at.does_not_exist() | (ChannelRecord.last_polled_at <= now - POLLED_AT_EVERY)
    try:
        ChannelRecord(channel.workspace_id, channel.channel_id).update(
            actions=[ChannelRecord.last_polled_at.set(now)], condition=ChannelRecord.channel_id.exists() & older
        )
    except UpdateError:  # gone meanwhile, another run wrote it, or a hiccup: health is a courtesy
        return False
    return True


def _token(channel: ChannelRecord) -> tuple[datetime | None, bool]:
    """(when its token expires, whether parley renews it before then), from its stored session."""
    if channel.network not in OAUTH_NETWORKS:
        return None, False
    session = credentials.SsmSessionStore(credentials.session_parameter(channel.credential_parameter)).load() or {}
    provider = PROVIDERS.get(channel.network)
    renewal = provider.renewal if provider is not None else Renewal.REFRESH_TOKEN  # X: by its refresh token
    renews = renewal == Renewal.REFRESH_ACCESS_TOKEN or (
        renewal == Renewal.REFRESH_TOKEN and bool(session.get("refresh_token"))
    )
    return network_time(session.get("expires_at"), naive_is_utc=True), renews


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
