"""The outbound fetcher against real servers on 127.0.0.1 (allow-listed for the fetch, as the local
runtime's peers are): redirects, credentials across origins, TLS on a pinned address, the time budget
inside a read and the size budget. Names other than loopback's are answered by a patched resolver; no
connection leaves the machine."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from parley.shared import outbound
from parley.shared.errors import OutboundFailed, OutboundRefused, OutboundTimedOut, OutboundTooLarge

LOOPBACK = ("127.0.0.1",)  # the allow-list of these tests: 127.0.0.1 only, not all of 127.0.0.0/8


@dataclass
class Site:
    """An HTTP server on 127.0.0.1 answering each path as told, and keeping every request it had."""

    base: str
    port: int
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]


@pytest.fixture
def site() -> Iterator[Site]:
    holder: list[Site] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            here = holder[0]
            here.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            status, headers, body = here.routes.get(self.path, (404, {}, b"not here"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    holder.append(Site(f"http://127.0.0.1:{port}", port))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield holder[0]
    server.shutdown()
    server.server_close()


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """`names(**{"shop.test": "127.0.0.1"})`: those names resolve there; every other lookup as usual."""
    real = socket.getaddrinfo

    def install(**zone: str) -> None:
        def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> Any:
            return real(zone.get(host, host), port, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)

    return install


@pytest.mark.parametrize(
    ("location", "kind"),
    [
        ("http://127.0.0.2:{port}/secret", "loopback"),  # loopback, but not the allow-listed address
        ("http://[::1]:{port}/secret", "loopback"),
        ("http://10.0.0.9/admin", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://127.0.0.1:{port}\\@example.com/", "backslash"),
    ],
)
def test_a_redirect_out_of_the_allow_list_is_refused_and_never_followed(site: Site, location: str, kind: str) -> None:
    site.routes["/go"] = (302, {"Location": location.format(port=site.port)}, b"")

    with pytest.raises(OutboundRefused, match=kind):
        outbound.fetch("GET", f"{site.base}/go", allow=LOOPBACK)

    assert site.paths() == ["/go"]


def test_a_redirect_to_another_origin_drops_the_callers_credentials(site: Site, names: Callable[..., None]) -> None:
    # Given a page that redirects to another name (which resolves to the same server)
    names(**{"other.test": "127.0.0.1"})
    site.routes["/start"] = (302, {"Location": f"http://other.test:{site.port}/landing"}, b"")
    site.routes["/landing"] = (200, {"Content-Type": "text/plain"}, b"landed")

    # When it is fetched with credentials
    answer = outbound.fetch(
        "GET",
        f"{site.base}/start",
        headers={"Authorization": "Bearer secret", "X-Api-Key": "k", "User-Agent": "parley test"},
        allow=LOOPBACK,
    )

    # Then the second host got neither, and was asked by its own name (connected to the address checked)
    assert (answer.status, answer.body, answer.url) == (200, b"landed", f"http://other.test:{site.port}/landing")
    (_, first), (_, second) = site.requests
    assert first["authorization"] == "Bearer secret" and first["x-api-key"] == "k"
    assert "authorization" not in second and "x-api-key" not in second
    assert second["user-agent"] == "parley test"
    assert second["host"] == f"other.test:{site.port}"


def test_a_redirect_on_the_same_origin_keeps_the_callers_credentials(site: Site) -> None:
    site.routes["/start"] = (301, {"Location": "/landing"}, b"")
    site.routes["/landing"] = (200, {}, b"landed")

    outbound.fetch("GET", f"{site.base}/start", headers={"Authorization": "Bearer secret"}, allow=LOOPBACK)

    assert [h.get("authorization") for _, h in site.requests] == ["Bearer secret", "Bearer secret"]


def test_redirects_are_followed_at_most_five_times(site: Site) -> None:
    site.routes |= {f"/{i}": (302, {"Location": f"/{i + 1}"}, b"") for i in range(10)}

    with pytest.raises(OutboundFailed, match="more than 5 redirects"):
        outbound.fetch("GET", f"{site.base}/0", allow=LOOPBACK)

    assert site.paths() == [f"/{i}" for i in range(6)]


def test_an_error_status_is_an_answer_not_an_exception(site: Site) -> None:
    answer = outbound.fetch("GET", f"{site.base}/missing", allow=LOOPBACK)

    assert (answer.status, answer.ok, answer.body) == (404, False, b"not here")


@dataclass
class Trickle:
    """A TCP server on 127.0.0.1 for one connection: it sends `pieces` with a pause after each, and
    notes whether it got to the end or found the connection closed first."""

    pieces: list[bytes]
    pause: float
    sent: int = 0
    finished: threading.Event = field(default_factory=threading.Event)
    cut_off: threading.Event = field(default_factory=threading.Event)
    listener: socket.socket = field(default_factory=lambda: socket.create_server(("127.0.0.1", 0)))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/"

    def start(self) -> Trickle:
        threading.Thread(target=self._serve, daemon=True).start()
        return self

    def _serve(self) -> None:
        conn, _ = self.listener.accept()
        with conn:
            conn.recv(65536)  # the request
            try:
                for piece in self.pieces:
                    conn.sendall(piece)
                    self.sent += 1
                    time.sleep(self.pause)
            except OSError:  # the fetch closed the connection: a send fails (reset, broken pipe)
                self.cut_off.set()
                return
        self.finished.set()


@pytest.fixture
def trickles() -> Iterator[list[Trickle]]:
    started: list[Trickle] = []
    yield started
    for server in started:
        server.listener.close()


def _bytes(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


BODY = b"x" * 120
HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 120\r\n\r\n"


@pytest.mark.parametrize(
    "pieces",
    [
        pytest.param([HEAD, *_bytes(BODY)], id="the body a byte at a time"),
        pytest.param([*_bytes(HEAD), BODY], id="the headers a byte at a time"),
    ],
)
def test_a_server_sending_a_byte_at_a_time_is_cut_off_at_the_time_budget(
    pieces: list[bytes], trickles: list[Trickle]
) -> None:
    # Given a server that sends a byte every quarter second, so that no single read waits long, but that
    # would take 30 s or more to send its whole answer
    server = Trickle(pieces, pause=0.25).start()
    trickles.append(server)

    # When it is fetched with a budget of one second
    with pytest.raises(OutboundTimedOut):
        outbound.fetch("GET", server.url, budget=outbound.Budget(seconds=1.0), allow=LOOPBACK)

    # Then the fetch closed the connection while the server still had bytes to send
    assert server.cut_off.wait(timeout=30)
    assert not server.finished.is_set() and server.sent < len(pieces)


def test_an_answer_larger_than_the_size_budget_is_read_no_further(trickles: list[Trickle]) -> None:
    # Given a server that sends an endless body
    chunk = bytes(range(256)) * 256
    endless = [b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n", *([chunk] * 100_000)]
    server = Trickle(endless, pause=0).start()
    trickles.append(server)

    # When it is fetched with a budget of 100 kB
    with pytest.raises(OutboundTooLarge) as too_large:
        outbound.fetch("GET", server.url, budget=outbound.Budget(max_bytes=100_000), allow=LOOPBACK)

    # Then what was read up to the budget comes with the error, and the server found the connection closed
    assert too_large.value.head == (chunk * 2)[:100_000]
    assert too_large.value.status == 200 and too_large.value.headers["content-type"] == "text/html"
    assert server.cut_off.wait(timeout=30)
    assert not server.finished.is_set()


def _self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_https_on_the_pinned_address_sends_the_name_and_checks_the_certificate(
    tmp_path: Path, names: Callable[..., None]
) -> None:
    # Given a TLS server on 127.0.0.1 whose certificate no public authority signed, for shop.test
    names(**{"shop.test": "127.0.0.1"})
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*_self_signed(tmp_path, "shop.test"))
    asked_for: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: asked_for.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            context.wrap_socket(conn, server_side=True).close()
        except (ssl.SSLError, OSError):
            conn.close()  # the client refused the certificate

    threading.Thread(target=serve, daemon=True).start()

    # When it is fetched by name (connecting to the address that name resolved to)
    with pytest.raises(OutboundFailed, match="CERTIFICATE_VERIFY_FAILED"):
        outbound.fetch("GET", f"https://shop.test:{port}/", allow=LOOPBACK)
    listener.close()

    # Then TLS asked for the name, not the address, and the certificate was checked
    assert asked_for == ["shop.test"]
