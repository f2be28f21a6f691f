"""The OAuth networks parley connects through GET /channels/{network}/connect, besides X (parley.x_connect)."""

from __future__ import annotations

from parley.oauth import facebook, instagram, linkedin, threads
from parley.oauth.base import Provider

PROVIDERS: dict[str, Provider] = {
    p.network: p for p in (linkedin.PROVIDER, facebook.PROVIDER, instagram.PROVIDER, threads.PROVIDER)
}
# Every network connected through its own consent page (X included), for POST /channels' refusal.
OAUTH_NETWORKS = ("x", *PROVIDERS)


def provider(network: str) -> Provider | None:
    return PROVIDERS.get(network)


def callback_paths() -> tuple[str, ...]:
    return tuple(f"/channels/{network}/callback" for network in PROVIDERS)
