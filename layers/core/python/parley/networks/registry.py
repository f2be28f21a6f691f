"""Which adapter serves which network, and its queue-time rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from parley.errors import FieldProblem
from parley.networks.base import Adapter, Credential, SessionStore

if TYPE_CHECKING:
    from parley.networks.mastodon import MastodonLimits

# Networks a channel can be connected to through the API today. X has an adapter and queue-time rules
# (ADAPTER_NETWORKS) but its connect flow (OAuth 2.0 with PKCE) is not wired yet.
NETWORKS = ("bluesky", "mastodon")
ADAPTER_NETWORKS = ("bluesky", "mastodon", "x")


def check_text(network: str, text: str, *, mastodon_limits: MastodonLimits | None = None) -> list[FieldProblem]:
    """Queue-time text rules of `network`. Mastodon's depend on the channel's instance: pass its limits
    (`MastodonAdapter.limits()`, cached per instance); without them Mastodon's defaults apply (500
    characters, links as 23)."""
    if network == "bluesky":
        from parley.networks import bluesky

        return bluesky.check_text(text)
    if network == "mastodon":
        from parley.networks import mastodon

        return mastodon.check_text(text, mastodon_limits)
    if network == "x":
        from parley.networks import x

        return x.check_text(text)
    return [FieldProblem("channels", f"network {network!r} is not supported")]


AdapterFactory = Callable[[str, Credential, SessionStore], Adapter]


def default_factory(network: str, credential: Credential, sessions: SessionStore) -> Adapter:
    if network == "bluesky":
        from parley.networks.bluesky import BlueskyAdapter

        return BlueskyAdapter(credential, sessions)
    if network == "mastodon":
        from parley.networks.mastodon import MastodonAdapter

        return MastodonAdapter(credential, sessions)
    if network == "x":
        from parley.networks.x import XAdapter

        # Without the app's client (id/secret, wired later from SSM) a dead token cannot be renewed here.
        return XAdapter(credential, sessions)
    raise ValueError(f"network {network!r} is not supported")


_factory: AdapterFactory = default_factory


def adapter_for(network: str, credential: Credential, sessions: SessionStore) -> Adapter:
    return _factory(network, credential, sessions)


def set_factory(factory: AdapterFactory | None) -> None:
    """Tests swap in a fake network here (unit tests only)."""
    global _factory
    _factory = factory or default_factory
