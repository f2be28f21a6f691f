"""Images and link cards in the Bluesky adapter, against a fake XRPC server (`responses`: no sockets).
The happy paths run against the real local network in tests/e2e/test_media_flow.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses

from parley.networks.base import Attachment, Credential, LinkCard, PublishRequest, TransientNetworkError
from parley.networks.bluesky import BlueskyAdapter
from parley.shared.clock import ManualClock

PDS = "http://127.0.0.1:2583"
DID = "did:plc:alice"
DUE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BLOB = {"$type": "blob", "ref": {"$link": "bafkrei"}, "mimeType": "image/png", "size": 3}


class Store:
    def load(self) -> dict[str, str] | None:
        return {
            "did": DID,
            "handle": "alice.test",
            "accessJwt": "a",
            "refreshJwt": "r",
            "identifier": "alice.test",
            "service_url": PDS,
        }

    def save(self, session: dict[str, str]) -> None:
        pass


@pytest.fixture
def pds() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def adapter() -> BlueskyAdapter:
    return BlueskyAdapter(Credential("alice.test", "pw", PDS), Store(), clock=ManualClock(DUE), http=requests.Session())


def url(nsid: str) -> str:
    return f"{PDS}/xrpc/{nsid}"


def calls(pds: responses.RequestsMock, nsid: str) -> list[Any]:
    return [c for c in pds.calls if (c.request.url or "").endswith(nsid)]


def created_record(pds: responses.RequestsMock) -> dict[str, Any]:
    (call,) = calls(pds, "com.atproto.repo.createRecord")
    return dict(json.loads(call.request.body)["record"])


def test_images_are_uploaded_as_raw_bytes_then_embedded_in_order_with_alt_and_aspect_ratio(
    pds: responses.RequestsMock,
) -> None:
    pds.add(responses.POST, url("com.atproto.repo.uploadBlob"), json={"blob": BLOB})
    pds.add(responses.POST, url("com.atproto.repo.createRecord"), json={"uri": f"at://{DID}/p/1", "cid": "c"})
    images = (Attachment(b"one", "image/png", "first", 4, 3), Attachment(b"two", "image/webp", "", None, None))

    adapter().publish(PublishRequest("d1", "Two pictures", DUE, look_first=False, images=images))

    uploads = calls(pds, "com.atproto.repo.uploadBlob")
    assert [(u.request.body, u.request.headers["Content-Type"]) for u in uploads] == [
        (b"one", "image/png"),
        (b"two", "image/webp"),
    ]
    embed = created_record(pds)["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert embed["images"][0] == {"alt": "first", "image": BLOB, "aspectRatio": {"width": 4, "height": 3}}
    assert embed["images"][1] == {"alt": "", "image": BLOB}


def test_an_image_the_pds_cannot_take_now_is_retried_and_nothing_is_created(pds: responses.RequestsMock) -> None:
    pds.add(responses.POST, url("com.atproto.repo.uploadBlob"), status=502, json={"error": "UpstreamFailure"})
    request = PublishRequest("d2", "x", DUE, look_first=False, images=(Attachment(b"one", "image/png"),))

    with pytest.raises(TransientNetworkError):
        adapter().publish(request)

    assert calls(pds, "com.atproto.repo.createRecord") == []


def test_a_thumbnail_the_pds_refuses_gives_a_card_without_it(pds: responses.RequestsMock) -> None:
    pds.add(responses.POST, url("com.atproto.repo.uploadBlob"), status=400, json={"error": "InvalidRequest"})
    pds.add(responses.POST, url("com.atproto.repo.createRecord"), json={"uri": f"at://{DID}/p/3", "cid": "c"})
    thumb = Attachment(b"thumb", "image/png")
    card = LinkCard("https://shop.example/sale", "Sale", "Half price", "https://shop.example/t.png", thumb)

    adapter().publish(PublishRequest("d3", "Sale https://shop.example/sale", DUE, look_first=False, link_card=card))

    embed = created_record(pds)["embed"]
    assert embed == {
        "$type": "app.bsky.embed.external",
        "external": {"uri": "https://shop.example/sale", "title": "Sale", "description": "Half price"},
    }
