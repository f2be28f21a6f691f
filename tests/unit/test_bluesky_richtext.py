"""Facets of a Bluesky post: what is found, and that byte offsets point at exactly that text."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.networks import richtext
from parley.networks.richtext import Span, build_facets, byte_range, find_spans

# Arbitrary text that UTF-8 can encode (lone surrogates cannot be posted at all).
any_text = st.text(st.characters(codec="utf-8"), max_size=200)
# Text rich in what facets are made of, so that the properties meet many facets, not only plain text.
facet_text = st.lists(
    st.one_of(
        st.sampled_from(
            [
                " ",
                "\n",
                "(",
                ")",
                ".",
                "!",
                "#",
                "\uff03",
                "@",
                "https://",
                "http://",
                "example.com",
                "/p?q=1",
                "alice.test",
                "bsky.social",
                "tag",
                "123",
                "\u0301",
                "\U0001f389",
                "\u4e2d\u6587",
                "\ufe0f",
                "\u200d",
                "-",
                "_",
                "'",
                '"',
            ]
        ),
        st.text(st.characters(codec="utf-8"), max_size=3),
    ),
    max_size=40,
).map("".join)


def _slice(text: str, facet: dict[str, Any]) -> str:
    index = facet["index"]
    return text.encode("utf-8")[index["byteStart"] : index["byteEnd"]].decode("utf-8")


def _resolve_all(handle: str) -> str:
    return f"did:plc:{handle.replace('.', '')}"


def _kinds(text: str) -> list[tuple[str, str]]:
    return [(span.kind, span.value) for span in find_spans(text)]


# -- links -------------------------------------------------------------------------------------------


def test_a_url_is_a_link() -> None:
    assert _kinds("read https://example.com/a?b=1 now") == [("link", "https://example.com/a?b=1")]


def test_sentence_punctuation_after_a_link_is_not_part_of_it() -> None:
    assert _kinds("see https://example.com/a!? And") == [("link", "https://example.com/a")]


def test_a_closing_bracket_belongs_to_a_link_only_when_it_closes_one_inside() -> None:
    assert _kinds("(https://en.wikipedia.org/wiki/Foo_(bar)) (https://x.com/a)") == [
        ("link", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("link", "https://x.com/a"),
    ]


def test_a_quoted_url_is_a_link_without_the_quotes() -> None:
    assert _kinds('Read "https://x.com/q".') == [("link", "https://x.com/q")]


def test_a_bare_domain_under_a_known_tld_is_an_https_link() -> None:
    assert _kinds("shop at my-store.co.uk/sale, today") == [("link", "https://my-store.co.uk/sale")]


@pytest.mark.parametrize("text", ["e.g. this", "edit setup.cfg", "v1.2.3", "bob@example.com", "https://"])
def test_things_that_only_look_like_domains_are_not_links(text: str) -> None:
    assert _kinds(text) == []


def test_a_link_inside_a_word_is_not_a_link() -> None:
    assert _kinds("xhttps://example.com") == []


# -- mentions ----------------------------------------------------------------------------------------


def test_a_handle_after_at_is_a_mention() -> None:
    assert _kinds("thanks @Alice.bsky.social!") == [("mention", "alice.bsky.social")]


def test_a_mention_stops_where_the_handle_does() -> None:
    assert _kinds("@alice.test's post.") == [("mention", "alice.test")]


@pytest.mark.parametrize("text", ["mail bob@alice.test", "@alice", "@alice.test_x", "@alice.123"])
def test_things_that_are_not_handles_are_not_mentions(text: str) -> None:
    assert [kind for kind, _ in _kinds(text)] == []


# -- tags --------------------------------------------------------------------------------------------


def test_a_hash_word_is_a_tag_without_its_trailing_punctuation() -> None:
    assert _kinds("#launch! and #1st.") == [("tag", "launch"), ("tag", "1st")]


@pytest.mark.parametrize("text", ["#123", "#", "a#tag", "#\ufe0f\u20e3", "https://x.com/#frag", "#!!"])
def test_things_that_are_not_tags(text: str) -> None:
    assert [kind for kind, _ in _kinds(text) if kind == "tag"] == []


def test_a_full_width_hash_starts_a_tag_too() -> None:
    assert _kinds("\uff03\u65e5\u672c") == [("tag", "\u65e5\u672c")]


def test_a_tag_of_64_graphemes_is_kept_and_of_65_dropped() -> None:
    # Given tags whose letters carry combining marks: 2 code points per grapheme
    letters64 = "e\u0301" * 64

    assert _kinds("#" + letters64) == [("tag", letters64)]
    assert _kinds("#" + letters64 + "e") == []


# -- offsets and facets ------------------------------------------------------------------------------


def test_byte_offsets_count_utf8_bytes_not_characters() -> None:
    # Given facets after an emoji (4 bytes), CJK (3 bytes each) and a combining mark (2 bytes)
    text = "\U0001f389 \u4e2d\u6587 e\u0301 #tag"

    facets = build_facets(text, _resolve_all)

    assert facets == [
        {
            "index": {"byteStart": 16, "byteEnd": 20},
            "features": [{"$type": richtext.TAG, "tag": "tag"}],
        }
    ]
    assert _slice(text, facets[0]) == "#tag"


def test_a_resolved_mention_carries_the_did_and_an_unresolved_one_stays_text() -> None:
    # Given one handle that resolves and one that does not, mentioned twice
    asked: list[str] = []

    def resolve(handle: str) -> str | None:
        asked.append(handle)
        return "did:plc:alice" if handle == "alice.test" else None

    facets = build_facets("@alice.test @ghost.test @alice.test", resolve)

    assert [(f["index"]["byteStart"], f["features"][0]) for f in facets] == [
        (0, {"$type": richtext.MENTION, "did": "did:plc:alice"}),
        (24, {"$type": richtext.MENTION, "did": "did:plc:alice"}),
    ]
    assert asked == ["alice.test", "ghost.test"]  # each handle resolved once


def test_facets_of_all_kinds_come_in_text_order() -> None:
    text = "#go @alice.test https://example.com"

    facets = build_facets(text, _resolve_all)

    assert [f["features"][0]["$type"] for f in facets] == [richtext.TAG, richtext.MENTION, richtext.LINK]
    assert [_slice(text, f) for f in facets] == ["#go", "@alice.test", "https://example.com"]


# -- properties --------------------------------------------------------------------------------------


def _assert_spans_sound(text: str, spans: list[Span]) -> None:
    previous_end = 0
    for span in spans:
        assert previous_end <= span.start < span.end <= len(text)
        previous_end = span.end
        start, end = byte_range(text, span)
        assert text.encode("utf-8")[start:end].decode("utf-8") == text[span.start : span.end]


@given(any_text)
def test_every_span_of_any_text_decodes_to_exactly_its_text(text: str) -> None:
    _assert_spans_sound(text, find_spans(text))


@given(facet_text)
def test_every_span_of_facet_rich_text_decodes_to_exactly_its_text(text: str) -> None:
    _assert_spans_sound(text, find_spans(text))


@given(st.one_of(any_text, facet_text))
def test_every_facet_slice_is_the_text_its_feature_names(text: str) -> None:
    for facet in build_facets(text, _resolve_all):
        shown = _slice(text, facet)
        feature = facet["features"][0]
        if feature["$type"] == richtext.LINK:
            assert feature["uri"] in (shown, "https://" + shown)
        elif feature["$type"] == richtext.MENTION:
            assert shown[0] == "@"
            assert feature["did"] == _resolve_all(shown[1:].lower())
        else:
            assert shown[0] in "#\uff03"
            assert shown[1:] == feature["tag"]


@given(
    any_text,
    st.sampled_from(["https://example.com/a?b=1", "example.org/x", "@alice.test", "#launch", "#\u65e5\u672c"]),
    any_text,
)
def test_a_facet_amid_any_text_is_found_at_its_bytes(before: str, token: str, after: str) -> None:
    # Given a token set off by spaces in arbitrary text
    text = f"{before} {token} {after}"
    token_start = len(before.encode("utf-8")) + 1

    # When the facets are built
    facets = build_facets(text, _resolve_all)

    # Then one of them covers exactly the token's bytes
    ranges = [(f["index"]["byteStart"], f["index"]["byteEnd"]) for f in facets]
    assert (token_start, token_start + len(token.encode("utf-8"))) in ranges
