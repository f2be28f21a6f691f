"""One post to Bluesky, Mastodon and X in one request, through the local runtime, then the replies from
each network in the inbox and an answer on each, threaded.

- Bluesky: the real local network with its AppView (replies need the AppView's threads).
- Mastodon: `mastodon_mock`, a mock of Mastodon's REST API written by others (no Mastodon server can be
  installed here).
- X: no X server exists to run locally: a stand-in written for these tests (tests/support/x_standin.py)
  keeps the posts, and every request parley makes is also checked by Prism serving X's own OpenAPI
  description; the test asserts Prism found no violation.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from infra.local import audience
from infra.local.bluesky_net import BlueskyNetwork
from parley.cli import main
from parley.listening import inbox
from tests.e2e.test_listening_flow import _indexed, _until
from tests.e2e.test_publish_flow import Runtime, runtime_with_channel
from tests.support.peers import MastodonMock, PrismX
from tests.support.x_standin import XStandIn, serve

pytestmark = [pytest.mark.bluesky, pytest.mark.peers]

FAN_ID, FAN = "1176198498214371328", "afan"


@dataclass
class Three:
    env: Runtime
    channels: dict[str, str]  # network -> channel id
    mastodon_token: str
    x: XStandIn


def _connect_x(env: Runtime, stand_in: XStandIn) -> str:
    """Through X's OAuth 2.0 flow as a marketer drives it: parley's X app set by the admin command (pointed
    at the stand-in), the consent link from the API opened in a browser, X sending that browser back to the
    callback."""
    setup = CliRunner().invoke(
        main, ["admin", "set-app", "x", "--client-id", "cid", "--api-base", stand_in.base_url], input="s3cret\n"
    )
    assert setup.exit_code == 0, setup.output
    started = env.call("GET", "/channels/x/connect")
    assert started.status_code == 200, started.text
    browser = requests.Session()  # the browser that opens connect_url is the one that may finish
    opened = browser.get(started.json()["connect_url"], allow_redirects=False, timeout=30)
    assert opened.status_code == 302, opened.text
    back = browser.get(
        started.json()["callback_url"], params={"state": started.json()["state"], "code": "the-code"}, timeout=30
    )
    assert back.status_code == 200, back.text
    (channel,) = [c for c in env.call("GET", "/channels").json()["items"] if c["network"] == "x"]
    return str(channel["id"])


@pytest.fixture
def three(
    bluesky_full: BlueskyNetwork,
    mastodon_mock: MastodonMock,
    prism_x: PrismX,
    tmp_path: Path,
) -> Iterator[Three]:
    env = runtime_with_channel(bluesky_full, tmp_path / "state", "three")
    token = mastodon_mock.new_account(f"brand{uuid.uuid4().hex[:6]}")
    body = {"network": "mastodon", "access_token": token, "service_url": mastodon_mock.base_url}
    mastodon = env.call("POST", "/channels", body)
    assert mastodon.status_code == 201, mastodon.text
    stand_in = XStandIn(prism_x.base_url)
    server: ThreadingHTTPServer = serve(stand_in)
    try:
        x_channel = _connect_x(env, stand_in)
        ids = {"bluesky": env.channel_id, "mastodon": mastodon.json()["id"], "x": x_channel}
        yield Three(env, ids, token, stand_in)
    finally:
        server.shutdown()
        env.runtime.stop()


def _as(mock: MastodonMock, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    response = requests.request(
        method, f"{mock.base_url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    response.raise_for_status()
    return response.json()


def test_one_post_goes_out_once_on_each_network_and_replies_come_back_and_are_answered(
    three: Three, mastodon_mock: MastodonMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = three.env
    body = {
        "text": "Launch day, on three networks at once",
        "overrides": {
            "mastodon": {"text": "Launch day, on three networks at once (Mastodon gets the long version)"},
            "x": {"text": "Launch day \U0001f680 on three networks"},
        },
        "channels": list(three.channels.values()),
        "publish_at": env.clock.now().isoformat(),
    }
    queued = env.call("POST", "/posts", body, **{"Idempotency-Key": "three-1"})
    assert queued.status_code == 201, queued.text
    env.advance(1)  # due now: handed to the queue with a second's delay
    env.advance(1)

    deliveries = {d["network"]: d for d in env.post(queued.json()["id"])["deliveries"]}
    assert {n: d["state"] for n, d in deliveries.items()} == {n: "published" for n in ("bluesky", "mastodon", "x")}
    # Exactly one create call on each network.
    (record,) = env.records()
    assert record["value"]["text"] == "Launch day, on three networks at once"
    (status,) = mastodon_mock.statuses_of(three.mastodon_token)
    assert "Mastodon gets the long version" in str(status["content"])
    assert three.x.requests_seen.count(("POST", "/2/tweets")) == 1
    (x_post,) = three.x.creates()
    assert x_post.text == "Launch day \U0001f680 on three networks" and x_post.id == deliveries["x"]["remote_id"]

    # Someone replies on each network.
    net = env.network
    person = net.create_account(f"fan{uuid.uuid4().hex[:8]}.test", "audience-pass")
    fan = audience.Person(net.pds_url, person.handle, person.password)
    root = audience.post_ref(net.pds_url, deliveries["bluesky"]["remote_id"])
    bluesky_reply = fan.post("Love it, great work!", reply_to=root)
    other_token = mastodon_mock.new_account(f"fan{uuid.uuid4().hex[:6]}")
    reply = {"status": "Love it, great work!", "in_reply_to_id": status["id"]}
    mastodon_reply = _as(mastodon_mock, other_token, "POST", "/api/v1/statuses", reply)
    x_reply = three.x.reply_as(FAN_ID, FAN, "This is great news, love it!", in_reply_to=x_post.id)
    _until(lambda: _indexed(net, [bluesky_reply.uri]), "the Bluesky reply")

    env.advance(2 * 60)  # each channel's first poll
    items = {i["network"]: i for i in env.call("GET", "/inbox").json()["items"]}
    assert set(items) == {"bluesky", "mastodon", "x"}
    assert [items[n]["remote_id"] for n in ("bluesky", "mastodon", "x")] == [
        bluesky_reply.uri,
        mastodon_reply["id"],
        x_reply.id,
    ]
    assert all(i["kind"] == "reply" and i["sentiment"]["label"] == "positive" for i in items.values())
    assert all(items[n]["post_id"] == queued.json()["id"] for n in items)
    assert items["bluesky"]["url"].startswith("https://bsky.app/profile/")
    assert items["mastodon"]["url"] == mastodon_reply["url"]
    assert items["x"]["url"] == f"https://x.com/{FAN}/status/{x_reply.id}"

    # An answer on each goes out threaded under the reply, once: the API dies after the network took the
    # answer and before it was recorded, and the client retries (a new request, no Idempotency-Key).
    real = inbox._mark_answered
    crashed: list[str] = []

    def crash_once(item: Any, *args: Any) -> None:
        if item.network not in crashed:
            crashed.append(item.network)
            raise RuntimeError("the function died before recording the answer")
        real(item, *args)

    monkeypatch.setattr(inbox, "_mark_answered", crash_once)
    for item in items.values():
        assert env.call("POST", f"/inbox/{item['id']}/reply", {"text": "Thank you!"}).status_code == 500
        # The dead request's lease holds a racing retry off (409) until it expires; then the retry looks first.
        assert env.call("POST", f"/inbox/{item['id']}/reply", {"text": "Thank you!"}).status_code == 409
        env.advance(inbox.ANSWER_LEASE.total_seconds() + 1)
        answered = env.call("POST", f"/inbox/{item['id']}/reply", {"text": "Thank you!"})
        assert answered.status_code == 200, answered.text
        assert answered.json()["status"] == "answered" and answered.json()["answer"]["url"]
    assert sorted(crashed) == ["bluesky", "mastodon", "x"]
    answers = [r for r in env.records() if r["value"].get("reply")]
    assert [a["value"]["reply"]["parent"]["uri"] for a in answers] == [bluesky_reply.uri]
    threaded = [s for s in mastodon_mock.statuses_of(three.mastodon_token) if s["in_reply_to_id"]]
    assert [s["in_reply_to_id"] for s in threaded] == [mastodon_reply["id"]]
    assert [p.replied_to for p in three.x.creates() if p.replied_to] == [x_reply.id]

    env.advance(5 * 60)  # a later poll: nothing twice, and our own answers are not inbox material
    assert len(env.call("GET", "/inbox").json()["items"]) == 3
    assert three.x.violations == []  # X would have accepted every request parley made
