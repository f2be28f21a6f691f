"""The Bluesky adapter against a real local Bluesky network (Bluesky's own dev-env: PLC + PDS)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from infra.local.bluesky_net import Account as NetAccount
from infra.local.bluesky_net import BlueskyNetwork
from parley.networks import richtext
from parley.networks.base import Credential, InvalidCredential, PublishRequest
from parley.networks.bluesky import POST_COLLECTION, BlueskyAdapter, record_key
from tests.support.sessions import MemoryStore

pytestmark = pytest.mark.bluesky

DUE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class CountingSession(requests.Session):
    """A real HTTP session that remembers which XRPC methods it called."""

    def __init__(self) -> None:
        super().__init__()
        self.methods: list[str] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        self.methods.append(str(url).rsplit("/xrpc/", 1)[-1])
        return super().request(method, url, *args, **kwargs)

    def count(self, nsid: str) -> int:
        return self.methods.count(nsid)


def _credential(net: BlueskyNetwork, account: NetAccount) -> Credential:
    return Credential(identifier=account.handle, secret=account.password, service_url=net.pds_url)


def _adapter(net: BlueskyNetwork, store: MemoryStore, http: requests.Session | None = None) -> BlueskyAdapter:
    return BlueskyAdapter(_credential(net, net.accounts[0]), store, http=http)


def _request(delivery_id: str, text: str, look_first: bool = False) -> PublishRequest:
    return PublishRequest(delivery_id=delivery_id, text=text, due_at=DUE, look_first=look_first)


def _get_record(net: BlueskyNetwork, did: str, rkey: str) -> dict[str, Any]:
    response = requests.get(
        f"{net.pds_url}/xrpc/com.atproto.repo.getRecord",
        params={"repo": did, "collection": POST_COLLECTION, "rkey": rkey},
        timeout=10,
    )
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def _posts_with_text(net: BlueskyNetwork, did: str, text: str) -> list[dict[str, Any]]:
    response = requests.get(
        f"{net.pds_url}/xrpc/com.atproto.repo.listRecords",
        params={"repo": did, "collection": POST_COLLECTION, "limit": "100"},
        timeout=10,
    )
    response.raise_for_status()
    return [record for record in response.json()["records"] if record["value"]["text"] == text]


def test_verify_returns_the_account_of_the_credential(bluesky: BlueskyNetwork) -> None:
    alice = bluesky.accounts[0]

    account = _adapter(bluesky, MemoryStore()).verify(_credential(bluesky, alice))

    assert (account.handle, account.remote_id) == (alice.handle, alice.did)


def test_verify_with_a_wrong_password_is_an_invalid_credential(bluesky: BlueskyNetwork) -> None:
    wrong = Credential(bluesky.accounts[0].handle, "not-the-password", bluesky.pds_url)

    with pytest.raises(InvalidCredential) as caught:
        BlueskyAdapter(wrong, MemoryStore()).verify(wrong)

    assert "not-the-password" not in str(caught.value)


def test_publish_creates_the_post_with_its_facets_at_the_right_bytes(bluesky: BlueskyNetwork) -> None:
    # Given a text with multi-byte characters before links, mentions (one unknown) and tags
    alice, bob = bluesky.accounts[0], bluesky.accounts[1]
    text = (
        f"\U0001f389 Caf\u00e9 d\u00e9j\u00e0 vu \u4e2d\u6587 with @{bob.handle} and @ghost.test! "
        "See https://example.com/launch?utm=x. #launch #\u65e5\u672c"
    )
    request = _request("it-facets", text)

    # When it is published
    published = _adapter(bluesky, MemoryStore()).publish(request)

    # Then the record is under the delivery's key, and each facet's bytes are exactly its text
    rkey = record_key(request)
    assert published.remote_id == f"at://{alice.did}/{POST_COLLECTION}/{rkey}"
    assert published.url == f"https://bsky.app/profile/{alice.handle}/post/{rkey}"
    assert not published.already_there
    value = _get_record(bluesky, alice.did, rkey)["value"]
    assert value["text"] == text
    encoded = text.encode("utf-8")
    shown = [
        (
            encoded[f["index"]["byteStart"] : f["index"]["byteEnd"]].decode("utf-8"),
            f["features"][0],
        )
        for f in value["facets"]
    ]
    assert shown == [
        (f"@{bob.handle}", {"$type": richtext.MENTION, "did": bob.did}),
        ("https://example.com/launch?utm=x", {"$type": richtext.LINK, "uri": "https://example.com/launch?utm=x"}),
        ("#launch", {"$type": richtext.TAG, "tag": "launch"}),
        ("#\u65e5\u672c", {"$type": richtext.TAG, "tag": "\u65e5\u672c"}),
    ]


def test_publishing_one_delivery_twice_makes_one_post(bluesky: BlueskyNetwork) -> None:
    # Given a delivery already published once
    alice = bluesky.accounts[0]
    request = _request("it-twice", "Exactly once, please")
    first = _adapter(bluesky, MemoryStore()).publish(request)

    # When a second attempt (another invocation, no look first) publishes it again
    second = _adapter(bluesky, MemoryStore()).publish(request)

    # Then it reports the post that is there, and the account holds one post
    assert second.already_there
    assert second.remote_id == first.remote_id
    assert len(_posts_with_text(bluesky, alice.did, "Exactly once, please")) == 1


def test_look_first_finds_the_post_without_writing(bluesky: BlueskyNetwork) -> None:
    # Given a delivery published by an attempt that crashed before recording it
    request = _request("it-look-first", "Published before the crash")
    first = _adapter(bluesky, MemoryStore()).publish(request)

    # When a takeover looks first
    http = CountingSession()
    found = _adapter(bluesky, MemoryStore(), http).publish(
        _request("it-look-first", "Published before the crash", look_first=True)
    )

    # Then it finds that post and writes nothing
    assert found.already_there
    assert found.remote_id == first.remote_id
    assert http.count("com.atproto.repo.createRecord") == 0


def test_find_is_none_for_a_delivery_never_published(bluesky: BlueskyNetwork) -> None:
    assert _adapter(bluesky, MemoryStore()).find(_request("it-never", "never sent")) is None


def test_a_stored_session_is_reused_by_the_next_invocation(bluesky: BlueskyNetwork) -> None:
    # Given one invocation that logged in and stored its session
    store = MemoryStore()
    _adapter(bluesky, store).publish(_request("it-session-1", "first of two"))

    # When the next invocation (a new adapter, the same store) publishes
    http = CountingSession()
    _adapter(bluesky, store, http).publish(_request("it-session-2", "second of two"))

    # Then it did not log in again
    assert http.count("com.atproto.server.createSession") == 0
    assert http.count("com.atproto.repo.createRecord") == 1


def test_a_refused_access_token_is_renewed_with_the_refresh_token(bluesky: BlueskyNetwork) -> None:
    # Given a stored session whose access token the PDS no longer accepts
    store = MemoryStore()
    _adapter(bluesky, store).publish(_request("it-refresh-1", "before the token went bad"))
    assert store.session is not None
    store.session = {**store.session, "accessJwt": "no-longer-valid"}

    # When publishing
    http = CountingSession()
    published = _adapter(bluesky, store, http).publish(_request("it-refresh-2", "after the token went bad"))

    # Then the refresh token renewed the session, without a new login, and the new one was stored
    assert not published.already_there
    assert http.count("com.atproto.server.refreshSession") == 1
    assert http.count("com.atproto.server.createSession") == 0
    assert store.session["accessJwt"] != "no-longer-valid"
