"""What a composer shows live for a network's text: its graphemes, its UTF-8 bytes, its length as the network
counts it (X's weighted length, Bluesky's graphemes, Mastodon's characters with links as the instance says,
Threads' characters with emoji as their bytes) and the network's limit. The counting functions are the very
ones the networks' queue-time rules use (`registry.check_text`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import regex

if TYPE_CHECKING:
    from parley.networks.mastodon import MastodonLimits


@dataclass(frozen=True)
class TextCount:
    graphemes: int
    bytes: int
    weighted: int  # the length as the network counts it
    limit: int | None  # the most `weighted` may be (None: no limit parley knows)
    counted_as: str  # how the network counts, in words
    byte_limit: int | None = None  # where the network also limits bytes (Bluesky)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def count(network: str, text: str, *, mastodon_limits: MastodonLimits | None = None) -> TextCount:
    graphemes = len(regex.findall(r"\X", text))
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if network == "bluesky":
        from parley.networks import bluesky

        return TextCount(graphemes, size, graphemes, bluesky.MAX_GRAPHEMES, "graphemes", bluesky.MAX_BYTES)
    if network == "x":
        from parley.networks import x

        weighted = x.weighted_length(text)
        words = f"weighted characters (links as {x.URL_LENGTH}, most emoji and CJK as 2)"
        return TextCount(graphemes, size, weighted, x.MAX_WEIGHTED_LENGTH, words)
    if network == "mastodon":
        from parley.networks import mastodon

        limits = mastodon_limits or mastodon.DEFAULT_LIMITS
        url = limits.characters_reserved_per_url
        weighted = mastodon.count_characters(text, url)
        return TextCount(graphemes, size, weighted, limits.max_characters, f"characters (links as {url})")
    if network == "threads":
        from parley.networks import threads

        return TextCount(graphemes, size, threads.length(text), threads.MAX_CHARACTERS, "characters (emoji as bytes)")
    if network == "linkedin":
        from parley.networks import linkedin

        return TextCount(graphemes, size, len(text), linkedin.MAX_COMMENTARY, "characters")
    if network == "facebook":
        from parley.networks import facebook

        return TextCount(graphemes, size, len(text), facebook.MAX_MESSAGE, "characters")
    if network == "instagram":
        from parley.networks import instagram

        return TextCount(graphemes, size, len(text), instagram.MAX_CAPTION, "characters")
    return TextCount(graphemes, size, len(text), None, "characters")
