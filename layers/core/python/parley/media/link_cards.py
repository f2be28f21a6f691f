"""Link cards: a post whose text holds a link, and that has no image, goes out with a preview of the
page (title, description, thumbnail), read from its Open Graph tags when the post is queued.

Fetching a URL someone typed is a classic way into private networks (SSRF), so `safe_get` fetches
only http(s) URLs whose host resolves to public addresses (no loopback, private, link-local, shared,
reserved or multicast ranges), re-checks every redirect, stops after a timeout and a size cap, and
never raises for a page that cannot be had: no card is better than a failed post. Hosts named in the
allow-list setting (`PARLEY_LINK_CARD_ALLOWED_HOSTS`) skip the address rule: the local runtime's and
the tests' own pages on 127.0.0.1.

Known limit: the host is resolved once for the check and again by the HTTP client, so a DNS name that
changes its answer in between (DNS rebinding) could slip through; Lambda has no private network to reach
by default, which bounds the harm.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import regex
import requests

from parley.shared.config import get_settings
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.shared.observability import logger

TIMEOUT = (3.0, 5.0)  # connect, read (seconds), per request
TOTAL_SECONDS = 8.0  # for a page and its redirects together: queueing waits on it (API Gateway stops at 29 s)
MAX_PAGE_BYTES = 512 * 1024  # the <head> is what we need; the rest is not read
MAX_THUMB_BYTES = 1_000_000  # Bluesky's blob limit for images
MAX_REDIRECTS = 5
MAX_TITLE = 300
MAX_DESCRIPTION = 1000
_URL = regex.compile(r"https?://[^\s<>\"']+", regex.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


class Refused(Exception):
    """The URL may not be fetched (scheme, private address, too many redirects)."""


class Unavailable(Exception):
    """The URL could not be fetched (timeout, error status, too large)."""


def is_public_address(address: str) -> bool:
    """Whether an IP address is on the public internet (what a link card may be fetched from)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv6Address) and ip.sixtofour is not None:
        ip = ip.sixtofour
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_loopback or ip.is_link_local)


def _allowed(host: str, allowed_hosts: Iterable[str]) -> bool:
    return host.lower().strip("[]") in set(allowed_hosts)


def check_url(url: str, allowed_hosts: Iterable[str] = (), resolve: Any = socket.getaddrinfo) -> None:
    """Raise Refused unless `url` is http(s) and every address its host resolves to is public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused("only http and https links can have a card")
    host = parts.hostname
    if _allowed(host, allowed_hosts):
        return
    try:
        answers = resolve(host, parts.port or (443 if parts.scheme == "https" else 80), proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise Unavailable(f"{host} does not resolve") from exc
    addresses = {str(answer[4][0]) for answer in answers}
    if not addresses or not all(is_public_address(a) for a in addresses):
        raise Refused(f"{host} points at a private or reserved address")


def safe_get(url: str, max_bytes: int, allowed_hosts: Iterable[str] | None = None) -> tuple[str, str, bytes]:
    """GET `url` under the rules above: (final URL, content type, body). A body longer than `max_bytes`
    raises _TooLarge, which carries its first `max_bytes` (enough for a page's <head>)."""
    allowed = tuple(get_settings().link_card_allowed_hosts if allowed_hosts is None else allowed_hosts)
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment: the address check must hold for the real peer
    deadline = time.monotonic() + TOTAL_SECONDS  # a time budget, not a wall-clock reading
    for _ in range(MAX_REDIRECTS + 1):
        if time.monotonic() > deadline:
            raise Unavailable(f"{url} took too long")
        check_url(url, allowed)
        try:
            response = session.get(
                url,
                allow_redirects=False,
                stream=True,
                timeout=TIMEOUT,
                headers={"User-Agent": "parley (link preview)", "Accept": "text/html,image/*;q=0.9,*/*;q=0.1"},
            )
        except requests.RequestException as exc:
            raise Unavailable(f"{url} could not be fetched") from exc
        with response:
            if response.is_redirect and response.headers.get("location"):
                url = urljoin(url, response.headers["location"])
                continue
            if not response.ok:
                raise Unavailable(f"{url} answered HTTP {response.status_code}")
            body = b""
            for chunk in response.iter_content(64 * 1024):
                if time.monotonic() > deadline:
                    raise Unavailable(f"{url} took too long")
                body += chunk
                if len(body) > max_bytes:
                    raise _TooLarge(url, body[:max_bytes], response.headers.get("content-type", ""))
            return url, response.headers.get("content-type", ""), body
    raise Refused("too many redirects")


class _TooLarge(Unavailable):
    def __init__(self, url: str, head: bytes, content_type: str) -> None:
        super().__init__(f"{url} is larger than allowed")
        self.url, self.head, self.content_type = url, head, content_type


class _OpenGraph(HTMLParser):
    """The page's Open Graph tags (and <title>, <meta name=description> as fallbacks)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: dict[str, str] = {}
        self._in_title = False
        self.title = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            name = (values.get("property") or values.get("name") or "").lower()
            if name and name not in self.tags and values.get("content"):
                self.tags[name] = values["content"].strip()
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def parse_open_graph(html: str, page_url: str) -> dict[str, str | None]:
    parser = _OpenGraph()
    try:
        parser.feed(html)
    except Exception:  # a broken page: keep what was read
        logger.info("could not parse the whole page for its link card")
    tags = parser.tags
    image = tags.get("og:image") or tags.get("og:image:url") or tags.get("twitter:image")
    return {
        "url": tags.get("og:url") if _is_http(tags.get("og:url")) else page_url,
        "title": (tags.get("og:title") or tags.get("twitter:title") or parser.title.strip())[:MAX_TITLE],
        "description": (tags.get("og:description") or tags.get("description") or "")[:MAX_DESCRIPTION],
        "thumbnail_url": urljoin(page_url, image) if image else None,
    }


def _is_http(url: str | None) -> bool:
    return bool(url) and urlsplit(url or "").scheme in ("http", "https")


def first_link(text: str) -> str | None:
    match = _URL.search(text)
    return match.group(0).rstrip(_TRAILING) if match else None


def fetch_card(url: str) -> dict[str, str | None] | None:
    """The card of the page at `url`, or None when it cannot be fetched (Refused propagates)."""
    return _fetch_card(url)[0]


def _fetch_card(url: str) -> tuple[dict[str, str | None] | None, str | None]:
    """The card, or None and why (said to the marketer, who can then give the card's fields)."""
    try:
        final_url, content_type, body = safe_get(url, MAX_PAGE_BYTES)
    except _TooLarge as exc:
        final_url, content_type, body = exc.url, exc.content_type, exc.head  # the head is enough
    except Unavailable as exc:
        logger.info("no link card: %s", exc)
        return None, f"the page could not be read ({exc})"
    if "html" not in content_type.lower():
        return None, f"the link is not a web page ({content_type or 'no content type'})"
    card = parse_open_graph(body.decode("utf-8", errors="replace"), final_url)
    card["url"] = url  # the card links where the post links
    if not card["title"]:
        return None, "the page has no title (no og:title, twitter:title or <title>)"
    return card, None


@dataclass(frozen=True)
class Thumbnail:
    data: bytes
    content_type: str


def fetch_thumbnail(url: str) -> Thumbnail | None:
    """The card's image for upload at publish time; None when it cannot be had (a card without thumb)."""
    try:
        _, _, body = safe_get(url, MAX_THUMB_BYTES)
    except (Refused, Unavailable) as exc:
        logger.info("link card without thumbnail: %s", exc)
        return None
    import filetype

    kind = filetype.guess(body)
    if kind is None or kind.mime not in ("image/jpeg", "image/png", "image/webp", "image/gif"):
        return None
    return Thumbnail(body, kind.mime)


@dataclass(frozen=True)
class CardOutcome:
    card: dict[str, str | None] | None
    missing_because: str | None = None  # a link and no card: why (shown with the post)


def card_for_post(
    text: str,
    overrides: dict[str, str],
    given: dict[str, str | None] | None,
    images_everywhere: bool,
) -> dict[str, str | None] | None:
    return card_outcome(text, overrides, given, images_everywhere).card


def card_outcome(
    text: str,
    overrides: dict[str, str],
    given: dict[str, str | None] | None,
    images_everywhere: bool,
) -> CardOutcome:
    """The card stored on a post at queue time: fetched from the first link of the text (or the
    `link_card.url` given), with the marketer's fields over the page's. No card when there is no link,
    every network gets images (`images_everywhere`), or the page cannot be fetched and nothing was given
    (then `missing_because` says why)."""
    given = {k: v for k, v in (given or {}).items() if v}
    if images_everywhere:
        if given:
            raise ValidationFailed(FieldProblem("link_card", "a post with images goes out without a link card"))
        return CardOutcome(None)
    url = given.get("url") or first_link(text) or next((u for t in overrides.values() if (u := first_link(t))), None)
    if not url:
        if given:
            raise ValidationFailed(FieldProblem("link_card.url", "give the card's URL, or put a link in the text"))
        return CardOutcome(None)
    settings = get_settings()
    problems = []
    for field in ("url", "thumbnail_url"):
        value = given.get(field)
        if value is None:
            continue
        try:
            check_url(value, settings.link_card_allowed_hosts)
        except Refused as exc:
            problems.append(FieldProblem(f"link_card.{field}", f"refused: {exc}"))
        except Unavailable:
            pass  # a name that does not resolve now is not refused; the fetch below just finds nothing
    if problems:
        raise ValidationFailed(problems)
    try:
        fetched, missing_because = _fetch_card(url)
    except Refused as exc:
        if "url" in given:
            raise ValidationFailed(FieldProblem("link_card.url", f"refused: {exc}")) from None
        logger.info("no link card for a link in the text: %s", exc)
        fetched, missing_because = None, f"the link's address is not one parley fetches ({exc})"
    if fetched is None and not given.get("title"):
        return CardOutcome(None, f"no link card: {missing_because}; give link_card.title to make one")
    card: dict[str, str | None] = {"url": url, "title": "", "description": "", "thumbnail_url": None}
    card.update({k: v for k, v in (fetched or {}).items() if v})
    card.update(given)
    card["url"] = url
    if card.get("thumbnail_url") and "thumbnail_url" not in given:
        try:
            check_url(str(card["thumbnail_url"]), settings.link_card_allowed_hosts)
        except (Refused, Unavailable):
            card["thumbnail_url"] = None  # the page's own image on a private address: no thumbnail
    return CardOutcome({k: v for k, v in card.items() if v is not None})
