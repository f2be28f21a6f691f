"""Which adapter serves which network, and its queue-time rules."""

from __future__ import annotations

from collections.abc import Callable

from parley.errors import FieldProblem
from parley.networks.base import Adapter, Credential, SessionStore

NETWORKS = ("bluesky",)


def check_text(network: str, text: str) -> list[FieldProblem]:
    if network == "bluesky":
        from parley.networks import bluesky

        return bluesky.check_text(text)
    return [FieldProblem("channels", f"network {network!r} is not supported")]


AdapterFactory = Callable[[str, Credential, SessionStore], Adapter]


def default_factory(network: str, credential: Credential, sessions: SessionStore) -> Adapter:
    if network == "bluesky":
        from parley.networks.bluesky import BlueskyAdapter

        return BlueskyAdapter(credential, sessions)
    raise ValueError(f"network {network!r} is not supported")


_factory: AdapterFactory = default_factory


def adapter_for(network: str, credential: Credential, sessions: SessionStore) -> Adapter:
    return _factory(network, credential, sessions)


def set_factory(factory: AdapterFactory | None) -> None:
    """Tests swap in a fake network here (unit tests only)."""
    global _factory
    _factory = factory or default_factory
