"""A post's text cut as each network highlights it (parley.networks.segments): the composer's preview cards."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.networks.segments import NETWORKS, handle_shown, segments, shown_link

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467"  # one grapheme, five code points
FLAG = "\U0001f1eb\U0001f1f7"


def found(network: str, text: str, **options: object) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in segments(network, text, **options) if s.kind != "text"]  # type: ignore[arg-type]


def hrefs(network: str, text: str) -> list[str | None]:
    return [s.href for s in segments(network, text) if s.kind != "text"]


# -- Bluesky: the facets publishing sends --------------------------------------------------------------------


def test_bluesky_links_mentions_and_tags_are_its_facets() -> None:
    text = "Hi @alice.test, see https://example.com/a. #launch!"
    assert found("bluesky", text) == [
        ("mention", "@alice.test"),
        ("link", "https://example.com/a"),  # the full stop ends the sentence, not the link
        ("hashtag", "#launch"),  # the "!" is not part of the tag
    ]
    assert hrefs("bluesky", text) == [
        "https://bsky.app/profile/alice.test",
        "https://example.com/a",
        "https://bsky.app/hashtag/launch",
    ]


def test_a_link_keeps_a_closing_bracket_it_opened_and_drops_one_it_did_not() -> None:
    assert found("bluesky", "(see https://en.wikipedia.org/wiki/Tent_(camping))") == [
        ("link", "https://en.wikipedia.org/wiki/Tent_(camping)")
    ]
    assert found("x", "(see https://example.com/page)") == [("link", "example.com/page")]


def test_given_short_links_win_over_what_is_found_and_keep_their_shown_text() -> None:
    text = "Sale: example.com/spring-sale-2026-collec\u2026 now"
    start = text.index("example")
    end = text.index(" now")
    cut = segments("bluesky", text, links=((start, end, "https://example.com/spring?utm_source=bluesky"),))
    assert [(s.kind, s.text, s.href) for s in cut] == [
        ("text", "Sale: ", None),
        ("link", "example.com/spring-sale-2026-collec\u2026", "https://example.com/spring?utm_source=bluesky"),
        ("text", " now", None),
    ]


# -- X ------------------------------------------------------------------------------------------------------


def test_x_links_mentions_hashtags_and_cashtags() -> None:
    # An e-mail address is neither a mention nor a link; "#2026" (digits only) is no hashtag.
    text = "Ask @acme_support or mail help@acme.com: #Launch2026 $ACME #2026 https://www.example.com/p?x=1."
    assert found("x", text) == [
        ("mention", "@acme_support"),
        ("hashtag", "#Launch2026"),
        ("cashtag", "$ACME"),
        ("link", "www.example.com/p?x=1"),  # shown without its scheme; the full stop is not part of it
    ]


def test_x_shows_a_long_link_cut_and_links_to_the_whole() -> None:
    url = "https://example.com/a/very/long/path/that/goes/on"
    cut = [s for s in segments("x", f"Read {url}") if s.kind == "link"]
    assert cut[0].text == shown_link("x", url) and cut[0].text.endswith("\u2026")
    assert cut[0].href == url


def test_x_mentions_are_at_most_fifteen_characters_and_a_keycap_is_no_hashtag() -> None:
    assert found("x", "@a_sixteen_chars_ hi") == []
    assert found("x", "#\ufe0f\u20e3 #\u20e3 press #1") == []


# -- Mastodon -----------------------------------------------------------------------------------------------


def test_mastodon_mentions_and_tags_link_to_the_instance_or_the_mentioned_server() -> None:
    text = "Thanks @bob and @carol@other.example #FediTip https://joinmastodon.org/apps/long/path/here"
    cut = [(s.kind, s.text, s.href) for s in segments("mastodon", text, instance="https://mastodon.example")]
    assert [c for c in cut if c[0] != "text"] == [
        ("mention", "@bob", "https://mastodon.example/@bob"),
        ("mention", "@carol@other.example", "https://other.example/@carol"),
        ("hashtag", "#FediTip", "https://mastodon.example/tags/FediTip"),
        ("link", "joinmastodon.org/apps/long/pat\u2026", "https://joinmastodon.org/apps/long/path/here"),
    ]


# -- Meta's networks and LinkedIn -----------------------------------------------------------------------------


def test_instagram_links_only_hashtags_and_mentions_never_urls() -> None:
    text = "New drop @acme.store #tents https://example.com"
    assert found("instagram", text) == [("mention", "@acme.store"), ("hashtag", "#tents")]


def test_threads_links_urls_mentions_and_only_its_first_tag() -> None:
    text = "Out now @acme #tents #camping https://example.com."
    assert found("threads", text) == [
        ("mention", "@acme"),
        ("hashtag", "#tents"),
        ("link", "https://example.com"),
    ]


def test_linkedin_shows_hashtags_and_mentions_as_written_and_links_urls() -> None:
    assert found("linkedin", "Hiring! #jobs @acme https://example.com/jobs") == [("link", "https://example.com/jobs")]


def test_facebook_links_urls_and_hashtags() -> None:
    assert found("facebook", "Open today #acme https://example.com") == [
        ("hashtag", "#acme"),
        ("link", "https://example.com"),
    ]
    assert hrefs("facebook", "#acme")[0] == "https://www.facebook.com/hashtag/acme"


# -- emoji and graphemes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("network", NETWORKS)
def test_emoji_around_tags_and_mentions_stay_whole(network: str) -> None:
    text = f"{FAMILY} #launch {FLAG} @acme {FAMILY}"
    cut = segments(network, text)
    assert "".join(s.text for s in cut) == text
    assert all(FAMILY not in s.text for s in cut if s.kind != "text")


def test_a_tag_written_in_another_script_and_with_accents_is_one_tag() -> None:
    for network in ("bluesky", "x", "mastodon", "facebook", "instagram"):
        assert ("hashtag", "#caf\u00e9") in found(network, "Menu: #caf\u00e9."), network
        assert ("hashtag", "#\u6771\u4eac") in found(network, "Trip #\u6771\u4eac"), network


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*"ab #@$._-:/()!", "\u00e9", FAMILY, FLAG, "\u200d", "\ufe0f", "\n"])).map("".join))
def test_without_links_the_segments_are_the_text_itself(text: str) -> None:
    for network in NETWORKS:
        cut = segments(network, text)
        assert "".join(s.text for s in cut) == text, network
        assert all(s.text for s in cut)
        assert all(a.kind != "text" or b.kind != "text" for a, b in itertools.pairwise(cut))


def test_the_handle_as_each_network_shows_it() -> None:
    assert handle_shown("bluesky", "acme.bsky.social") == "@acme.bsky.social"
    assert handle_shown("mastodon", "acme", "https://mastodon.example") == "@acme@mastodon.example"
    assert handle_shown("mastodon", "@acme@other.example", "https://mastodon.example") == "@acme@other.example"
    assert handle_shown("linkedin", "urn:li:organization:1") == "urn:li:organization:1"
