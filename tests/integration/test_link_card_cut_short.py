"""A link card's thumbnail whose body is cut short (issue 15 item 5: it was a ChunkedEncodingError that
failed the post): the card goes out without it. Served from 127.0.0.1, allowed as in the local runtime."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from parley.media.link_cards import fetch_thumbnail
from parley.shared.config import get_settings
from parley.shared.names import Env
from tests.support.images import png


class _CutShort(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        image = png()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        if self.path == "/chunked.png":  # one chunk, then the connection closes without the last chunk
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(f"{len(image):x}\r\n".encode() + image + b"\r\n" + b"ffff\r\n" + image[:10])
        else:  # fewer bytes than Content-Length says
            self.send_header("Content-Length", str(len(image) + 5000))
            self.end_headers()
            self.wfile.write(image)
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(Env.OUTBOUND_ALLOWED_HOSTS.value, "127.0.0.1")
    get_settings.cache_clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _CutShort)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    monkeypatch.delenv(Env.OUTBOUND_ALLOWED_HOSTS.value)
    get_settings.cache_clear()


@pytest.mark.parametrize("path", ["/chunked.png", "/short.png"])
def test_a_thumbnail_cut_short_leaves_the_card_without_it(server: str, path: str) -> None:
    assert fetch_thumbnail(f"{server}{path}") is None
