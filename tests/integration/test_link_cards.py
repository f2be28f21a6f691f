"""Link cards fetched from real pages on 127.0.0.1, allowed by the setting as in the local runtime
(PARLEY_OUTBOUND_ALLOWED_HOSTS=127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from parley.media.link_cards import MAX_PAGE_BYTES, THUMB_BUDGET, card_outcome, fetch_card, fetch_thumbnail
from parley.shared.config import get_settings
from tests.support.images import png
from tests.support.loopback import allow_loopback, serving

BIG_HEAD = b'<html><head><meta property="og:title" content="Big page"></head><body>'


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        pages: dict[str, tuple[int, dict[str, str], bytes]] = {
            "/big": (200, {"Content-Type": "text/html"}, BIG_HEAD + b"x" * (MAX_PAGE_BYTES + 10)),
            "/to-intranet": (302, {"Location": "http://10.0.0.9/admin"}, b""),
            "/huge.png": (200, {"Content-Type": "image/png"}, png() + b"\0" * THUMB_BUDGET.max_bytes),
            "/small.png": (200, {"Content-Type": "image/png"}, png()),
        }
        status, headers, body = pages.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    allow_loopback(monkeypatch)
    with serving(_Pages) as url:
        yield url
    get_settings.cache_clear()


def test_a_page_larger_than_the_cap_keeps_only_its_head_for_the_card(pages: str) -> None:
    card = fetch_card(f"{pages}/big")

    assert card is not None and card["title"] == "Big page"


def test_a_link_whose_page_redirects_to_a_private_address_gets_no_card_and_says_why(pages: str) -> None:
    outcome = card_outcome(f"Our intranet: {pages}/to-intranet", {}, None, images_everywhere=False)

    assert outcome.card is None
    assert outcome.missing_because is not None
    assert "not one parley fetches" in outcome.missing_because and "private address" in outcome.missing_because


def test_a_thumbnail_over_the_size_budget_is_left_out_and_one_under_it_is_kept(pages: str) -> None:
    assert fetch_thumbnail(f"{pages}/huge.png") is None

    small = fetch_thumbnail(f"{pages}/small.png")
    assert small is not None and small.content_type == "image/png"
