"""A channel's adapter kept in the container between polls, so a warm poll reads neither the channel's
credential nor its session from SSM (each a SecureString read, a billed KMS request: docs/deploy.md).

Kept only for what the network's adapter renews by itself when the network refuses its session (Bluesky
reads the stored session again, or refreshes, or logs in again) or what lasts until revoked (Mastodon's
token); never for the OAuth networks, whose tokens token upkeep renews in SSM behind the adapter's back.

An entry is used only while the channel record, read by every poll anyway, says it may be:
- the channel is active (a channel that needs reconnecting, or paused, reads SSM as before; one that is
  gone is not read at all, and its entry goes);
- its credential is the one the entry was made with (`credential_set_at`, moved by a reconnect), on the
  same network, server and parameter;
- the clock and the adapter factory are the ones it was made with (tests swap both).
The caller forgets an entry when the network refuses the credential (`forget`), so the next poll reads
both again. Nothing is written to disk; a container that ends takes its entries with it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from parley.connect import adapters, credentials
from parley.networks.base import Adapter
from parley.shared import clock
from parley.store import ChannelRecord

KEPT_NETWORKS = frozenset({"bluesky", "mastodon"})
MAX_KEPT = 256  # channels a container keeps (least recently used goes first)
ACTIVE = "active"


@dataclass(frozen=True)
class _Entry:
    marker: tuple[str, str, str, datetime | None]
    clock: object
    factory: object
    adapter: Adapter


_kept: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
_lock = threading.Lock()


def adapter_for_channel(channel: ChannelRecord) -> Adapter:
    """The channel's adapter: the kept one when the record allows it, else a new one from SSM."""
    key = (channel.workspace_id, channel.channel_id)
    keep = channel.network in KEPT_NETWORKS and channel.status == ACTIVE
    marker = _marker(channel)
    now_clock, factory = clock.get_clock(), adapters.current_factory()
    with _lock:
        entry = _kept.get(key)
        if entry is not None and keep and (entry.marker, entry.clock, entry.factory) == (marker, now_clock, factory):
            _kept.move_to_end(key)
            return entry.adapter
        _kept.pop(key, None)
    credential = credentials.load_credential(channel.credential_parameter)
    sessions = credentials.SsmSessionStore(credentials.session_parameter(channel.credential_parameter))
    adapter = adapters.adapter_for(channel.network, credential, sessions)
    if keep:
        with _lock:
            _kept[key] = _Entry(marker, now_clock, factory, adapter)
            while len(_kept) > MAX_KEPT:
                _kept.popitem(last=False)
    return adapter


def forget(workspace_id: str, channel_id: str) -> None:
    """The network refused the channel's credential or session, or the channel is gone: read both again."""
    with _lock:
        _kept.pop((workspace_id, channel_id), None)


def forget_all() -> None:
    with _lock:
        _kept.clear()


def kept(workspace_id: str, channel_id: str) -> bool:
    with _lock:
        return (workspace_id, channel_id) in _kept


def _marker(channel: ChannelRecord) -> tuple[str, str, str, datetime | None]:
    # A reconnect sets credential_set_at; a channel connected before that field existed has its creation.
    return (
        channel.network,
        channel.service_url,
        channel.credential_parameter,
        channel.credential_set_at or channel.created_at,
    )
