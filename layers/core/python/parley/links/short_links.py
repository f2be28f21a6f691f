"""Short links: at queue time, every link in a delivery's text becomes `<public base URL>/l/<code>`,
one code per delivery and link, whose target is the original URL with UTM tags (utm_source = the
network, utm_medium = social, utm_campaign = the post's campaign, plus the workspace's preset for that
campaign). Only URLs written here can ever be targets: the redirect looks codes up, it never reads a
URL from the request (no open redirect).

Where the public base URL is not configured (PARLEY_PUBLIC_BASE_URL), links are left as they are and
the answer says `short_links: "off"`: a link to an unreachable host would be worse than no count.

Bluesky shows a link's text and sends its target in a facet, so there the text reads like the original
(`example.com/blog/launch…`) and only the facet holds the short link (`for_publish`); the length check
counts what each network will count (`preview`).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from parley.links import campaigns
from parley.networks import richtext
from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.names import SHORT_LINK_PATH
from parley.store import LinkRecord
from parley.store.keys import post_key

CODE_BYTES = 9  # 72 random bits, 12 URL-safe characters: not guessable, not enumerable
CODE_LENGTH = 12
CODE = re.compile(rf"[A-Za-z0-9_-]{{{CODE_LENGTH}}}")
DISPLAY_MAX = 30  # characters of host and path Bluesky's text shows (its own client cuts links alike)
BLUESKY = "bluesky"
ON = "on"
OFF = "off"
OFF_REASON = "PARLEY_PUBLIC_BASE_URL is not set: links are left as they are and not counted"
MAX_PRESET_PARAMS = 10


@dataclass(frozen=True)
class Shortened:
    text: str
    links: int  # how many links were rewritten


def base_url() -> str:
    return get_settings().public_base_url


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def is_code(value: str) -> bool:
    return CODE.fullmatch(value) is not None


def link_spans(text: str) -> list[richtext.Span]:
    return [span for span in richtext.find_spans(text) if span.kind == "link"]


def display(url: str) -> str:
    """`https://www.example.com/blog/launch?x=1` -> `example.com/blog/launch?x=1`, cut to DISPLAY_MAX."""
    shown = re.sub(r"^[a-z][a-z0-9+.-]*://", "", url, flags=re.IGNORECASE)
    shown = shown.removeprefix("www.").rstrip("/")
    return shown if len(shown) <= DISPLAY_MAX else shown[: DISPLAY_MAX - 1] + "\u2026"


def with_utm(url: str, network: str, campaign: str | None, preset: dict[str, str] | None = None) -> str:
    """The target: the URL with parley's UTM tags added (tags the marketer wrote in the URL win). A URL that
    cannot be taken apart (`https://[x`: a bracket that opens no IPv6 address) is kept as written."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {name for name, _ in query}
    tags = {"utm_source": network, "utm_medium": "social"}
    if campaign:
        tags["utm_campaign"] = campaign
    tags |= preset or {}
    query += [(name, value) for name, value in tags.items() if name not in present]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


PLACEHOLDER_CODE = "x" * CODE_LENGTH  # where a preview shows a short link's code: it is made when queued


@dataclass(frozen=True)
class Previewed:
    """A text as it will be sent once its links are short links, without making any: `links` are the
    (start, end, original URL) character spans of the rewritten links in `text` (Bluesky: the display
    text its facet points at; elsewhere: `<base>/l/xxxxxxxxxxxx`, the code's placeholder)."""

    text: str
    links: tuple[tuple[int, int, str], ...] = ()


def previewed(network: str, text: str) -> Previewed:
    base = base_url()
    if not base:
        return Previewed(text)
    out: list[str] = []
    spans: list[tuple[int, int, str]] = []
    last = length = 0
    for span in link_spans(text):
        shown = display(span.value) if network == BLUESKY else f"{base}{SHORT_LINK_PATH}{PLACEHOLDER_CODE}"
        before = text[last : span.start]
        out += [before, shown]
        length += len(before)
        spans.append((length, length + len(shown), span.value))
        length += len(shown)
        last = span.end
    return Previewed("".join(out) + text[last:], tuple(spans))


def preview(network: str, text: str) -> str:
    """The text as the network will count it once its links are short links (no code is made)."""
    return previewed(network, text).text


def status(texts: list[str]) -> str | None:
    """What the answer says about short links: None when no text has a link."""
    if not any(link_spans(t) for t in texts):
        return None
    return ON if base_url() else OFF


def note(view: dict[str, Any], texts: list[str]) -> dict[str, Any]:
    said = status(texts)
    if said is not None:
        view["short_links"] = said
        if said == OFF:
            view["short_links_reason"] = OFF_REASON
    return view


def campaign_preset(workspace_id: str, campaign: str | None) -> dict[str, str]:
    return campaigns.preset(workspace_id, campaign)


def shorten(
    text: str,
    *,
    workspace_id: str,
    post_id: str,
    channel_id: str,
    network: str,
    campaign: str | None,
    preset: dict[str, str] | None = None,
) -> str:
    """The delivery's text with each link replaced by a new short link (its record written first)."""
    base = base_url()
    spans = link_spans(text)
    if not base or not spans:
        return text
    now = clock.now()
    out, last = [], 0
    with LinkRecord.batch_write() as batch:
        for span in spans:
            code = new_code()
            short = f"{base}{SHORT_LINK_PATH}{code}"
            batch.save(
                LinkRecord(
                    code,
                    post_key=post_key(workspace_id, post_id),
                    target=with_utm(span.value, network, campaign, preset),
                    original=span.value,
                    display=display(span.value),
                    short_url=short,
                    channel_id=channel_id,
                    network=network,
                    created_at=now,
                )
            )
            out += [text[last : span.start], short]
            last = span.end
    return "".join(out) + text[last:]


def retire(workspace_id: str, post_id: str, channel_id: str) -> int:
    """A cancelled delivery's short links stop redirecting: no permanent redirects on the operator's domain
    from posts that never went out. Their clicks so far stay counted. How many were retired."""
    retired = 0
    now = clock.now()
    for link in LinkRecord.by_post.query(post_key(workspace_id, post_id)):
        if link.channel_id != channel_id or link.retired_at is not None or link.target is None:
            continue
        link.update(actions=[LinkRecord.retired_at.set(now)])
        retired += 1
    return retired


_SHORT = re.compile(rf"https?://\S+?{re.escape(SHORT_LINK_PATH)}(?P<code>[A-Za-z0-9_-]{{{CODE_LENGTH}}})(?![\w-])")


def for_publish(network: str, text: str) -> tuple[str, tuple[tuple[int, int, str], ...]]:
    """Bluesky: the text with each of our short links shown as its original's `display`, and the
    (start, end, short link) character spans its facets point at. Other networks: unchanged."""
    if network != BLUESKY:
        return text, ()
    found = [m for m in _SHORT.finditer(text)]
    if not found:
        return text, ()
    records = {r.code: r for r in LinkRecord.batch_get(list(dict.fromkeys(m.group("code") for m in found)))}
    out: list[str] = []
    spans: list[tuple[int, int, str]] = []
    last = 0
    length = 0
    for match in found:
        record = records.get(match.group("code"))
        if record is None or record.short_url != match.group(0) or not record.display:
            continue
        before = text[last : match.start()]
        out.append(before)
        length += len(before)
        out.append(record.display)
        spans.append((length, length + len(record.display), match.group(0)))
        length += len(record.display)
        last = match.end()
    out.append(text[last:])
    return "".join(out), tuple(spans)


def shortener(workspace_id: str, post_id: str, campaign: str | None) -> Callable[[str, str, str], str]:
    """Rewrites a post's deliveries' links to short links (`shorten`); the campaign's preset is read once."""
    preset = campaign_preset(workspace_id, campaign) if base_url() else {}

    def shorten_one(channel_id: str, network: str, text: str) -> str:
        return shorten(
            text,
            workspace_id=workspace_id,
            post_id=post_id,
            channel_id=channel_id,
            network=network,
            campaign=campaign,
            preset=preset,
        )

    return shorten_one
