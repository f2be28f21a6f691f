"""The networks parley publishes to, and their queue-time text rules. Which adapter serves a channel, with
what it needs from outside this room (the delivery intents, X's app), is `parley.connect.adapters`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from parley.shared.errors import FieldProblem

if TYPE_CHECKING:
    from parley.networks.mastodon import MastodonLimits

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
