"""Which adapter serves which network, and its queue-time rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from parley.errors import FieldProblem
from parley.networks.base import Adapter, Credential, SessionStore

if TYPE_CHECKING:
    from parley.networks.mastodon import MastodonLimits
    from parley.networks.x import XClient

# Networks a channel can be connected to (X through GET /channels/x/connect: OAuth 2.0 with PKCE).
# LinkedIn and Facebook Pages: the credential holds the author URN or Page id and its token; Instagram and
# Threads: the IG/Threads user id and its token (docs/networks-meta-linkedin.md).
NETWORKS = ("bluesky", "mastodon", "x", "linkedin", "facebook", "instagram", "threads")
ADAPTER_NETWORKS = NETWORKS


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
    if network == "linkedin":
        from parley.networks import linkedin

        return linkedin.check_text(text)
    if network == "facebook":
        from parley.networks import facebook

        return facebook.check_text(text)
    if network == "instagram":
        from parley.networks import instagram

        return instagram.check_text(text)
    if network == "threads":
        from parley.networks import threads

        return threads.check_text(text)
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

        # With parley's X app (SSM, `parley admin set-app x`) an expiring token is renewed on the way.
        return XAdapter(credential, sessions, client=_x_client())
    if network == "linkedin":
        from parley.networks.linkedin import LinkedInAdapter

        return LinkedInAdapter(credential, sessions)
    if network == "facebook":
        from parley.networks.facebook import FacebookAdapter

        return FacebookAdapter(credential, sessions)
    if network == "instagram":
        from parley.network_intents import DeliveryIntents
        from parley.networks.instagram import InstagramAdapter

        return InstagramAdapter(credential, sessions, intents=DeliveryIntents())
    if network == "threads":
        from parley.network_intents import DeliveryIntents
        from parley.networks.threads import ThreadsAdapter

        return ThreadsAdapter(credential, sessions, intents=DeliveryIntents())
    raise ValueError(f"network {network!r} is not supported")


def _x_client() -> XClient | None:
    from parley import x_app
    from parley.config import get_settings

    app = x_app.load_app(get_settings().parameter_prefix)
    return app.client if app is not None else None


_factory: AdapterFactory = default_factory


def adapter_for(network: str, credential: Credential, sessions: SessionStore) -> Adapter:
    return _factory(network, credential, sessions)


def set_factory(factory: AdapterFactory | None) -> None:
    """Tests swap in a fake network here (unit tests only)."""
    global _factory
    _factory = factory or default_factory
