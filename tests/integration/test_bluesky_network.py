"""Fast checks of the local Bluesky network itself (tests/support/bluesky.py), with plain `requests`.

They also pin down facts the Bluesky adapter relies on:
- createRecord with an rkey that already exists is refused with HTTP 500 `InternalServerError`
  (the PDS's message is only "Internal Server Error"; it logs "There is already a value at key"), and
  the first record stays as it was;
- `com.atproto.identity.resolveHandle` is answered by the PDS itself, also without an AppView;
- in the full network the AppView shows a post after a short indexing delay: poll.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from infra.local.bluesky_net import Account, BlueskyNetwork

pytestmark = pytest.mark.bluesky

POST = "app.bsky.feed.post"
TIMEOUT = 10


def _session(net: BlueskyNetwork, acct: Account) -> dict[str, Any]:
    resp = requests.post(
        f"{net.pds_url}/xrpc/com.atproto.server.createSession",
        json={"identifier": acct.handle, "password": acct.password},
        timeout=TIMEOUT,
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def _auth(session: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {session['accessJwt']}"}


def _post_record(text: str) -> dict[str, str]:
    return {"$type": POST, "text": text, "createdAt": "2026-11-23T12:00:00.000Z"}


def _create(net: BlueskyNetwork, session: dict[str, Any], rkey: str, text: str) -> requests.Response:
    return requests.post(
        f"{net.pds_url}/xrpc/com.atproto.repo.createRecord",
        headers=_auth(session),
        json={"repo": session["did"], "collection": POST, "rkey": rkey, "record": _post_record(text)},
        timeout=TIMEOUT,
    )


def test_create_session(bluesky: BlueskyNetwork) -> None:
    alice = bluesky.accounts[0]
    session = _session(bluesky, alice)
    assert session["did"] == alice.did
    assert session["handle"] == alice.handle
    assert session["accessJwt"] and session["refreshJwt"]


def test_create_record_with_rkey_then_read_it_back(bluesky: BlueskyNetwork) -> None:
    session = _session(bluesky, bluesky.accounts[0])
    rkey = "3lparleyrkey2"
    resp = _create(bluesky, session, rkey, "hello from parley")
    assert resp.status_code == 200, resp.text
    created = resp.json()
    assert created["uri"] == f"at://{session['did']}/{POST}/{rkey}"

    got = requests.get(
        f"{bluesky.pds_url}/xrpc/com.atproto.repo.getRecord",
        params={"repo": session["did"], "collection": POST, "rkey": rkey},
        timeout=TIMEOUT,
    )
    assert got.status_code == 200, got.text
    assert got.json()["cid"] == created["cid"]
    assert got.json()["value"]["text"] == "hello from parley"


def test_create_record_with_a_taken_rkey_is_refused(bluesky: BlueskyNetwork) -> None:
    session = _session(bluesky, bluesky.accounts[0])
    rkey = "3lparleydup22"
    first = _create(bluesky, session, rkey, "first")
    assert first.status_code == 200, first.text

    second = _create(bluesky, session, rkey, "second")
    # The fact the adapter needs: no 409, no specific error name — a plain 500.
    assert second.status_code == 500, second.text
    assert second.json()["error"] == "InternalServerError"

    got = requests.get(
        f"{bluesky.pds_url}/xrpc/com.atproto.repo.getRecord",
        params={"repo": session["did"], "collection": POST, "rkey": rkey},
        timeout=TIMEOUT,
    )
    assert got.status_code == 200
    assert got.json()["cid"] == first.json()["cid"]
    assert got.json()["value"]["text"] == "first"


def test_resolve_handle_of_the_other_account_without_appview(bluesky: BlueskyNetwork) -> None:
    bob = bluesky.accounts[1]
    resp = requests.get(
        f"{bluesky.pds_url}/xrpc/com.atproto.identity.resolveHandle",
        params={"handle": bob.handle},
        timeout=TIMEOUT,
    )
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"did": bob.did}

    unknown = requests.get(
        f"{bluesky.pds_url}/xrpc/com.atproto.identity.resolveHandle",
        params={"handle": "nobody-here.test"},
        timeout=TIMEOUT,
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "HandleNotFound"


def test_app_bsky_reads_fail_without_appview(bluesky: BlueskyNetwork) -> None:
    session = _session(bluesky, bluesky.accounts[0])
    resp = requests.get(
        f"{bluesky.pds_url}/xrpc/app.bsky.actor.getProfile",
        params={"actor": bluesky.accounts[1].did},
        headers=_auth(session),
        timeout=TIMEOUT,
    )
    assert resp.status_code == 502
    assert resp.json()["error"] == "UpstreamFailure"


def test_create_account(bluesky: BlueskyNetwork) -> None:
    carol = bluesky.create_account("carol.test", "carol-local-password")
    assert carol.did.startswith("did:plc:")
    assert bluesky.account("carol.test") == carol
    assert _session(bluesky, carol)["did"] == carol.did


def test_full_network_post_is_visible_on_the_appview(bluesky_full: BlueskyNetwork) -> None:
    net = bluesky_full
    assert net.appview_url is not None
    session = _session(net, net.accounts[0])
    resp = _create(net, session, "3lparleyfull2", "visible on the AppView")
    assert resp.status_code == 200, resp.text
    uri = resp.json()["uri"]

    deadline = time.monotonic() + 15  # indexing takes ~0.2-0.6 s
    while True:
        thread = requests.get(
            f"{net.appview_url}/xrpc/app.bsky.feed.getPostThread", params={"uri": uri}, timeout=TIMEOUT
        )
        if thread.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert thread.status_code == 200, thread.text
    post = thread.json()["thread"]["post"]
    assert post["uri"] == uri
    assert post["author"]["did"] == session["did"]
    assert post["record"]["text"] == "visible on the AppView"
