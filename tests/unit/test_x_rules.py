"""X's queue-time rules: weighted length by the twitter-text rules (twitter-text-parser), pure."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from parley.networks.x import check_text, created_at_of, weighted_length
from parley.shared.errors import FieldProblem

# Letters, digits, spaces and punctuation that cannot form a link ("a.com" is one for X) nor an entity.
latin = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x17F, whitelist_categories=["Lu", "Ll", "Nd", "Zs"]),
    max_size=280,
)
cjk = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=200)
# Sequences the twitter-text emoji table knows (newer ones, e.g. "🧑🏿‍🚀", it splits in parts).
emoji = st.sampled_from(["😀", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🇫🇷", "🏳️\u200d🌈", "❤️", "1️⃣"])
url_path = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/", max_size=300)


@given(latin)
def test_latin_text_weighs_one_per_character(text: str) -> None:
    assert weighted_length(text) == len(unicodedata.normalize("NFC", text))


@given(latin)
def test_decomposed_accents_weigh_what_the_composed_letters_weigh(text: str) -> None:
    assert weighted_length(unicodedata.normalize("NFD", text)) == weighted_length(unicodedata.normalize("NFC", text))


@given(cjk)
def test_each_cjk_ideograph_weighs_two(text: str) -> None:
    assert weighted_length(text) == 2 * len(text)


@given(st.lists(emoji, min_size=1, max_size=50))
def test_each_emoji_sequence_weighs_two_however_many_code_points_it_has(sequence: list[str]) -> None:
    assert weighted_length("".join(sequence)) == 2 * len(sequence)


@given(url_path)
def test_a_link_weighs_23_whatever_its_length(path: str) -> None:
    assert weighted_length(f"see https://example.com/{path} now") == len("see  now") + 23


def test_a_bare_domain_is_a_link_for_x() -> None:
    assert weighted_length("go to example.com") == len("go to ") + 23


def test_280_latin_characters_fit_and_281_do_not() -> None:
    assert check_text("a" * 280) == []
    assert check_text("a" * 281) == [
        FieldProblem(
            "text", "281 characters as X counts them (links as 23, most emoji and CJK as 2); X allows at most 280"
        )
    ]


def test_140_cjk_characters_fit_and_141_do_not() -> None:
    assert check_text("字" * 140) == []
    assert check_text("字" * 141)[0].reason.startswith("282 characters")


def test_empty_text_is_refused() -> None:
    assert check_text(" ") == [FieldProblem("text", "is empty; a post on X needs some text")]


def test_characters_x_refuses_are_named() -> None:
    assert check_text("hello \ufffe")[0].reason.startswith("contains characters X does not allow")


def test_a_post_id_tells_when_it_was_created() -> None:
    # The id in X's own examples (docs.x.com/x-api/posts/create-or-edit-post), created 2021-01-06 18:40:40 UTC.
    created = created_at_of("1346889436626259968")

    assert created is not None and created.replace(microsecond=0) == datetime(2021, 1, 6, 18, 40, 40, tzinfo=UTC)
