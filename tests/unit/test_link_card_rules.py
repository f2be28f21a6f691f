"""Which link-card URLs may be fetched (SSRF rules), and reading a page's Open Graph tags."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
import responses

from parley.media.link_cards import (
    MAX_PAGE_BYTES,
    Refused,
    check_url,
    fetch_card,
    first_link,
    is_public_address,
    parse_open_graph,
    safe_get,
)
from parley.shared.config import get_settings
from parley.shared.names import Env


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",  # IPv4-mapped loopback
        "::ffff:10.0.0.1",
    ],
)
def test_private_loopback_link_local_and_reserved_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_public(address: str) -> None:
    assert is_public_address(address)


def resolver(*addresses: str) -> Any:
    def resolve(host: str, port: int, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    return resolve


def test_a_host_that_resolves_to_a_private_address_is_refused() -> None:
    with pytest.raises(Refused):
        check_url("https://intranet.example/", resolve=resolver("10.0.0.5"))


def test_a_host_with_any_private_address_among_its_answers_is_refused() -> None:
    with pytest.raises(Refused):
        check_url("https://mixed.example/", resolve=resolver("93.184.216.34", "127.0.0.1"))


def test_a_host_on_public_addresses_is_allowed() -> None:
    check_url("https://shop.example/sale", resolve=resolver("93.184.216.34"))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://shop.example/", "gopher://x/", "http:///nohost"])
def test_only_http_and_https_urls_with_a_host_are_fetched(url: str) -> None:
    with pytest.raises(Refused):
        check_url(url, resolve=resolver("93.184.216.34"))


def test_an_allowed_host_skips_the_address_rule() -> None:
    check_url("http://127.0.0.1:8000/page", allowed_hosts=("127.0.0.1",), resolve=resolver("127.0.0.1"))


def test_a_literal_private_address_is_refused_without_the_allow_list() -> None:
    with pytest.raises(Refused):
        check_url("http://127.0.0.1:8000/page", resolve=socket.getaddrinfo)


def test_open_graph_tags_win_over_title_and_relative_images_are_resolved() -> None:
    html = """<html><head><title>Plain</title><meta property="og:title" content="Sale &amp; more">
    <meta name="description" content="fallback"><meta property="og:image" content="/img/t.png"></head></html>"""

    card = parse_open_graph(html, "https://shop.example/sale/")

    assert card["title"] == "Sale & more"
    assert card["description"] == "fallback"
    assert card["thumbnail_url"] == "https://shop.example/img/t.png"


def test_a_page_without_open_graph_uses_its_title() -> None:
    assert parse_open_graph("<title> Hello </title>", "https://a.example/")["title"] == "Hello"


def test_the_first_link_of_a_text_loses_trailing_punctuation() -> None:
    assert first_link("See https://shop.example/sale, now!") == "https://shop.example/sale"
    assert first_link("no link here") is None


def test_a_redirect_to_a_private_address_is_refused_although_the_first_host_was_allowed() -> None:
    with responses.RequestsMock() as web:
        web.add(responses.GET, "http://127.0.0.1:8000/go", status=302, headers={"Location": "http://10.0.0.9/admin"})

        with pytest.raises(Refused):
            safe_get("http://127.0.0.1:8000/go", 1000, allowed_hosts=("127.0.0.1",))


@pytest.fixture
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(Env.LINK_CARD_ALLOWED_HOSTS.value, "127.0.0.1")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv(Env.LINK_CARD_ALLOWED_HOSTS.value)
    get_settings.cache_clear()


@pytest.mark.usefixtures("loopback_allowed")
def test_a_page_larger_than_the_cap_keeps_only_its_head_for_the_card() -> None:
    head = b'<head><meta property="og:title" content="Big page"></head>'
    with responses.RequestsMock() as web:
        web.add(
            responses.GET,
            "http://127.0.0.1:8000/big",
            body=head + b"x" * (MAX_PAGE_BYTES + 10),
            content_type="text/html",
        )

        card = fetch_card("http://127.0.0.1:8000/big")

    assert card is not None and card["title"] == "Big page"
