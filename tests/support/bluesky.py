"""Fixtures for a real local Bluesky network (infra/local/bluesky_net.py), one per test session.

- ``bluesky``: mode "pds" (PLC + PDS, ~6 s to start), accounts ``alice.test`` and ``bob.test``.
- ``bluesky_full``: mode "full" (PLC + PDS + AppView on a private Postgres and Redis, ~10 s), same accounts.

Tests using them are marked ``@pytest.mark.bluesky``. When the harness is not installed yet the fixture
runs scripts/install-bluesky.sh (idempotent; 2-4 minutes the first time) instead of skipping.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from infra.local.bluesky_net import (
    DEFAULT_ACCOUNTS,
    BlueskyNetwork,
    Mode,
    ensure_installed,
    is_installed,
)
from infra.local.runtime import outbound_allowed

START_TIMEOUT = 180


def _network(mode: Mode, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BlueskyNetwork]:
    if not is_installed() or mode == "full":
        # a no-op of a few milliseconds when everything is there (it also checks Postgres and Redis)
        ensure_installed(mode)
    net = BlueskyNetwork(mode, tmp_path_factory.mktemp(f"bluesky-{mode}"), DEFAULT_ACCOUNTS)
    net.start(timeout=START_TIMEOUT)
    try:
        with outbound_allowed(net.pds_url, net.appview_url or ""):  # a channel's server, reached on loopback
            yield net
    finally:
        net.stop()


@pytest.fixture(scope="session")
def bluesky(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BlueskyNetwork]:
    """A started PLC + PDS with at least two accounts (``net.accounts[0]``, ``net.accounts[1]``)."""
    yield from _network("pds", tmp_path_factory)


@pytest.fixture(scope="session")
def bluesky_full(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BlueskyNetwork]:
    """A started PLC + PDS + AppView (``net.appview_url``) with at least two accounts."""
    yield from _network("full", tmp_path_factory)
