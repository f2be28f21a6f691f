"""The OAuth networks parley connects through GET /channels/{network}/connect, besides X (parley.connect.x)."""

from __future__ import annotations

from parley.connect import facebook, instagram, linkedin, threads
from parley.connect.base import Provider

PROVIDERS: dict[str, Provider] = {
    p.network: p for p in (linkedin.PROVIDER, facebook.PROVIDER, instagram.PROVIDER, threads.PROVIDER)
}
# Every network connected through its own consent page (X included), for POST /channels' refusal.
OAUTH_NETWORKS = ("x", *PROVIDERS)


def provider(network: str) -> Provider | None:
    return PROVIDERS.get(network)


def public_paths() -> tuple[str, ...]:
    """What a browser reaches without a token: each network's consent link and callback."""
    return tuple(f"/channels/{network}/{step}" for network in PROVIDERS for step in ("consent", "callback"))
