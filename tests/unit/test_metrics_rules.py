"""Pure rules of parley.metrics: link display and UTM tags, crawler detection, visitors, counter names, the
report."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from infra.local import report
from parley.links import clicks, short_links, visitors
from parley.metrics import snapshots


def test_display_drops_the_scheme_and_www_and_cuts_long_links() -> None:
    assert short_links.display("https://www.example.com/a/") == "example.com/a"
    long = short_links.display("https://example.com/" + "x" * 100)
    assert len(long) == short_links.DISPLAY_MAX and long.endswith("\u2026")


def test_utm_tags_are_added_and_the_marketers_own_win() -> None:
    target = short_links.with_utm(
        "https://example.com/p?utm_source=newsletter#top", "mastodon", "spring", {"utm_term": "t"}
    )
    parts = urlsplit(target)
    assert parts.fragment == "top"
    assert parse_qs(parts.query) == {
        "utm_source": ["newsletter"],
        "utm_medium": ["social"],
        "utm_campaign": ["spring"],
        "utm_term": ["t"],
    }


def test_a_link_that_cannot_be_taken_apart_keeps_its_form_instead_of_failing_the_request() -> None:
    assert short_links.with_utm("https://[x/a", "x", None) == "https://[x/a"  # no IPv6 address in the brackets


@pytest.mark.parametrize(
    ("agent", "crawler"),
    [
        ("Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)", True),
        ("Twitterbot/1.0", True),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", True),
        ("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", True),
        ("http.rb/5.1.1 (Mastodon/4.3.0; +https://mastodon.social/)", True),
        ("LinkedInBot/1.0 (compatible; Mozilla/5.0)", True),
        ("Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)", True),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", False),
        # a phone whose name holds "bot": a person (a substring list took it for a crawler)
        ("Mozilla/5.0 (Linux; Android 10; Cubot NOTE 20) AppleWebKit/537.36 Chrome/88.0 Mobile Safari/537.36", False),
        ("Mozilla/5.0 (Linux; Android 13; Robotics Tab) AppleWebKit/537.36 Chrome/120.0 Safari/537.36", False),
        ("Mozilla/5.0 (compatible; Pinterestbot/1.0; +http://www.pinterest.com/bot.html)", True),
        ("", False),
        (None, False),
    ],
)
def test_link_preview_crawlers_are_told_from_people(agent: str | None, crawler: bool) -> None:
    assert clicks.is_crawler(agent) is crawler


def test_codes_are_url_safe_and_unguessable_and_nothing_else_is_a_code() -> None:
    made = {short_links.new_code() for _ in range(1000)}
    assert len(made) == 1000 and all(short_links.is_code(code) for code in made)
    for bad in ("", "short", "a" * 13, "../../etc/pa", "abc@2026-01-0", "https://evil"):
        assert not short_links.is_code(bad)


def test_counters_get_one_name_on_every_network() -> None:
    assert snapshots.normalize({"like": 2, "repost": 1, "reply": 0, "quote": 0}) == {
        "likes": 2,
        "reposts": 1,
        "replies": 0,
        "quotes": 0,
    }
    assert snapshots.normalize({"favourites_count": 3, "reblogs_count": 1, "impression_count": 90, "x": "no"}) == {
        "likes": 3,
        "reposts": 1,
        "impressions": 90,
    }


def test_the_report_is_one_page_with_three_inline_charts() -> None:
    row = {"post_id": "p_1", "text": "Hello", "clicks": 2, "previews": 1}
    summary = {
        "from": "2026-11-01T00:00:00Z",
        "to": "2026-11-23T00:00:00Z",
        "totals": {"posts": 1, "clicks": 2},
        "top_posts": [{"text": "Hello <b>", "engagement": 3, "clicks": 2}],
        "best_hours": [{"weekday": "Tue", "hour": 9, "avg_engagement": 3.0, "avg_clicks": 2.0}],
        "deliveries": [row],
    }
    point = {"at": "2026-11-20T09:02:00Z", "engagement": 3, "counters": {"likes": 3}}
    metrics = [{"post_id": "p_1", "deliveries": [{"network": "bluesky", "points": [point]}]}]
    page = report.build_report(summary, metrics)
    assert all(f'id="{chart}"' in page for chart in report.CHART_IDS)
    assert page.count("Plotly.newPlot") == 3 and "<script src=" not in page
    assert "Hello &lt;b&gt;" in page


def test_a_given_link_wins_over_what_is_found_and_is_indexed_in_utf8_bytes() -> None:
    from parley.networks import richtext

    text = "Olá example.com/blog/x\u2026 #launch"
    start = text.index("example")
    end = text.index(" #")
    facets = richtext.build_facets(text, lambda handle: None, links=((start, end, "https://go.test/l/abcdefghijkl"),))
    link, tag = facets
    assert link["features"] == [{"$type": richtext.LINK, "uri": "https://go.test/l/abcdefghijkl"}]
    raw = text.encode()
    assert raw[link["index"]["byteStart"] : link["index"]["byteEnd"]].decode() == "example.com/blog/x\u2026"
    assert tag["features"][0]["tag"] == "launch"


def test_a_visitor_is_a_keyed_hash_of_address_and_agent_that_holds_neither() -> None:
    key, other_key = b"k" * 32, b"o" * 32
    ip, agent = "203.0.113.7", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"

    visitor = visitors.visitor_hash(key, ip, agent)

    assert visitor == visitors.visitor_hash(key, ip, agent)  # the same visitor within the hour
    assert re.fullmatch(r"[0-9a-f]{32}", visitor) and ip not in visitor
    others = {
        visitors.visitor_hash(key, "203.0.113.8", agent),  # another address
        visitors.visitor_hash(key, ip, agent + " Mobile"),  # another device
        visitors.visitor_hash(other_key, ip, agent),  # another hour's key
        visitors.visitor_hash(key, None, None),
    }
    assert visitor not in others and len(others) == 4
    # keyed: without the hour's key, hashing the address and agent does not find it
    assert visitor != hashlib.sha256(f"{ip}\n{agent}".encode()).hexdigest()[:32]


def test_a_visitors_hour_is_the_utc_hour_of_the_click() -> None:
    assert visitors.hour_of(datetime(2026, 11, 23, 9, 59, 59, tzinfo=UTC)) == "2026-11-23T09"
