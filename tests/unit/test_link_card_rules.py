"""Link cards: reading a page's Open Graph tags, and which links get no card before anything is fetched
(the fetching rules themselves: tests/unit/test_outbound_rules.py; against real pages:
tests/integration/test_link_cards.py)."""

from __future__ import annotations

import pytest

from parley.media.link_cards import card_outcome, first_link, parse_open_graph
from parley.shared.errors import ValidationFailed


def test_open_graph_tags_win_over_title_and_relative_images_are_resolved() -> None:
    html = """<html><head><title>Plain</title><meta property="og:title" content="Sale &amp; more">
    <meta name="description" content="fallback"><meta property="og:image" content="/img/t.png"></head></html>"""

    card = parse_open_graph(html, "https://shop.example/sale/")

    assert card["title"] == "Sale & more"
    assert card["description"] == "fallback"
    assert card["thumbnail_url"] == "https://shop.example/img/t.png"


def test_a_page_without_open_graph_uses_its_title() -> None:
    assert parse_open_graph("<title> Hello </title>", "https://a.example/")["title"] == "Hello"


def test_the_first_link_of_a_text_loses_trailing_punctuation() -> None:
    assert first_link("See https://shop.example/sale, now!") == "https://shop.example/sale"
    assert first_link("no link here") is None


def test_a_link_that_hides_loopback_behind_a_backslash_gets_no_card_and_says_why() -> None:
    # urlsplit read example.com here; the client that connects reads 127.0.0.1:8080
    outcome = card_outcome("Look: http://127.0.0.1:8080\\@example.com/", {}, None, images_everywhere=False)

    assert outcome.card is None
    assert outcome.missing_because is not None and "backslash" in outcome.missing_because


def test_a_given_card_url_with_userinfo_is_refused_naming_the_field() -> None:
    with pytest.raises(ValidationFailed) as refused:
        card_outcome("Sale", {}, {"url": "https://admin:pw@shop.example/"}, images_everywhere=False)

    assert [p.field for p in refused.value.problems] == ["link_card.url"]
    assert "userinfo" in refused.value.problems[0].reason
