"""Our own voice is not an inbox item: a post or an answer written by any channel of the workspace (this
channel or another one on the same network) never becomes a reply, mention or listener match in the inbox.
It stays where it belongs, in the conversation of its thread (an answer sent through parley is on the item it
answered). Each network's listener leaves out the reading account's own posts; this rule covers the
workspace's other accounts too, whatever the network.

The workspace's channels are read once per poll (`of_workspace`, one Query of a handful of records), and
every item the poll would file is checked against them (`OwnAccounts.wrote`), a set look-up.

What "the same account" means, by network:
- by the account's network id (Bluesky DID, X user id, Facebook Page id, Instagram user id, LinkedIn URN),
  except on Mastodon, where an account id is only meaningful on the instance that gave it: there ids are
  compared only for channels of the instance the poll reads from;
- by handle, case-insensitively and without a leading `@`, where a handle names one account (Bluesky, X,
  Instagram, Threads, Mastodon's `user@instance`, a local account's bare `user` taken as on the reading
  instance); not on Facebook and LinkedIn, where the "handle" is a display name another account may share.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from parley.networks.base import Seen
from parley.store import ChannelRecord

MASTODON = "mastodon"
HANDLES_ARE_NAMES = frozenset({"facebook", "linkedin"})  # a display name, not a unique account name


class AccountLike(Protocol):
    """What the rule reads of a channel (a ChannelRecord, or a unit test's plain stand-in)."""

    network: str
    handle: str
    remote_id: str


@dataclass(frozen=True)
class OwnAccounts:
    """The workspace's accounts on one network, as the poll of one of them sees them."""

    network: str
    ids: frozenset[str]
    handles: frozenset[str]
    home: str = ""  # Mastodon: the instance the poll reads from (a bare `acct` is an account there)

    def wrote(self, found: Seen) -> bool:
        if found.author_id and found.author_id in self.ids:
            return True
        handle = comparable_handle(self.network, found.author_handle, self.home)
        return bool(handle) and handle in self.handles


def comparable_handle(network: str, handle: str, home: str = "") -> str:
    if network in HANDLES_ARE_NAMES:
        return ""
    plain = (handle or "").strip().lstrip("@").lower()
    if network == MASTODON and plain and "@" not in plain and home:
        plain = f"{plain}@{home}"
    return plain


def _instance(account: AccountLike) -> str:
    """A Mastodon channel's handle is `user@instance` (networks/mastodon.py's account check)."""
    return (account.handle or "").strip().lstrip("@").rpartition("@")[2].lower()


def accounts(channels: Iterable[AccountLike], reading: AccountLike) -> OwnAccounts:
    """The accounts of `channels` on the network `reading` is on (reading included): pure, unit-tested."""
    network = reading.network
    mine = [c for c in channels if c.network == network] + [reading]
    home = _instance(reading) if network == MASTODON else ""
    if network == MASTODON:  # an id from another instance may be anyone's here
        ids = frozenset(c.remote_id for c in mine if c.remote_id and _instance(c) == home)
    else:
        ids = frozenset(c.remote_id for c in mine if c.remote_id)
    handles = frozenset(h for c in mine if (h := comparable_handle(network, c.handle, _instance(c))))
    return OwnAccounts(network, ids, handles, home)


def of_workspace(reading: ChannelRecord) -> OwnAccounts:
    """One Query of the workspace's channels (a handful), once per poll."""
    return accounts(ChannelRecord.query(reading.workspace_id), reading)
