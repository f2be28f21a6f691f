"""Which listener reads which network: each wraps that network's adapter (from `registry.adapter_for`, so
a test's stand-in adapter is wrapped the same way)."""

from __future__ import annotations

from typing import Any

from parley.networks.base import Listener


def listener_for(network: str, adapter: Any) -> Listener:
    if network == "bluesky":
        from parley.listening.bluesky import BlueskyListener

        return BlueskyListener(adapter)
    if network == "mastodon":
        from parley.listening.mastodon import MastodonListener

        return MastodonListener(adapter)
    if network == "x":
        from parley.listening.x import XListener

        return XListener(adapter)
    if network == "linkedin":
        from parley.listening.linkedin import LinkedInListener

        return LinkedInListener(adapter)
    if network == "facebook":
        from parley.listening.facebook import FacebookListener

        return FacebookListener(adapter)
    if network == "instagram":
        from parley.listening.instagram import InstagramListener

        return InstagramListener(adapter)
    if network == "threads":
        from parley.listening.threads import ThreadsListener

        return ThreadsListener(adapter)
    raise ValueError(f"network {network!r} is not listened to")
