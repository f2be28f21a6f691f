"""Mastodon's queue-time rules: its counting rule, limits per instance, the idempotency key (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import regex
from hypothesis import given
from hypothesis import strategies as st

from parley.networks.mastodon import (
    LimitsCache,
    MastodonLimits,
    check_text,
    count_characters,
    idempotency_key,
    limits_from_instance,
)
from parley.shared.errors import FieldProblem

# No "@" (mentions) and no ":" or "/" (URLs): text in which nothing is rewritten before counting.
plain_text = st.text(alphabet=st.characters(blacklist_characters="@:/", blacklist_categories=["Cs"]), max_size=80)
emoji = st.sampled_from(["😀", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🇫🇷", "🏳️\u200d🌈", "❤️", "🧑🏿\u200d🚀", "1️⃣"])
url_path = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/", max_size=300)
username = st.from_regex(r"[a-z0-9_]{1,20}", fullmatch=True)
domain = st.from_regex(r"[a-z]{1,12}(\.[a-z]{2,8}){1,2}", fullmatch=True)


def graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


@given(plain_text)
def test_plain_text_counts_its_grapheme_clusters(text: str) -> None:
    assert count_characters(text) == graphemes(text)


@given(plain_text)
def test_a_combining_mark_adds_nothing_to_the_letter_it_sits_on(text: str) -> None:
    assert count_characters(text + "e\u0301") == count_characters(text + "e")


@given(st.lists(emoji, min_size=1, max_size=30))
def test_each_emoji_sequence_counts_one_however_many_code_points_it_has(sequence: list[str]) -> None:
    assert count_characters("".join(sequence)) == len(sequence)


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=600))
def test_each_cjk_ideograph_counts_one(text: str) -> None:
    assert count_characters(text) == len(text)


@given(url_path, st.sampled_from([23, 30, 1]))
def test_a_link_counts_what_the_instance_reserves_per_url_whatever_its_length(path: str, reserved: int) -> None:
    assert count_characters(f"see https://example.com/{path} now", reserved) == len("see  now") + reserved


@given(username, domain)
def test_a_remote_mention_counts_only_its_local_part(user: str, host: str) -> None:
    assert count_characters(f"hi @{user}@{host}!") == len(f"hi @{user}!")


def test_an_address_inside_a_word_is_not_a_mention() -> None:
    assert count_characters("mail bob@example.com") == len("mail bob@example.com")


def test_a_sentence_ending_after_a_link_keeps_its_full_stop() -> None:
    assert count_characters("read https://example.com/a.") == len("read ") + 23 + 1


def test_the_default_limit_is_500_characters() -> None:
    assert check_text("a" * 500) == []
    assert check_text("a" * 501) == [
        FieldProblem("text", "501 characters as Mastodon counts them (links as 23); this instance allows at most 500")
    ]


def test_the_instance_limit_replaces_the_default() -> None:
    limits = MastodonLimits(max_characters=5000, characters_reserved_per_url=23)

    assert check_text("a" * 4000, limits) == []
    assert check_text("a" * 5001, limits)[0].field == "text"


def test_a_long_link_fits_when_it_counts_as_23() -> None:
    text = "a" * 470 + " https://example.com/" + "p" * 200

    assert check_text(text) == []


def test_empty_text_is_refused() -> None:
    assert check_text("  \n") == [FieldProblem("text", "is empty; a Mastodon post needs some text")]


def test_limits_are_read_from_the_instance_answer() -> None:
    body = {"configuration": {"statuses": {"max_characters": 11000, "characters_reserved_per_url": 30}}}

    assert limits_from_instance(body) == MastodonLimits(max_characters=11000, characters_reserved_per_url=30)


def test_missing_or_odd_limits_keep_mastodons_defaults() -> None:
    assert limits_from_instance({}) == MastodonLimits()
    assert limits_from_instance({"configuration": {"statuses": {"max_characters": "lots"}}}) == MastodonLimits()


def test_limits_are_cached_per_instance_until_the_ttl_passes() -> None:
    cache = LimitsCache(ttl=timedelta(hours=1))
    fetched: list[str] = []
    now = datetime(2026, 3, 1, tzinfo=UTC)

    def fetch(name: str) -> MastodonLimits:
        fetched.append(name)
        return MastodonLimits(max_characters=len(fetched) * 1000)

    first = cache.get("https://a.example/", now, lambda: fetch("a"))
    again = cache.get("https://a.example", now + timedelta(minutes=59), lambda: fetch("a"))
    other = cache.get("https://b.example", now, lambda: fetch("b"))
    later = cache.get("https://a.example", now + timedelta(hours=1), lambda: fetch("a"))

    assert (first, again) == (MastodonLimits(max_characters=1000), MastodonLimits(max_characters=1000))
    assert other == MastodonLimits(max_characters=2000)
    assert later == MastodonLimits(max_characters=3000)
    assert fetched == ["a", "b", "a"]


@given(st.text(min_size=1, max_size=40))
def test_the_idempotency_key_is_stable_and_hides_the_delivery_id(delivery_id: str) -> None:
    key = idempotency_key(delivery_id)

    assert key == idempotency_key(delivery_id)
    assert delivery_id not in key[len("parley-") :] or len(delivery_id) < 8
    assert regex.fullmatch(r"parley-[0-9a-f]{40}", key)


def test_two_deliveries_have_two_keys() -> None:
    assert idempotency_key("01jdelivery1") != idempotency_key("01jdelivery2")
