"""Link cards: a post whose text holds a link, and that has no image, goes out with a preview of the
page (title, description, thumbnail), read from its Open Graph tags when the post is queued.

Pages and thumbnails are fetched with `parley.shared.outbound` (the SSRF rules: public addresses only,
each redirect checked, the connection made to the address checked, a time and a size budget). A page that
cannot be had gives no card and says why, never a failed post: no card is better than a failed post.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import regex

from parley.shared import clock, outbound
from parley.shared.errors import FieldProblem, OutboundFailed, OutboundRefused, OutboundTooLarge, ValidationFailed
from parley.shared.observability import logger

# Queueing waits on the page (API Gateway stops at 29 s); the <head> is what a card needs, the rest is not read.
PAGE_BUDGET = outbound.Budget(seconds=8.0, max_bytes=512 * 1024)
THUMB_BUDGET = outbound.Budget(seconds=8.0, max_bytes=1_000_000)  # Bluesky's blob limit for images
MAX_PAGE_BYTES = PAGE_BUDGET.max_bytes
MAX_TITLE = 300
MAX_DESCRIPTION = 1000
_HEADERS = {"User-Agent": "parley (link preview)", "Accept": "text/html,image/*;q=0.9,*/*;q=0.1"}
_URL = regex.compile(r"https?://[^\s<>\"']+", regex.IGNORECASE)
_TRAILING = ".,;:!?)]}'\""


def _get(url: str, budget: outbound.Budget, *, head_is_enough: bool = False) -> outbound.Response:
    """GET `url` for a card: an error status is a failure; past the size budget, with `head_is_enough`,
    the part read (a page's <head> is at its start)."""
    try:
        response = outbound.fetch("GET", url, headers=_HEADERS, budget=budget)
    except OutboundTooLarge as exc:
        if not head_is_enough:
            raise
        response = outbound.Response(exc.status, exc.headers, exc.head, exc.url)
    if not response.ok:
        raise OutboundFailed(f"{url} answered HTTP {response.status}")
    return response


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
    """The card of the page at `url`, or None when it cannot be fetched (OutboundRefused propagates)."""
    return _fetch_card(url)[0]


Fetched = tuple[dict[str, str | None] | None, str | None]


def _fetch_card(url: str, budget: outbound.Budget = PAGE_BUDGET) -> Fetched:
    """The card, or None and why (said to the marketer, who can then give the card's fields)."""
    try:
        page = _get(url, budget, head_is_enough=True)
    except OutboundFailed as exc:
        logger.info("no link card: %s", exc)
        return None, f"the page could not be read ({exc})"
    content_type = page.headers.get("content-type", "")
    if "html" not in content_type.lower():
        return None, f"the link is not a web page ({content_type or 'no content type'})"
    card = parse_open_graph(page.body.decode("utf-8", errors="replace"), page.url)
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
        body = _get(url, THUMB_BUDGET).body
    except (OutboundRefused, OutboundFailed) as exc:
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


def card_url(text: str, overrides: dict[str, str], given: dict[str, str | None] | None) -> str | None:
    """The page a post's card shows: the `link_card.url` given, else the first link of its text (or of an
    override's)."""
    return (
        (given or {}).get("url")
        or first_link(text)
        or next((u for t in overrides.values() if (u := first_link(t))), None)
    )


def card_outcome(
    text: str,
    overrides: dict[str, str],
    given: dict[str, str | None] | None,
    images_everywhere: bool,
    fetch: Callable[[str], Fetched] = _fetch_card,
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
    url = card_url(text, overrides, given)
    if not url:
        if given:
            raise ValidationFailed(FieldProblem("link_card.url", "give the card's URL, or put a link in the text"))
        return CardOutcome(None)
    problems = []
    for field in ("url", "thumbnail_url"):
        value = given.get(field)
        if value is None:
            continue
        try:
            outbound.check_url(value)
        except OutboundRefused as exc:
            problems.append(FieldProblem(f"link_card.{field}", f"refused: {exc}"))
        except OutboundFailed:
            pass  # a name that does not resolve now is not refused; the fetch below just finds nothing
    if problems:
        raise ValidationFailed(problems)
    try:
        fetched, missing_because = fetch(url)
    except OutboundRefused as exc:
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
            outbound.check_url(str(card["thumbnail_url"]))
        except (OutboundRefused, OutboundFailed):
            card["thumbnail_url"] = None  # the page's own image on a private address: no thumbnail
    return CardOutcome({k: v for k, v in card.items() if v is not None})


# The composer's check and preview (`POST /posts/validate`, `POST /posts/preview`) ask for the card of the link
# being typed again and again (debounced, not once): the page is read at most once per PREVIEW_TTL per
# process, within a budget short enough not to hold the answer up for long; a page that is slower or larger
# gives no card there (queueing still fetches it with the full budget). What was found (a card, its absence
# and why, or a refusal) is kept, so a slow page costs its budget once.
PREVIEW_BUDGET = outbound.Budget(seconds=1.5, max_bytes=256 * 1024)
PREVIEW_TTL_SECONDS = 600.0
PREVIEW_CACHE_SIZE = 256
_preview_cache: dict[str, tuple[float, Fetched | OutboundRefused]] = {}


def fetch_card_quickly(url: str) -> Fetched:
    """`_fetch_card` within PREVIEW_BUDGET, kept PREVIEW_TTL_SECONDS (OutboundRefused propagates, kept too)."""
    now = clock.now().timestamp()
    kept = _preview_cache.get(url)
    if kept is not None and 0 <= now - kept[0] < PREVIEW_TTL_SECONDS:
        found = kept[1]
    else:
        try:
            found = _fetch_card(url, PREVIEW_BUDGET)
        except OutboundRefused as exc:
            found = exc
        if len(_preview_cache) >= PREVIEW_CACHE_SIZE:
            _preview_cache.pop(next(iter(_preview_cache)))  # the oldest entry
        _preview_cache[url] = (now, found)
    if isinstance(found, OutboundRefused):
        raise found
    return found
