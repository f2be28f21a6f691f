"""Images and link cards end to end: the local runtime (moto's S3 behind presigned POSTs, the firer, the
API over HTTP) and the real local Bluesky network; the test reads the records back from the PDS."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.bluesky_net import BlueskyNetwork
from parley.shared.names import Env
from tests.e2e.test_publish_flow import Runtime, run_to_publish_time, runtime_with_channel
from tests.support.images import png

pytestmark = pytest.mark.bluesky

PAGE = b"""<!doctype html><html><head><title>fallback</title>
<meta property="og:title" content="Winter sale">
<meta property="og:description" content="Everything half price until Sunday">
<meta property="og:image" content="/thumb.png">
</head><body>hello</body></html>"""


class _Pages(BaseHTTPRequestHandler):
    thumb = png(6, 4)

    def do_GET(self) -> None:
        if self.path == "/sale":
            body, kind = PAGE, "text/html; charset=utf-8"
        elif self.path == "/thumb.png":
            body, kind = self.thumb, "image/png"
        else:
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def pages() -> Iterator[str]:
    """A web page with Open Graph tags and its thumbnail, on 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def rt(bluesky: BlueskyNetwork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    # The test's own pages are on loopback: allow exactly that host (docs/media.md).
    monkeypatch.setenv(Env.OUTBOUND_ALLOWED_HOSTS.value, "127.0.0.1")
    env = runtime_with_channel(bluesky, tmp_path / "state", "media")
    yield env
    env.runtime.stop()


def upload_image(rt: Runtime, data: bytes, alt: str, content_type: str = "image/png") -> dict[str, Any]:
    created = rt.call("POST", "/media", {"content_type": content_type, "size": len(data), "alt": alt})
    assert created.status_code == 201, created.text
    form = created.json()["upload"]
    stored = requests.post(form["url"], data=form["fields"], files={"file": ("image", data)}, timeout=10)
    assert stored.ok, stored.text
    checked = rt.call("POST", f"/media/{created.json()['id']}/complete")
    assert checked.status_code == 200, checked.text
    return dict(checked.json())


def soon(rt: Runtime) -> str:
    return (rt.clock.now() + timedelta(minutes=10)).isoformat()


def queue(rt: Runtime, **body: Any) -> dict[str, Any]:
    publish_at = soon(rt)
    answer = rt.call(
        "POST",
        "/posts",
        {"channels": [rt.channel_id], "publish_at": publish_at} | body,
        **{"Idempotency-Key": uuid.uuid4().hex},
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_an_image_goes_out_on_bluesky_with_its_alt_text_and_aspect_ratio(rt: Runtime) -> None:
    image = upload_image(rt, png(8, 5), "Our shop front at night")
    assert image["status"] == "ready"

    post = queue(rt, text="The shop at night", media=[image["id"]])
    assert rt.call("GET", f"/media/{image['id']}").json()["delete_after"] is None  # in use: kept
    run_to_publish_time(rt)

    assert rt.post(post["id"])["status"] == "published"
    assert rt.call("GET", f"/media/{image['id']}").json()["delete_after"] is not None  # retired after publishing
    (record,) = rt.records()
    embed = record["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    (shown,) = embed["images"]
    assert shown["alt"] == "Our shop front at night"
    assert shown["aspectRatio"] == {"width": 8, "height": 5}
    assert shown["image"]["mimeType"] == "image/png" and shown["image"]["size"] == len(png(8, 5))
    blob = requests.get(
        f"{rt.network.pds_url}/xrpc/com.atproto.sync.getBlob",
        params={"did": rt.account.did, "cid": shown["image"]["ref"]["$link"]},
        timeout=10,
    )
    assert blob.content == png(8, 5)


def test_a_png_uploaded_as_jpeg_is_rejected_and_cannot_be_queued(rt: Runtime) -> None:
    image = upload_image(rt, png(), "alt", content_type="image/jpeg")
    assert image["status"] == "rejected"

    answer = rt.call(
        "POST",
        "/posts",
        {"text": "x", "channels": [rt.channel_id], "publish_at": soon(rt), "media": [image["id"]]},
    )

    assert answer.status_code == 422 and "image/png, not image/jpeg" in answer.text


def test_a_link_in_the_text_goes_out_as_a_card_with_its_thumbnail(rt: Runtime, pages: str) -> None:
    post = queue(rt, text=f"Our winter sale: {pages}/sale")
    assert post["link_card"]["title"] == "Winter sale"

    run_to_publish_time(rt)

    (record,) = rt.records()
    embed = record["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.external"
    external = embed["external"]
    assert external["uri"] == f"{pages}/sale"
    assert (external["title"], external["description"]) == ("Winter sale", "Everything half price until Sunday")
    assert external["thumb"]["mimeType"] == "image/png"


def test_given_card_fields_override_the_page_and_a_missing_thumbnail_still_publishes(rt: Runtime, pages: str) -> None:
    post = queue(
        rt,
        text=f"Sale {pages}/sale",
        link_card={"title": "Our own title", "thumbnail_url": f"{pages}/gone.png"},
    )

    run_to_publish_time(rt)

    assert rt.post(post["id"])["status"] == "published"
    (record,) = rt.records()
    external = record["value"]["embed"]["external"]
    assert external["title"] == "Our own title" and "thumb" not in external


def test_a_card_url_on_a_private_address_is_refused(rt: Runtime) -> None:
    answer = rt.call(
        "POST",
        "/posts",
        {
            "text": "look",
            "channels": [rt.channel_id],
            "publish_at": soon(rt),
            "link_card": {"url": "http://10.0.0.7/admin", "title": "x"},
        },
    )

    assert answer.status_code == 422
    reasons = {e["field"]: e["reason"] for e in answer.json()["errors"]}
    assert "private" in reasons["link_card.url"]


def test_an_upload_is_checked_by_itself_from_s3_s_event_notification(rt: Runtime) -> None:
    data = png(9, 4)
    created = rt.call("POST", "/media", {"content_type": "image/png", "size": len(data), "alt": "x"}).json()
    form = created["upload"]
    requests.post(form["url"], data=form["fields"], files={"file": ("image", data)}, timeout=10).raise_for_status()

    rt.advance(1)  # the firer feeds the media-uploads queue to the media-check function

    checked = rt.call("GET", f"/media/{created['id']}").json()
    assert (checked["status"], checked["width"], checked["height"]) == ("ready", 9, 4)
