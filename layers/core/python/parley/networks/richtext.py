"""Rich-text facets of a Bluesky post: links, mentions and hashtags, located by UTF-8 byte offsets.

Bluesky does not find links or mentions in text by itself: the client sends them as facets. The rules
follow the official client (`@atproto/api` RichText.detectFacets) with small, deliberate differences:
hyphenated bare domains and links in quotes or square brackets are links, all trailing sentence
punctuation is stripped from a link (not just one character), bare domains are checked against a short
list of common top-level domains (not the whole IANA list), and a tag's 64-character limit is counted in
graphemes, as the lexicon counts it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import regex

Kind = Literal["link", "mention", "tag"]

LINK = "app.bsky.richtext.facet#link"
MENTION = "app.bsky.richtext.facet#mention"
TAG = "app.bsky.richtext.facet#tag"

MAX_TAG_GRAPHEMES = 64

# A facet starts a word: at the start of the text or after whitespace; links and mentions also after an
# opening bracket, and links after an opening quote (`Read "https://..."` is a link to a reader).
_LINK_BEFORE = r"(?:^|(?<=[\s(\[\"'\u201c\u2018\u00ab]))"
_URL = regex.compile(_LINK_BEFORE + r"https?://[^\s/]\S*", regex.IGNORECASE)
_BARE_DOMAIN = regex.compile(
    _LINK_BEFORE + r"(?P<domain>[a-z][a-z0-9-]*(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)(?:/\S*)?(?=$|\s|[.,;:!?)\]\"'])",
    regex.IGNORECASE,
)
# Handle syntax from the atproto spec; the look-ahead keeps "@a.b.c" from matching as "@a.b".
_MENTION = regex.compile(
    r"(?:^|(?<=[\s(]))@(?P<handle>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?)"
    r"(?![\w-]|\.\w)",
    regex.IGNORECASE,
)
# Zero-width and soft-hyphen characters end a tag like spaces do (they are invisible in the app).
_INVISIBLE = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
_TAG = regex.compile(
    rf"(?:^|(?<=\s))[#\uff03](?!\ufe0f)(?P<tag>[^\s{_INVISIBLE}]*[^\d\s\p{{P}}{_INVISIBLE}][^\s{_INVISIBLE}]*)"
)
_TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
_LINK_TRAILING = ".,;:!?\"'\u201d\u2019\u00bb>\u3002\u3001\uff0c\uff01\uff1f\u2026"
_CLOSING = {")": "(", "]": "["}

# Bare domains ("example.com/page") are links only under a known top-level domain, so that "e.g." or
# "setup.cfg" stay text. The official client uses the whole IANA list; this is the part people write.
_TLD_NAMES = """
    com net org edu gov mil int info biz name pro mobi asia tel travel museum coop aero jobs cat
    app dev io ai co me tv xyz social online site tech store blog news page link club shop cloud art
    design live world space website email agency media studio digital network solutions company
    global today life love money marketing events photo photography video music games
    ac ad ae af ag al am ao ar as at au aw az ba bb bd be bf bg bh bi bj bm bn bo br bs bt bw by bz
    ca cc cd cf cg ch ci ck cl cm cn cr cu cv cx cy cz de dj dk dm do dz ec ee eg es et eu fi fj fm
    fo fr ga gd ge gg gh gi gl gm gn gp gr gt gu gy hk hn hr ht hu id ie il im in iq ir is it je jm
    jo jp ke kg kh ki km kn kr kw ky kz la lb lc li lk lr ls lt lu lv ly ma mc md mg mk ml mm mn mo
    mt mu mv mw mx my mz na nc ne nf ng ni nl no np nr nu nz om pa pe pf pg ph pk pl pn pr ps pt pw
    py qa re ro rs ru rw sa sb sc se sg si sk sl sm sn so sr st su sv sy sz tc td tg th tj tk tl tm
    tn to tr tt tw tz ua ug uk us uy uz va vc ve vg vi vn vu ws ye za zm zw
"""
_TLDS = frozenset(_TLD_NAMES.split())


@dataclass(frozen=True)
class Span:
    """A facet found in the text, by character (code point) positions; `value` is the uri, handle or tag."""

    kind: Kind
    start: int
    end: int
    value: str


def find_spans(text: str) -> list[Span]:
    """Every link, mention and tag in `text`, in order, none overlapping. Pure: handles are not resolved."""
    found = [*_links(text), *_mentions(text), *_tags(text)]
    found.sort(key=lambda span: (span.start, -span.end))
    spans: list[Span] = []
    for span in found:
        if not spans or span.start >= spans[-1].end:
            spans.append(span)
    return spans


def byte_range(text: str, span: Span) -> tuple[int, int]:
    """UTF-8 byte offsets of a span: what Bluesky indexes facets by."""
    start = len(text[: span.start].encode("utf-8"))
    return start, start + len(text[span.start : span.end].encode("utf-8"))


def build_facets(
    text: str, resolve_handle: Callable[[str], str | None], links: tuple[tuple[int, int, str], ...] = ()
) -> list[dict[str, Any]]:
    """The `facets` of an app.bsky.feed.post record. A mention whose handle does not resolve to a DID
    stays plain text: that is what the reader would see in the official app too. `links` are links
    whose text is not their uri (start, end, uri by character positions): they win over what is found."""
    facets: list[dict[str, Any]] = []
    dids: dict[str, str | None] = {}
    for span in _with_links(find_spans(text), links):
        if span.kind == "mention":
            if span.value not in dids:
                dids[span.value] = resolve_handle(span.value)
            did = dids[span.value]
            if did is None:
                continue
            feature: dict[str, str] = {"$type": MENTION, "did": did}
        elif span.kind == "link":
            feature = {"$type": LINK, "uri": span.value}
        else:
            feature = {"$type": TAG, "tag": span.value}
        byte_start, byte_end = byte_range(text, span)
        facets.append({"index": {"byteStart": byte_start, "byteEnd": byte_end}, "features": [feature]})
    return facets


def _with_links(found: list[Span], links: tuple[tuple[int, int, str], ...]) -> list[Span]:
    given = [Span("link", start, end, uri) for start, end, uri in links]
    kept = [s for s in found if not any(s.start < g.end and g.start < s.end for g in given)]
    return sorted([*kept, *given], key=lambda span: span.start)


def _links(text: str) -> list[Span]:
    spans = []
    for match in _URL.finditer(text):
        end = _trim_link(text, match.start(), match.end())
        uri = text[match.start() : end]
        if uri.split("://", 1)[1]:  # "https://." trims to nothing: not a link
            spans.append(Span("link", match.start(), end, uri))
    for match in _BARE_DOMAIN.finditer(text):
        domain = match.group("domain")
        if domain.rsplit(".", 1)[1].lower() not in _TLDS:
            continue
        end = _trim_link(text, match.start(), match.end())
        spans.append(Span("link", match.start(), end, "https://" + text[match.start() : end]))
    return spans


def _trim_link(text: str, start: int, end: int) -> int:
    """Sentence punctuation after a link is not part of it; a ")" is, only when it closes a "(" inside."""
    while end > start:
        last = text[end - 1]
        inside = text[start : end - 1]
        unbalanced = last in _CLOSING and inside.count(_CLOSING[last]) <= inside.count(last)
        if last in _LINK_TRAILING or unbalanced:
            end -= 1
        else:
            break
    return end


def _mentions(text: str) -> list[Span]:
    return [
        Span("mention", match.start(), match.end(), match.group("handle").lower())
        for match in _MENTION.finditer(text)
        if len(match.group("handle")) <= 253
    ]


def _tags(text: str) -> list[Span]:
    spans = []
    for match in _TAG.finditer(text):
        tag = _TRAILING_PUNCTUATION.sub("", match.group("tag"))
        if not tag or len(regex.findall(r"\X", tag)) > MAX_TAG_GRAPHEMES:
            continue
        start = match.start()
        # "#" (or the full-width one) plus the tag, without the punctuation that was stripped.
        spans.append(Span("tag", start, start + 1 + len(tag), tag))
    return spans
