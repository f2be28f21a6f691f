"""The adapter that serves a channel: the network's adapter (`parley.networks`) given the channel's credential
and session store, and what only this side of the house has: X's app (SSM) to renew an expiring token on the
way, and the two-step networks' intents recorded on the delivery (`parley.store.intents`). Tests swap in a
fake network with `set_factory` (unit tests only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from parley.networks.base import Adapter, Credential, SessionStore

if TYPE_CHECKING:
    from parley.networks.x import XClient


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

        # With parley's X app (SSM, `parley admin set-app x`) an expiring token is renewed on the way.
        return XAdapter(credential, sessions, client=_x_client())
    if network == "linkedin":
        from parley.networks.linkedin import LinkedInAdapter

        return LinkedInAdapter(credential, sessions)
    if network == "facebook":
        from parley.networks.facebook import FacebookAdapter

        return FacebookAdapter(credential, sessions)
    if network == "instagram":
        from parley.networks.instagram import InstagramAdapter
        from parley.store.intents import DeliveryIntents

        return InstagramAdapter(credential, sessions, intents=DeliveryIntents())
    if network == "threads":
        from parley.networks.threads import ThreadsAdapter
        from parley.store.intents import DeliveryIntents

        return ThreadsAdapter(credential, sessions, intents=DeliveryIntents())
    raise ValueError(f"network {network!r} is not supported")


def _x_client() -> XClient | None:
    from parley.connect import x_app
    from parley.shared.config import get_settings

    app = x_app.load_app(get_settings().parameter_prefix)
    return app.client if app is not None else None


_factory: AdapterFactory = default_factory


def adapter_for(network: str, credential: Credential, sessions: SessionStore) -> Adapter:
    return _factory(network, credential, sessions)


def set_factory(factory: AdapterFactory | None) -> None:
    """Tests swap in a fake network here (unit tests only)."""
    global _factory
    _factory = factory or default_factory


def current_factory() -> AdapterFactory:
    """What makes adapters now (an adapter kept by `kept_adapters` is used only with the factory that made it)."""
    return _factory
