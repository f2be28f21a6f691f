"""`POST /posts/preview` through the API on the moto endpoint: per channel, the account, the text as it will be
sent (short links in their placeholder form, nothing stored), its segments as that network shows them, the
images, the link card (a real page on 127.0.0.1), and the validation's counts and refusals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from parley.links import short_links
from parley.media import link_cards, uploads
from parley.networks import segments
from parley.shared import clock, ids
from parley.shared.config import get_settings
from parley.store import ChannelRecord, LinkRecord, MediaRecord
from parley.team import members
from tests.integration.test_api_posts import Workspace, count_posts, fields, make_workspace
from tests.support.images import png
from tests.support.loopback import allow_loopback, serving
from tests.support.short_links import BASE

PAGE = (
    b'<html><head><meta property="og:title" content="Spring sale">'
    b'<meta property="og:description" content="20% off"></head><body>sale</body></html>'
)


READS: list[str] = []


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        READS.append(self.path)
        if self.path == "/slow":
            time.sleep(link_cards.PREVIEW_BUDGET.seconds + 1)  # past the live check's budget, within queueing's
        body = PAGE if self.path.startswith(("/sale", "/slow")) else b""
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def ws(aws: str) -> Workspace:
    link_cards._preview_cache.clear()
    return make_workspace()


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    allow_loopback(monkeypatch)
    with serving(_Pages) as url:
        yield url
    get_settings.cache_clear()


def channel(ws: Workspace, network: str, handle: str, **extra: Any) -> str:
    channel_id = "ch_" + ids.new_id()
    ChannelRecord(
        ws.id,
        channel_id,
        network=network,
        handle=handle,
        remote_id="remote-" + handle,
        service_url=extra.pop("service_url", "https://example.social"),
        credential_parameter="/parley/test/credential",
        created_at=clock.now(),
        created_by="mem_test",
        **extra,
    ).save()
    return channel_id


def by_network(answer: Any) -> dict[str, dict[str, Any]]:
    return {c["network"]: c for c in answer.body["channels"]}


def kinds(entry: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["kind"], s["text"]) for s in entry["segments"] if s["kind"] != "text"]


def test_each_network_gets_its_own_segments_and_short_link_form_and_nothing_is_written(
    ws: Workspace, short_links_on: None
) -> None:
    x = channel(ws, "x", "acme")
    masto = channel(ws, "mastodon", "acme", service_url="https://mastodon.example", display_name="Acme on Mastodon")
    text = "Launch day @alice.test #launch $ACME: https://shop.example.com/products/spring-collection."
    posts_before, links_before = count_posts(ws), len(list(LinkRecord.scan()))
    shown = short_links.display("https://shop.example.com/products/spring-collection")

    answer = ws.editor.call(
        "POST", "/posts/preview", {"text": text, "channels": [ws.channel_id, x, masto], "campaign": "spring"}
    )

    assert answer.status == 200, answer.body
    entries = by_network(answer)
    bsky, on_x, on_masto = entries["bluesky"], entries["x"], entries["mastodon"]
    assert bsky["account"] == {"name": "acme.test", "handle": "@acme.test", "avatar_url": None}
    assert on_masto["account"]["name"] == "Acme on Mastodon"
    assert on_masto["account"]["handle"] == "@acme@mastodon.example"
    # Bluesky: the text shows the link's display form; its facet goes to the short link's target.
    assert shown.endswith("\u2026") and f"{shown}." in bsky["text"]
    link = next(s for s in bsky["segments"] if s["kind"] == "link")
    assert link["text"] == shown
    assert link["href"].startswith("https://shop.example.com/products/spring-collection?")
    assert "utm_source=bluesky" in link["href"] and "utm_campaign=spring" in link["href"]
    assert kinds(bsky)[:2] == [("mention", "@alice.test"), ("hashtag", "#launch")]
    # X: the short link (placeholder code) shown as X shows links; @alice (X handles have no dots), $ACME.
    assert f"{BASE}/l/{'x' * 12}" in on_x["text"]
    assert kinds(on_x) == [
        ("mention", "@alice"),
        ("hashtag", "#launch"),
        ("cashtag", "$ACME"),
        ("link", segments.shown_link("x", f"{BASE}/l/xxxxxxxxxxxx")),
    ]
    assert "utm_source=x" in next(s["href"] for s in on_x["segments"] if s["kind"] == "link")
    # Mastodon: mentions and tags link to the channel's instance.
    mention = next(s for s in on_masto["segments"] if s["kind"] == "mention")
    assert mention["href"] == "https://mastodon.example/@alice.test"
    # The validation's counts, as POST /posts/validate answers them.
    validated = ws.editor.call("POST", "/posts/validate", {"text": text, "channels": [ws.channel_id, x, masto]})
    assert [c["counts"] for c in answer.body["channels"]] == [c["counts"] for c in validated.body["channels"]]
    assert answer.body["short_links"] == "on"
    # Read-only: no post, no short link.
    assert count_posts(ws) == posts_before
    assert len(list(LinkRecord.scan())) == links_before


def test_a_link_card_from_the_page_where_the_network_shows_one_and_not_under_an_image(
    ws: Workspace, pages: str
) -> None:
    insta = channel(ws, "instagram", "acme")
    linkedin = channel(ws, "linkedin", "urn:li:organization:1", display_name="Acme Outdoor")
    principal = members.Principal(ws.id, "mem_test", members.Role.EDITOR)
    image = png(1080, 1080)
    media = uploads.create_checked(principal, image, uploads.judge(image, "image/png", len(image)), alt="A tent")
    body = {
        "text": f"Spring sale {pages}/sale #camping",
        "channels": [ws.channel_id, insta, linkedin],
        "media": [media.media_id],
        "overrides": {"bluesky": {"media": []}},  # Bluesky without the image: its card shows
    }

    answer = ws.editor.call("POST", "/posts/preview", body)

    assert answer.status == 200, answer.body
    entries = by_network(answer)
    assert entries["bluesky"]["link_card"] == {"url": f"{pages}/sale", "title": "Spring sale", "description": "20% off"}
    assert entries["bluesky"]["images"] == []
    shown = {"media_id": media.media_id, "alt": "A tent", "url": f"/app/media/{media.media_id}", "width": 1080}
    for network in ("instagram", "linkedin"):  # an image wins over a card
        assert entries[network]["link_card"] is None and entries[network]["images"] == [shown | {"height": 1080}]
    on_insta = entries["instagram"]
    assert ("link", f"{pages}/sale") not in kinds(on_insta)  # no links in a caption
    assert ("hashtag", "#camping") in kinds(on_insta)
    assert ("hashtag", "#camping") not in kinds(entries["linkedin"])  # escaped: shown as written
    assert entries["linkedin"]["account"]["name"] == "Acme Outdoor"
    assert MediaRecord.get(media.media_id).in_use is None  # the preview marked nothing in use


def test_a_page_that_cannot_be_read_gives_no_card_and_says_why(ws: Workspace, pages: str) -> None:
    answer = ws.editor.call("POST", "/posts/preview", {"text": f"See {pages}/gone", "channels": [ws.channel_id]})

    assert answer.status == 200, answer.body
    entry = answer.body["channels"][0]
    assert entry["link_card"] is None and "no link card" in entry["link_card_missing"]


def test_refusals_are_the_validations_and_an_unknown_channel_has_no_account(ws: Workspace) -> None:
    answer = ws.editor.call("POST", "/posts/preview", {"text": "é" * 301, "channels": [ws.channel_id, "ch_unknown"]})

    assert answer.status == 200, answer.body
    first, unknown = answer.body["channels"]
    assert answer.body["ok"] is False
    assert first["problems"][0]["field"] == "text" and "300" in first["problems"][0]["reason"]
    assert first["segments"] == [{"kind": "text", "text": "é" * 301}]
    assert unknown["account"] is None and unknown["problems"][0]["field"] == "channels"


def test_bad_input_is_a_422_naming_the_field_and_a_viewer_may_not_preview(ws: Workspace) -> None:
    no_channels = ws.editor.call("POST", "/posts/preview", {"text": "Hi", "channels": []})
    assert no_channels.status == 422 and "channels" in fields(no_channels)
    no_text = ws.editor.call("POST", "/posts/preview", {"channels": [ws.channel_id]})
    assert no_text.status == 422 and "text" in fields(no_text)
    twice = ws.editor.call("POST", "/posts/preview", {"text": "Hi", "channels": [ws.channel_id, ws.channel_id]})
    assert twice.status == 422 and "channels" in fields(twice)
    assert ws.viewer.call("POST", "/posts/preview", {"text": "Hi", "channels": [ws.channel_id]}).status == 403


def test_the_cards_page_is_read_once_while_the_marketer_types(ws: Workspace, pages: str) -> None:
    READS.clear()
    for typed in ("Spring", "Spring sale", "Spring sale is on"):
        answer = ws.editor.call(
            "POST", "/posts/preview", {"text": f"{typed} {pages}/sale", "channels": [ws.channel_id]}
        )
        assert answer.status == 200 and answer.body["channels"][0]["link_card"]["title"] == "Spring sale"
    assert READS == ["/sale"]


def test_a_page_slower_than_the_live_checks_budget_gives_no_card_there_and_is_not_asked_again(
    ws: Workspace, pages: str
) -> None:
    READS.clear()
    body = {"text": f"Slow page {pages}/slow", "channels": [ws.channel_id], "link_card": {"description": "Ours"}}
    for _ in range(2):
        answer = ws.editor.call("POST", "/posts/preview", body)
        assert answer.status == 200, answer.body
        entry = answer.body["channels"][0]
        assert entry["link_card"] is None and "could not be read" in entry["link_card_missing"]
    assert READS == ["/slow"]


def test_a_lone_surrogate_in_the_text_is_refused_by_the_networks_rules_not_a_5xx(ws: Workspace) -> None:
    x = channel(ws, "x", "acme")
    answer = ws.editor.call("POST", "/posts/preview", {"text": "#a\ud800 @b $AB", "channels": [ws.channel_id, x]})

    assert answer.status in (200, 422), answer.body
    if answer.status == 200:
        assert answer.body["ok"] is False


def test_no_page_is_read_when_every_channel_gets_an_image(ws: Workspace, pages: str) -> None:
    principal = members.Principal(ws.id, "mem_test", members.Role.EDITOR)
    image = png(600, 400)
    media = uploads.create_checked(principal, image, uploads.judge(image, "image/png", len(image)), alt="A tent")
    READS.clear()
    body = {"text": f"Look {pages}/sale", "channels": [ws.channel_id], "media": [media.media_id]}

    answer = ws.editor.call("POST", "/posts/preview", body)

    assert answer.status == 200, answer.body
    entry = answer.body["channels"][0]
    assert entry["link_card"] is None and entry["link_card_missing"] is None and len(entry["images"]) == 1
    assert READS == []


def test_a_link_python_cannot_take_apart_is_previewed_not_a_5xx(ws: Workspace, short_links_on: None) -> None:
    answer = ws.editor.call("POST", "/posts/preview", {"text": "see https://[x/a now", "channels": [ws.channel_id]})

    assert answer.status == 200, answer.body
    link = next(s for s in answer.body["channels"][0]["segments"] if s["kind"] == "link")
    assert link["href"] == "https://[x/a"
