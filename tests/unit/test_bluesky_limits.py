"""Queue-time rules of Bluesky: 300 graphemes, 3000 UTF-8 bytes, and some text."""

from __future__ import annotations

import pytest

from parley.networks.base import Credential
from parley.networks.bluesky import BlueskyAdapter, check_text
from parley.shared.errors import FieldProblem

FAMILY = "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 25 bytes


def test_text_of_300_graphemes_is_fine() -> None:
    assert check_text("a" * 300) == []


def test_text_over_300_graphemes_names_the_count_and_the_limit() -> None:
    assert check_text("a" * 312) == [FieldProblem("text", "312 graphemes; Bluesky allows at most 300")]


def test_combining_marks_count_with_their_letter() -> None:
    # Given 300 letters each with a combining acute accent (600 code points)
    text = "e\u0301" * 300

    assert check_text(text) == []


def test_an_emoji_sequence_counts_as_one_grapheme() -> None:
    # Given 120 family emoji: 120 graphemes in exactly 3000 bytes
    text = FAMILY * 120

    assert len(text.encode()) == 3000
    assert check_text(text) == []


def test_text_over_3000_bytes_names_the_size_and_the_limit() -> None:
    # Given 121 family emoji: few graphemes, but 3025 bytes
    assert check_text(FAMILY * 121) == [FieldProblem("text", "3025 bytes in UTF-8; Bluesky allows at most 3000")]


def test_text_over_both_limits_gets_both_problems() -> None:
    problems = check_text("\u4e2d" * 1001)  # CJK: 3 bytes each

    assert [p.reason for p in problems] == [
        "1001 graphemes; Bluesky allows at most 300",
        "3003 bytes in UTF-8; Bluesky allows at most 3000",
    ]


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\u3000"])
def test_empty_or_blank_text_is_a_problem(text: str) -> None:
    problems = check_text(text)

    assert [p.field for p in problems] == ["text"]
    assert "empty" in problems[0].reason


def test_text_that_cannot_be_encoded_is_a_problem_not_a_crash() -> None:
    problems = check_text("hello \ud800")

    assert [p.field for p in problems] == ["text"]


def test_the_adapter_applies_the_same_rules_without_credentials_in_use() -> None:
    adapter = BlueskyAdapter(Credential("a.test", "pw", "http://127.0.0.1:9"), sessions=_NoStore())

    assert adapter.check_text("a" * 301) == check_text("a" * 301)


class _NoStore:
    def load(self) -> dict[str, str] | None:
        raise AssertionError("check_text must not touch sessions")

    def save(self, session: dict[str, str]) -> None:
        raise AssertionError("check_text must not touch sessions")
