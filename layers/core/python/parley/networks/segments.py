"""A post's text as each network will show it: cut into segments (`text`, `link`, `mention`, `hashtag`,
`cashtag`), each link, mention and tag with where the network sends a reader. What the composer's preview
cards draw (parley.publishing.previews); pure, no network call.

The detection is each network's own, as parley already uses it: Bluesky's facets (`richtext.find_spans`, what
publishing sends), Mastodon's URL and mention rules (its length count), X's URL extractor (twitter-text, its
weighted length), Instagram's hashtag and mention rules (its caption limits), Threads' link rule. What a
network links besides (X's @mentions, #hashtags and $cashtags; Mastodon's #hashtags; Facebook's #hashtags;
Threads' @mentions and its one topic tag) follows the network's own rules, written here once:

- Bluesky: links, @handle mentions and #tags are facets; a mention whose handle does not resolve stays text
  when published (the preview cannot tell without a network call: it shows it as a mention).
- X: URLs (shown without their scheme and cut, as X's `display_url`), @mentions (1-15 of A-Z, 0-9, _),
  #hashtags (not all digits), $cashtags (1-6 letters).
- Mastodon: URLs (shown without `https://` and `www.`, cut after 30 characters, as its formatter does),
  @user and @user@domain mentions, #hashtags.
- Threads: URLs, @mentions and one topic tag (the first #tag in the text).
- Instagram: #hashtags and @mentions; links in a caption are not clickable (text).
- LinkedIn: URLs; `#` and `@` are escaped in the commentary parley sends (little text format), so they show
  as written (text).
- Facebook: URLs and #hashtags.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal
from urllib.parse import quote as _quote
from urllib.parse import urlsplit

import regex

from parley.networks import instagram, mastodon, richtext, threads

Kind = Literal["text", "link", "mention", "hashtag", "cashtag"]

NETWORKS = ("bluesky", "x", "mastodon", "threads", "instagram", "linkedin", "facebook")
X_DISPLAY_MAX = 25  # characters of an X display_url before its ellipsis
MASTODON_DISPLAY_MAX = 30  # Mastodon's formatter shows this much of a link after its scheme and www.

# X (twitter-text's extractor rules, simplified to what a composer meets).
_X_MENTION = regex.compile(r"(?<![A-Za-z0-9_!#$%&*@\uff20])[@\uff20](?P<name>[A-Za-z0-9_]{1,15})(?![A-Za-z0-9_@]|://)")
_X_HASHTAG = regex.compile(
    r"(?<![&\p{L}\p{M}\p{N}_])[#\uff03](?!\ufe0f|\u20e3)(?P<tag>[\p{L}\p{M}\p{N}_]*[\p{L}\p{M}][\p{L}\p{M}\p{N}_]*)"
    r"(?![#\uff03]|://)"
)
_X_CASHTAG = regex.compile(r"(?:^|(?<=\s))\$(?P<tag>[A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?)(?=$|\s|\p{P})")
# Mastodon's Tag::HASHTAG_RE, in short: not after a word character, `=`, `/` or `)`; a letter somewhere.
_MASTODON_TAG = regex.compile(r"(?<![=/)\w])#(?P<tag>[\w\u00b7]*[\p{L}\u00b7][\w\u00b7]*)")
# Threads and Instagram usernames: letters, digits, periods, underscores (a trailing period ends a sentence).
_META_MENTION = regex.compile(r"(?<![\w.])@(?P<name>[\w.]*\w)")
_FACEBOOK_TAG = regex.compile(r"(?<![\w&])#(?P<tag>\w*[^\W\d_]\w*)")
_URL_TRAILING = ".,:;!?'\")]}"


@dataclass(frozen=True)
class Segment:
    kind: Kind
    text: str  # as the network shows it (a link may be shown shorter than it is)
    href: str | None = None  # where a reader goes (None for text)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class _Span:
    kind: Kind
    start: int
    end: int
    href: str
    shown: str | None = None  # a link shown otherwise than written


def quote(value: str) -> str:
    """A path or query part of an href; a lone surrogate (not Unicode: the network refuses the text) is `?`."""
    return _quote(value, errors="replace")


def segments(
    network: str,
    text: str,
    *,
    links: tuple[tuple[int, int, str], ...] = (),
    instance: str | None = None,
) -> list[Segment]:
    """`text` (as it will be sent) cut as `network` shows it. `links` are (start, end, target) spans the
    sender already knows are links (parley's short links: their target is the page a reader lands on);
    `instance` is a Mastodon channel's server (its mentions and tags link there)."""
    found = _spans(network, text, instance)
    given = [_Span("link", start, end, target) for start, end, target in links]
    spans = sorted(
        [*given, *(s for s in found if not any(s.start < g.end and g.start < s.end for g in given))],
        key=lambda s: s.start,
    )
    out: list[Segment] = []
    last = 0
    for span in spans:
        if span.start < last:
            continue  # overlapping: the first wins
        if span.start > last:
            out.append(Segment("text", text[last : span.start]))
        written = text[span.start : span.end]
        shown = span.shown or (shown_link(network, written) if span.kind == "link" else written)
        out.append(Segment(span.kind, shown, span.href))
        last = span.end
    if last < len(text):
        out.append(Segment("text", text[last:]))
    return _merged(out)


def shown_link(network: str, url: str) -> str:
    """A link as the network's app shows it in the post."""
    if network == "x":
        shown = regex.sub(r"^https?://", "", url, flags=regex.IGNORECASE)
        return shown if len(shown) <= X_DISPLAY_MAX else shown[:X_DISPLAY_MAX] + "\u2026"
    if network == "mastodon":
        shown = regex.sub(r"^https?://(?:www\.)?", "", url, flags=regex.IGNORECASE)
        return shown if len(shown) <= MASTODON_DISPLAY_MAX else shown[:MASTODON_DISPLAY_MAX] + "\u2026"
    return url  # Bluesky's text already holds what it shows (parley writes it so); the others show it as written


def _spans(network: str, text: str, instance: str | None) -> list[_Span]:
    if network == "bluesky":
        return _bluesky(text)
    if network == "x":
        return _x(text)
    if network == "mastodon":
        return _mastodon(text, instance or "https://mastodon.social")
    if network == "threads":
        return _threads(text)
    if network == "instagram":
        return _instagram(text)
    if network == "linkedin":
        return _urls(text)
    if network == "facebook":
        tags = [
            _Span("hashtag", m.start(), m.end(), f"https://www.facebook.com/hashtag/{quote(m['tag'])}")
            for m in _FACEBOOK_TAG.finditer(text)
        ]
        return [*_urls(text), *tags]
    return _urls(text)


def _bluesky(text: str) -> list[_Span]:
    spans = []
    for span in richtext.find_spans(text):
        if span.kind == "link":
            spans.append(_Span("link", span.start, span.end, span.value, text[span.start : span.end]))
        elif span.kind == "mention":
            spans.append(_Span("mention", span.start, span.end, f"https://bsky.app/profile/{span.value}"))
        else:
            spans.append(_Span("hashtag", span.start, span.end, f"https://bsky.app/hashtag/{quote(span.value)}"))
    return spans


def _x(text: str) -> list[_Span]:
    from twitter_text.extract_urls import extract_urls_with_indices  # loaded with X's counting

    spans = []
    for found in extract_urls_with_indices(text):
        start, end = found["indices"]
        url = found["url"]
        spans.append(_Span("link", start, end, url if "://" in url else "https://" + url))
    for m in _X_MENTION.finditer(text):
        spans.append(_Span("mention", m.start(), m.end(), f"https://x.com/{m['name']}"))
    for m in _X_HASHTAG.finditer(text):
        if not m["tag"].isdigit():
            spans.append(_Span("hashtag", m.start(), m.end(), f"https://x.com/hashtag/{quote(m['tag'])}"))
    for m in _X_CASHTAG.finditer(text):
        spans.append(_Span("cashtag", m.start(), m.end(), f"https://x.com/search?q=%24{m['tag']}"))
    return spans


def _mastodon(text: str, instance: str) -> list[_Span]:
    base = instance.rstrip("/")
    spans = [_Span("link", start, end, text[start:end]) for start, end in mastodon._urls(text)]
    for m in mastodon._MENTION_RE.finditer(text):
        whole = m.group(0)
        domain = whole.split("@")[2] if whole.count("@") == 2 else None
        home = f"https://{domain}" if domain else base
        spans.append(_Span("mention", m.start(), m.end(), f"{home}/@{m.group(1)}"))
    for m in _MASTODON_TAG.finditer(text):
        tag = m["tag"].strip("\u00b7")
        if tag:
            spans.append(_Span("hashtag", m.start(), m.start() + 1 + len(tag), f"{base}/tags/{quote(tag)}"))
    return spans


def _threads(text: str) -> list[_Span]:
    spans = []
    for m in threads._LINK.finditer(text):
        end = _trimmed(text, m.start(), m.end())
        spans.append(_Span("link", m.start(), end, text[m.start() : end]))
    for m in _META_MENTION.finditer(text):
        spans.append(_Span("mention", m.start(), m.end(), f"https://www.threads.net/@{m['name']}"))
    topic = instagram._HASHTAG.search(text)  # one topic tag per post: the first
    if topic is not None:
        href = f"https://www.threads.net/search?q={quote(topic.group(0)[1:])}&serp_type=tags"
        spans.append(_Span("hashtag", topic.start(), topic.end(), href))
    return spans


def _instagram(text: str) -> list[_Span]:
    spans = []
    for m in instagram._HASHTAG.finditer(text):
        href = f"https://www.instagram.com/explore/tags/{quote(m.group(0)[1:])}/"
        spans.append(_Span("hashtag", m.start(), m.end(), href))
    for m in _META_MENTION.finditer(text):
        spans.append(_Span("mention", m.start(), m.end(), f"https://www.instagram.com/{m['name']}/"))
    return spans


def _urls(text: str) -> list[_Span]:
    """http(s) URLs, trailing sentence punctuation not part of them (Mastodon's rule, the general one)."""
    return [_Span("link", start, end, text[start:end]) for start, end in mastodon._urls(text)]


def _trimmed(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1] in _URL_TRAILING:
        end -= 1
    return end


def _merged(found: list[Segment]) -> list[Segment]:
    out: list[Segment] = []
    for segment in found:
        if out and segment.kind == "text" and out[-1].kind == "text":
            out[-1] = Segment("text", out[-1].text + segment.text)
        elif segment.text:
            out.append(segment)
    return out


def handle_shown(network: str, handle: str, service_url: str | None = None) -> str:
    """The account's handle as the network shows it under its name."""
    bare = handle.lstrip("@")
    if network == "mastodon":
        host = urlsplit(service_url or "").hostname
        return f"@{bare}" if "@" in bare or not host else f"@{bare}@{host}"
    if network in ("bluesky", "x", "threads", "instagram"):
        return f"@{bare}"
    return handle  # LinkedIn and Facebook show a name, not a handle
