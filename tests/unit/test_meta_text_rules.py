"""Queue-time text rules of Instagram (caption: 2,200 characters, 30 hashtags, 20 mentions) and Threads
(500 characters with an emoji as its UTF-8 bytes, 5 links)."""

from __future__ import annotations

from parley.networks.instagram import check_text
from parley.networks.threads import check_text as threads_check_text
from parley.networks.threads import length


def test_caption_rules() -> None:
    assert check_text("fine #one @two") == []
    assert "2200" in check_text("a" * 2201)[0].reason
    assert "30" in check_text(" ".join(f"#t{i}" for i in range(31)))[0].reason
    assert "20" in check_text(" ".join(f"@u{i}" for i in range(21)))[0].reason


def test_text_rules_count_an_emoji_as_its_utf8_bytes() -> None:
    assert length("abc") == 3 and length("\U0001f600") == 4 and length("\U0001f44d\U0001f3fd") == 8
    assert length("é") == 1  # not an emoji: one character
    assert threads_check_text("a" * 500) == []
    assert "501" in threads_check_text("a" * 497 + "\U0001f600")[0].reason
    links = " ".join(f"https://example.com/{i}" for i in range(6))
    assert "6 links" in threads_check_text(links)[0].reason
