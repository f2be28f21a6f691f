"""A channel's own server (a Mastodon instance, a Bluesky PDS: `service_url`) is reached under the outbound
fetcher's rules (issue 15 item 2), against real HTTP servers on 127.0.0.1:

- connecting to a loopback, link-local (cloud metadata) or private address is a 422 on `service_url`, no
  request reaches it, nothing is written;
- a stored channel whose server is not allowed is refused at the request, before any credential leaves;
- a redirect to another origin does not carry the token along;
- a peer's error text comes back short and plain, whatever it sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from parley.networks.base import Credential, PermanentNetworkError
from parley.networks.bluesky import BlueskyAdapter
from parley.networks.boundary import MAX_PEER_TEXT
from parley.networks.mastodon import LimitsCache, MastodonAdapter
from parley.shared import outbound_requests
from parley.shared.config import get_settings
from parley.shared.names import Env
from parley.store import ChannelRecord
from tests.integration.test_api_posts import Workspace, make_workspace
from tests.support.loopback import serving
from tests.support.sessions import MemoryStore

SEEN: list[tuple[int, str, dict[str, str]]] = []  # (server port, path, headers) of every request served


class Instance(BaseHTTPRequestHandler):
    """A Mastodon-like server: /redirect/<port> sends to the same path on another port; /verbose answers
    a 422 with a long error full of control characters; everything else answers an account."""

    def do_GET(self) -> None:
        port = int(self.server.server_address[1])  # type: ignore[index]
        SEEN.append((port, self.path, {k.lower(): v for k, v in self.headers.items()}))
        if self.path.startswith("/redirect/"):
            target = self.path.split("/")[2]
            self._answer(307, b"", {"Location": f"http://127.0.0.1:{target}/api/v1/accounts/verify_credentials"})
        elif self.path.startswith("/verbose"):
            error = "refused\x00\x1b[31m " + "<html>" * 100_000
            self._answer(422, json.dumps({"error": error}).encode(), {"Content-Type": "application/json"})
        else:
            account = {"id": "1", "acct": "brand", "username": "brand"}
            self._answer(200, json.dumps(account).encode(), {"Content-Type": "application/json"})

    do_POST = do_GET

    def _answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def instance() -> Iterator[str]:
    SEEN.clear()
    with serving(Instance) as base:
        yield base


def allow(monkeypatch: pytest.MonkeyPatch, hosts: str) -> None:
    """The allow-list for this test only (a test session's peers may have set one for the session)."""
    monkeypatch.setenv(Env.OUTBOUND_ALLOWED_HOSTS.value, hosts)
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    yield
    get_settings.cache_clear()


def mastodon(base: str) -> MastodonAdapter:
    return MastodonAdapter(Credential("", "the-token", base), MemoryStore(), limits_cache=LimitsCache())


@pytest.mark.parametrize(
    ("service_url", "reason"),
    [
        ("loopback", "loopback address"),
        ("http://169.254.169.254", "link-local address"),  # the cloud's metadata service
        ("http://10.0.0.7", "private address"),
        ("http://localhost:8080", "loopback address"),  # a name is judged by what it resolves to
    ],
)
def test_connecting_to_a_server_that_is_not_public_is_422_and_nothing_is_asked_or_written(
    aws: str, instance: str, monkeypatch: pytest.MonkeyPatch, service_url: str, reason: str
) -> None:
    allow(monkeypatch, "")
    ws: Workspace = make_workspace()
    url = instance if service_url == "loopback" else service_url
    body = {"network": "mastodon", "access_token": "the-token", "service_url": url}

    answer = ws.editor.call("POST", "/channels", body)

    assert answer.status == 422, answer.body
    assert answer.body["errors"][0]["field"] == "service_url"
    assert reason in answer.body["errors"][0]["reason"]
    assert SEEN == []  # not one request, so the token went nowhere
    assert [c.channel_id for c in ChannelRecord.query(ws.id)] == [ws.channel_id]  # only the fixture's


def test_a_stored_channel_whose_server_is_not_allowed_is_refused_before_the_token_leaves(
    instance: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow(monkeypatch, "")
    for adapter in (
        mastodon(instance),
        BlueskyAdapter(Credential("brand.test", "app-password", instance), MemoryStore()),
    ):
        with pytest.raises(PermanentNetworkError, match=r"not usable: 127\.0\.0\.1 is a loopback address"):
            adapter.verify(adapter._credential)  # type: ignore[attr-defined]
    assert SEEN == []


def test_the_allow_list_lets_a_local_server_in(instance: str, monkeypatch: pytest.MonkeyPatch) -> None:
    allow(monkeypatch, "127.0.0.1")

    assert mastodon(instance).verify(Credential("", "the-token", instance)).remote_id == "1"
    assert SEEN[0][2]["authorization"] == "Bearer the-token"


def test_a_redirect_to_another_origin_does_not_carry_the_token(instance: str, monkeypatch: pytest.MonkeyPatch) -> None:
    allow(monkeypatch, "127.0.0.1")
    with serving(Instance) as other:
        other_port = other.rsplit(":", 1)[1]
        adapter = mastodon(instance)

        adapter.get_json(f"/redirect/{other_port}", doing="read the account")

    (_, _, first), (second_port, second_path, second) = SEEN
    assert first["authorization"] == "Bearer the-token"
    assert second_port == int(other_port) and second_path == "/api/v1/accounts/verify_credentials"
    assert "authorization" not in second


def test_a_peers_error_text_comes_back_short_and_plain(instance: str, monkeypatch: pytest.MonkeyPatch) -> None:
    allow(monkeypatch, "127.0.0.1")

    with pytest.raises(PermanentNetworkError) as refused:
        mastodon(instance).get_json("/verbose", doing="read something")

    reason = refused.value.reason
    assert "refused" in reason and len(reason) < MAX_PEER_TEXT + 100
    assert not any(ord(c) < 32 for c in reason)


class SeeOther(BaseHTTPRequestHandler):
    """POST /go answers 303 to /landed, as a server does after a form; GET /landed answers 200."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        SEEN.append((0, self.path, {k.lower(): v for k, v in self.headers.items()}))
        self.send_response(303)
        self.send_header("Location", "/landed")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        SEEN.append((0, self.path, {k.lower(): v for k, v in self.headers.items()}))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: Any) -> None:
        pass


def test_a_see_other_after_a_post_is_a_get_without_the_posts_body_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    allow(monkeypatch, "127.0.0.1")
    SEEN.clear()
    with serving(SeeOther) as base:
        answer = outbound_requests.session().post(f"{base}/go", json={"status": "hello"}, timeout=5)

    assert answer.status_code == 200 and answer.text == "ok"
    (_, _, posted), (_, landed_path, landed) = SEEN
    assert posted["content-length"] != "0" and landed_path == "/landed"
    assert "content-length" not in landed and "content-type" not in landed
