"""A test's own web server on 127.0.0.1, and the outbound allow-list that lets parley reach it (parley's
fetcher refuses loopback unless allowed: tests allow exactly that host)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from parley.shared.config import get_settings
from parley.shared.names import Env


@contextmanager
def serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` served on a free loopback port; yields the base URL, stops the server after."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def allow_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let parley's outbound fetcher reach 127.0.0.1 for this test (monkeypatch undoes the setting)."""
    monkeypatch.setenv(Env.OUTBOUND_ALLOWED_HOSTS.value, "127.0.0.1")
    get_settings.cache_clear()
