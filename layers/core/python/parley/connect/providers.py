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


def callback_paths() -> tuple[str, ...]:
    return tuple(f"/channels/{network}/callback" for network in PROVIDERS)
