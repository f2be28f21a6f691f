"""One way out to URLs that someone else chose (link cards now; webhooks, media URLs and feeds later),
safe against server-side request forgery (SSRF):

- The URL is parsed once, by the parser of the client that connects (urllib3's `parse_url`): parsers that
  disagree are a bypass (`http://127.0.0.1:8080\\@example.com/` is example.com to `urlsplit` and 127.0.0.1
  to urllib3). Only http(s); no userinfo, backslashes, spaces or control characters.
- The host is resolved once and every address must be public (not loopback, private, link-local such as
  the cloud's metadata service, shared, multicast, reserved, unspecified, nor an IPv4-mapped, 6to4 or NAT64
  form of those), and on port 80 or 443. The connection goes to a checked address, so a rebinding DNS
  server gets no second question; the Host header, TLS SNI and the certificate check keep the name.
- The allow-list (`PARLEY_OUTBOUND_ALLOWED_HOSTS`: names, addresses, networks, or `host:port` for one port
  only; unset on AWS) lifts the address and port rules for the local runtime's and the tests' peers on
  127.0.0.1.
- Redirects are followed by hand, each checked as above; one to another origin drops the caller's headers
  but a harmless few, so credentials never travel where a redirect points.
- A time budget holds for the whole fetch: every socket read waits at most for what is left of it, so a
  server sending a byte a second cannot hold a fetch past it. Reading stops at a size budget. No proxy.

Not bounded by the budget: the DNS lookup itself (the system resolver's own timeout applies).
"""

from __future__ import annotations

import io
import ipaddress
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from http.client import HTTPException
from typing import Any
from urllib.parse import urljoin

import certifi
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError, LocationParseError
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util import parse_url

from parley.shared.config import get_settings
from parley.shared.errors import OutboundFailed, OutboundRefused, OutboundTimedOut, OutboundTooLarge

PUBLIC_PORTS = frozenset({80, 443})
CONNECT_SECONDS = 3.0  # per address tried; the budget bounds the whole fetch
MAX_REDIRECTS = 5
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_CROSS_ORIGIN_HEADERS = frozenset({"user-agent", "accept", "accept-language"})  # nothing that can be a secret
_CHUNK = 64 * 1024
_OURS = frozenset({"host", "accept-encoding", "connection"})  # set per request, never by the caller
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT; not "private" to `ipaddress`
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Budget:
    seconds: float = 8.0  # for the whole fetch, redirects included
    max_bytes: int = 1_000_000  # of one answer's body


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: bytes
    url: str  # the last one, after redirects

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class Target:
    """A URL that passed the rules: the addresses that were checked, and what to ask them for."""

    url: str
    scheme: str
    host: str  # as in the URL, without an IPv6 literal's brackets
    port: int
    addresses: tuple[str, ...]
    request_uri: str
    host_header: str


def why_not_public(address: str) -> str | None:
    """Why an IP address is not on the public internet ("a loopback address"), or None when it is."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):  # these forms reach the IPv4 address they carry: judge that
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif any(ip in prefix for prefix in _NAT64):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    kinds = (
        ("a loopback", ip.is_loopback),
        ("an unspecified", ip.is_unspecified),
        ("a link-local", ip.is_link_local),
        ("a multicast", ip.is_multicast),
        ("a reserved", ip.is_reserved),
        ("a private", ip.is_private),
        ("a shared (carrier-grade NAT)", isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED),
    )
    reason = next((kind for kind, is_kind in kinds if is_kind), None)
    if reason is None and not ip.is_global:
        reason = "a non-public"
    return f"{reason} address" if reason else None


def check_url(url: str, *, allow: Iterable[str] | None = None) -> Target:
    """The target of `url` when parley may fetch it. OutboundRefused says why not; OutboundFailed when
    its host does not resolve. `allow` is the allow-list (default: the setting)."""
    if "\\" in url:  # parsers disagree on where a host ends at a backslash: refuse rather than pick one
        raise OutboundRefused("a backslash is not allowed in a URL")
    if any(c <= " " or c == "\x7f" for c in url):
        raise OutboundRefused("spaces and control characters are not allowed in a URL")
    try:
        parts = parse_url(url)
    except LocationParseError:
        raise OutboundRefused("this is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise OutboundRefused("only http and https URLs are fetched")
    if parts.auth is not None:
        raise OutboundRefused("userinfo (user@ or user:password@ before the host) is not allowed")
    if not parts.host:
        raise OutboundRefused("the URL has no host")
    host = parts.host.strip("[]")
    default_port = 443 if parts.scheme == "https" else 80
    port = parts.port or default_port
    addresses = _resolve(host, port)
    names, networks, endpoints = _allow_list(get_settings().outbound_allowed_hosts if allow is None else allow)
    listed_endpoint = (host.rstrip(".").lower(), port) in endpoints or all((a, port) in endpoints for a in addresses)
    if (
        host.rstrip(".").lower() not in names
        and not all(_listed(a, networks) for a in addresses)
        and not listed_endpoint
    ):
        for address in addresses:
            if not _listed(address, networks) and (reason := why_not_public(address)):
                where = f"is {reason}" if address == host else f"resolves to {reason} ({address})"
                raise OutboundRefused(f"{host} {where}")
        if port not in PUBLIC_PORTS:
            raise OutboundRefused(f"port {port} is not allowed (public hosts are fetched on 80 and 443 only)")
    return Target(
        url=url,
        scheme=parts.scheme,
        host=host,
        port=port,
        addresses=addresses,
        request_uri=parts.request_uri,
        host_header=parts.host if port == default_port else f"{parts.host}:{port}",
    )


def fetch(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    budget: Budget = Budget(),
    allow: Iterable[str] | None = None,
) -> Response:
    """`method url` under the rules above, redirects followed (each checked). Raises OutboundRefused,
    OutboundFailed, or its kinds OutboundTimedOut and OutboundTooLarge; an error status is a Response."""
    allowed = tuple(get_settings().outbound_allowed_hosts if allow is None else allow)
    deadline = time.monotonic() + budget.seconds  # a budget, not a wall-clock reading
    sent = {"User-Agent": "parley", **(headers or {})}
    origin: tuple[str, str, int] | None = None
    for _ in range(MAX_REDIRECTS + 1):
        target = check_url(url, allow=allowed)
        if origin not in (None, (target.scheme, target.host, target.port)):
            sent = {k: v for k, v in sent.items() if k.lower() in _CROSS_ORIGIN_HEADERS}
        origin = (target.scheme, target.host, target.port)
        response = _exchange(method, target, sent, body, deadline, budget.max_bytes)
        location = response.headers.get("location")
        if response.status not in _REDIRECTS or not location:
            return response
        if response.status == 303 or (response.status in (301, 302) and method == "POST"):
            method, body = ("HEAD" if method == "HEAD" else "GET"), None  # as browsers do
            sent = {k: v for k, v in sent.items() if k.lower() not in ("content-type", "content-length")}
        url = urljoin(url, location)
    raise OutboundFailed(f"{url}: more than {MAX_REDIRECTS} redirects")


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundFailed(f"{host} does not resolve") from exc
    return tuple(dict.fromkeys(str(answer[4][0]) for answer in answers))  # in the resolver's order, once


def _allow_list(entries: Iterable[str]) -> tuple[set[str], list[_Network], set[tuple[str, int]]]:
    """The allow-list's names, networks (an address is a network of one) and endpoints (`host:port`,
    `[v6]:port`: that port only, as the local runtime lists its own peers)."""
    names: set[str] = set()
    networks: list[_Network] = []
    endpoints: set[tuple[str, int]] = set()
    for entry in (e.strip().lower() for e in entries):
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            continue
        except ValueError:
            pass
        host, _, port = entry.rpartition(":")
        if host and port.isdigit() and (":" not in host or host.startswith("[")):
            endpoints.add((host.strip("[]").rstrip("."), int(port)))
        else:
            names.add(entry.strip("[]").rstrip("."))
    return names, networks, endpoints


def _listed(address: str, networks: list[_Network]) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return any(ip.version == n.version and ip in n for n in networks)


def _exchange(
    method: str, target: Target, headers: dict[str, str], body: bytes | None, deadline: float, max_bytes: int
) -> Response:
    """One request and its answer, on a connection to one of the target's checked addresses."""
    # The Host is the name, not the address; identity (no decompression): the size budget counts what arrives.
    sent = {k: v for k, v in headers.items() if k.lower() not in _OURS}
    sent |= {"Host": target.host_header, "Accept-Encoding": "identity", "Connection": "close"}
    conn = _connect(target, deadline)
    answer = None
    try:
        conn.request(method, target.request_uri, body=body, headers=sent, preload_content=False, decode_content=False)
        answer = conn.getresponse()
        data = bytearray()
        for chunk in answer.stream(_CHUNK, decode_content=False):
            data += chunk
            if len(data) > max_bytes:  # stop reading: the rest stays unread, the connection is closed
                raise OutboundTooLarge(
                    f"{target.url} is larger than {max_bytes} bytes",
                    url=target.url,
                    status=answer.status,
                    headers=answer.headers,
                    head=bytes(data[:max_bytes]),
                )
        return Response(answer.status, answer.headers, bytes(data), target.url)
    except (OSError, HTTPError, HTTPException) as exc:
        if time.monotonic() >= deadline or isinstance(exc, (TimeoutError, Urllib3Timeout)):
            raise OutboundTimedOut(f"{target.url} took longer than its time budget") from exc
        raise OutboundFailed(f"{target.url} could not be fetched ({exc.__class__.__name__}: {exc})") from exc
    finally:
        if answer is not None:
            answer.close()
        conn.close()


def _connect(target: Target, deadline: float) -> HTTPConnection:
    """A connection to the first checked address that answers. The connection is made to the address,
    while TLS sends and verifies the name (`server_hostname`, `assert_hostname`)."""
    failure: Exception | None = None
    for address in target.addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        timeout = min(CONNECT_SECONDS, left)
        conn = (
            HTTPSConnection(
                address,
                target.port,
                timeout=timeout,
                server_hostname=target.host,
                assert_hostname=target.host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=certifi.where(),
            )
            if target.scheme == "https"
            else HTTPConnection(address, target.port, timeout=timeout)
        )
        try:
            conn.connect()
        except (OSError, HTTPError) as exc:
            conn.close()
            failure = exc
            continue
        conn.sock = _DeadlineSocket(conn.sock, deadline)  # type: ignore[assignment]
        return conn
    if failure is None or time.monotonic() >= deadline:
        raise OutboundTimedOut(f"{target.url} took longer than its time budget") from failure
    raise OutboundFailed(f"{target.host} could not be reached ({failure})") from failure


class _DeadlineSocket:
    """A connected socket whose every read waits at most for what is left of the fetch's budget.
    http.client reads the status line, the headers and the body through `makefile`, so the deadline
    holds inside each of them, not only between chunks. Everything else is the socket's own."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)

    def recv_into(self, *args: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the fetch's time budget is spent")
        self._sock.settimeout(left)
        return int(self._sock.recv_into(*args))

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        # socket.makefile's reading half, over this object (urllib3's SSLTransport does the same); the
        # reference count keeps the socket open while the response still reads from it.
        if mode != "rb":
            raise ValueError(f"only 'rb' is read through the deadline, not {mode!r}")
        self._sock._io_refs += 1  # type: ignore[attr-defined]
        return io.BufferedReader(socket.SocketIO(self, "rb"))  # type: ignore[arg-type]
