"""Which URLs the outbound fetcher refuses, and that it connects only to the address it checked (no sockets
are opened here: names are answered by a fake resolver, and a connect is recorded and refused)."""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from parley.shared import outbound
from parley.shared.config import get_settings
from parley.shared.errors import OutboundFailed, OutboundRefused
from parley.shared.names import Env
from parley.shared.outbound import check_url, why_not_public

PUBLIC = "93.184.216.34"


def answers(*addresses: str) -> list[Any]:
    return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 80)) for a in addresses]


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Callable[..., list[str]]:
    """`dns(name=[addresses, ...])` makes each name answer with the next list on each lookup (a list of
    one: always that); returns the names looked up, in order. Unknown names do not resolve."""
    asked: list[str] = []

    def install(**zones: list[list[str]]) -> list[str]:
        def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
            if _is_address(host):  # an address literal needs no lookup (urllib3 asks for the pinned one)
                return answers(host)
            asked.append(host)
            if host not in zones:
                raise socket.gaierror(socket.EAI_NONAME, "unknown name")
            turn = sum(1 for h in asked if h == host) - 1
            return answers(*zones[host][min(turn, len(zones[host]) - 1)])

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return asked

    return install


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # urlsplit ends the host at "@" and reads example.com; urllib3 ends it at "\" and connects to 127.0.0.1
        ("http://127.0.0.1:8080\\@example.com/", "backslash"),
        ("https://example.com\\.attacker.example/", "backslash"),
        ("http://user@example.com/", "userinfo"),
        ("http://user:secret@example.com/", "userinfo"),
        ("ftp://example.com/", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://example.com/", "only http and https"),
        ("example.com/page", "only http and https"),
        ("http:///nohost", "no host"),
        ("http://:80/", "no host"),
        ("http://exa mple.com/", "spaces and control characters"),
        ("http://example.com/\r\nX-Injected: 1", "spaces and control characters"),
        ("http://example.com:99999/", "not a valid URL"),
    ],
)
def test_a_url_of_a_refused_form_is_refused_before_any_lookup_saying_why(
    url: str, reason: str, dns: Callable[..., list[str]]
) -> None:
    asked = dns(**{"example.com": [[PUBLIC]]})

    with pytest.raises(OutboundRefused, match=reason):
        check_url(url, allow=())

    assert asked == []


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),  # the cloud's metadata service
        ("fe80::1%eth0", "link-local"),
        ("100.64.0.1", "shared"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "private"),
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1 (global to `ipaddress` itself)
        ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1 (global to `ipaddress` itself)
        ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ],
)
def test_an_address_off_the_public_internet_is_named_for_what_it_is(address: str, kind: str) -> None:
    reason = why_not_public(address)

    assert reason is not None and kind in reason


@pytest.mark.parametrize("address", [PUBLIC, "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::5db8:d822"])
def test_a_public_address_has_no_reason_against_it(address: str) -> None:
    assert why_not_public(address) is None


def test_a_host_that_resolves_to_a_private_address_is_refused(dns: Callable[..., list[str]]) -> None:
    dns(**{"intranet.example": [["10.0.0.5"]]})

    with pytest.raises(OutboundRefused, match=re.escape("intranet.example resolves to a private address (10.0.0.5)")):
        check_url("https://intranet.example/", allow=())


def test_a_host_with_any_loopback_address_among_its_answers_is_refused(dns: Callable[..., list[str]]) -> None:
    dns(**{"mixed.example": [[PUBLIC, "127.0.0.1"]]})

    with pytest.raises(OutboundRefused, match="resolves to a loopback address"):
        check_url("https://mixed.example/", allow=())


def test_a_literal_loopback_address_is_refused_without_the_allow_list() -> None:
    with pytest.raises(OutboundRefused, match=re.escape("127.0.0.1 is a loopback address")):
        check_url("http://127.0.0.1/page", allow=())


def test_a_public_host_is_checked_with_every_address_it_resolves_to(dns: Callable[..., list[str]]) -> None:
    dns(**{"shop.example": [[PUBLIC, "2606:4700:4700::1111"]]})

    target = check_url("https://shop.example/sale?x=1#top", allow=())

    assert target.addresses == (PUBLIC, "2606:4700:4700::1111")
    assert (target.host, target.port, target.request_uri, target.host_header) == (
        "shop.example",
        443,
        "/sale?x=1",
        "shop.example",
    )


def test_a_public_host_on_a_port_other_than_80_or_443_is_refused(dns: Callable[..., list[str]]) -> None:
    dns(**{"shop.example": [[PUBLIC]]})

    with pytest.raises(OutboundRefused, match="port 6379 is not allowed"):
        check_url("http://shop.example:6379/", allow=())


def test_a_host_that_does_not_resolve_is_a_failure_not_a_refusal(dns: Callable[..., list[str]]) -> None:
    dns()

    with pytest.raises(OutboundFailed, match="does not resolve"):
        check_url("https://gone.example/", allow=())


def test_an_allow_listed_name_may_be_loopback_on_any_port(dns: Callable[..., list[str]]) -> None:
    dns(**{"pds.test": [["127.0.0.1"]]})

    target = check_url("http://pds.test:2583/xrpc", allow=("pds.test",))

    assert target.addresses == ("127.0.0.1",) and target.host_header == "pds.test:2583"


def test_an_allow_listed_network_admits_the_names_that_resolve_into_it(dns: Callable[..., list[str]]) -> None:
    dns(**{"peer.test": [["127.0.0.1"]]})

    check_url("http://peer.test:8080/", allow=("127.0.0.0/8",))
    check_url("http://127.0.0.1:8080/", allow=("127.0.0.1",))


def test_an_allow_listed_network_does_not_admit_a_private_address_outside_it(dns: Callable[..., list[str]]) -> None:
    dns(**{"peer.test": [["127.0.0.1", "10.0.0.5"]]})

    with pytest.raises(OutboundRefused, match=re.escape("10.0.0.5")):
        check_url("http://peer.test/", allow=("127.0.0.1",))


@pytest.fixture
def allow_setting(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(Env.OUTBOUND_ALLOWED_HOSTS.value, " Peer.Test ,10.0.0.0/8")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv(Env.OUTBOUND_ALLOWED_HOSTS.value)
    get_settings.cache_clear()


@pytest.mark.usefixtures("allow_setting")
def test_the_allow_list_is_the_setting_by_default(dns: Callable[..., list[str]]) -> None:
    dns(**{"peer.test": [["127.0.0.1"]], "intranet.example": [["10.0.0.5"]]})

    check_url("http://peer.test:8080/")
    check_url("http://intranet.example:8080/")
    with pytest.raises(OutboundRefused):
        check_url("http://127.0.0.1/")


def test_a_rebinding_name_is_looked_up_once_and_the_connection_goes_to_the_address_checked(
    dns: Callable[..., list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a name that answers a public address first and loopback after (DNS rebinding)
    asked = dns(**{"rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    connected: list[Any] = []

    def connect(sock: socket.socket, address: Any) -> None:
        connected.append(address[:2])
        raise ConnectionRefusedError("recorded, not connected")

    monkeypatch.setattr(socket.socket, "connect", connect)

    # When it is fetched
    with pytest.raises(OutboundFailed, match="could not be reached"):
        outbound.fetch("GET", "http://rebind.example/", allow=())

    # Then the name was asked once, and only the public address it gave was connected to
    assert asked.count("rebind.example") == 1
    assert connected == [(PUBLIC, 80)]


def test_a_fetch_of_a_refused_url_opens_no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    connected: list[Any] = []
    monkeypatch.setattr(socket.socket, "connect", lambda sock, address: connected.append(address))

    with pytest.raises(OutboundRefused, match="backslash"):
        outbound.fetch("GET", "http://127.0.0.1:8080\\@example.com/", allow=())

    assert connected == []


def test_an_allow_list_entry_with_a_port_lets_that_port_only(dns: Callable[..., list[str]]) -> None:
    dns(**{"peer.test": [["127.0.0.1"]]})
    allow = ("127.0.0.1:2583", "peer.test:8443", "[::1]:9000")

    assert check_url("http://127.0.0.1:2583/xrpc", allow=allow).addresses == ("127.0.0.1",)
    assert check_url("https://peer.test:8443/", allow=allow).port == 8443
    assert check_url("http://[::1]:9000/", allow=allow).port == 9000
    for url in ("http://127.0.0.1:9001/", "https://peer.test/", "http://[::1]:9001/"):
        with pytest.raises(OutboundRefused, match="loopback"):
            check_url(url, allow=allow)
