"""Mastodon: statuses created through an instance's REST API with the channel's access token.

Credential: `service_url` is the instance (e.g. https://mastodon.social), `secret` the access token
(scopes `read write`), `identifier` the account's handle as the marketer typed it (informational).

Exactly once: `POST /api/v1/statuses` carries an `Idempotency-Key` derived from the delivery, so a repeated
attempt returns the status the first one created. Mastodon keeps these keys for about an hour only, so a
retry or takeover (`look_first`) also looks at the account's recent statuses for the text (mentions as
Mastodon shows them) and images first (parley.networks.look_first).

Limits: each instance says its own (`/api/v2/instance`: max characters, characters reserved per URL); they
are cached per instance for `LIMITS_TTL`. Counting follows Mastodon's StatusLengthValidator: grapheme
clusters, every http(s) URL counts as `characters_reserved_per_url`, and a mention `@user@domain` counts as
`@user` (the domain part is free).

Tokens are never logged: log lines name the instance and what was being done, never a header.
"""

from __future__ import annotations

import hashlib
import html
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import urlparse

import regex
import requests

from parley.networks import boundary, look_first
from parley.networks.base import (
    Account,
    Attachment,
    Credential,
    InvalidCredential,
    NetworkError,
    PermanentNetworkError,
    Published,
    PublishRequest,
    SessionStore,
    TransientNetworkError,
)
from parley.networks.boundary import guarded, peer_count
from parley.networks.media_rules import MediaLimits
from parley.networks.media_rules import mastodon_limits as mastodon_media_limits
from parley.shared import outbound_requests
from parley.shared.clock import Clock, get_clock
from parley.shared.errors import FieldProblem
from parley.shared.timeparse import network_time

logger = logging.getLogger(__name__)

NETWORK = "mastodon"
DEFAULT_MAX_CHARACTERS = 500  # Mastodon's own default, for an instance whose limits are not known
DEFAULT_URL_LENGTH = 23  # Mastodon's default characters_reserved_per_url
DEFAULT_MAX_MEDIA = 4
LIMITS_TTL = timedelta(hours=6)
RECENT_STATUSES = 40  # the most the statuses endpoint gives in one page
FIND_MARGIN = timedelta(minutes=2)  # clock skew between us and the instance when looking by time

# Mastodon's URL rule (Twitter's extractor with a protocol required) is approximated by: a scheme, then
# anything up to a space; trailing punctuation that ends a sentence is not part of the link.
_URL_RE = regex.compile(r"(?<![\p{L}\p{N}_/])https?://[^\s<>\"]+", regex.IGNORECASE)
_URL_TRAILING = ".,:;!?'\")]}"
# Account::MENTION_RE: @user or @user@domain, not preceded by a word character, `=` or `/`.
_MENTION_RE = regex.compile(
    r"(?<![=/\w])@([a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?)(?:@[\w]+(?:[.-]+[\w]+)*)?",
    regex.IGNORECASE,
)


@dataclass(frozen=True)
class MastodonLimits:
    """What one instance allows (its `/api/v2/instance` configuration)."""

    max_characters: int = DEFAULT_MAX_CHARACTERS
    characters_reserved_per_url: int = DEFAULT_URL_LENGTH
    max_media_attachments: int = DEFAULT_MAX_MEDIA
    # images: configuration.media_attachments (parley.networks.media_rules); not part of what text rules compare
    media: MediaLimits | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Within parley.networks.boundary's bounds whatever made them: an instance's answer, or a channel's
        # copy stored before there were bounds (parley.connect.channels.text_limits).
        bounds = {
            "max_characters": boundary.MAX_STATUS_CHARACTERS,
            "characters_reserved_per_url": boundary.MAX_URL_LENGTH,
            "max_media_attachments": boundary.MAX_IMAGES,
        }
        for name, high in bounds.items():
            object.__setattr__(self, name, max(1, min(int(getattr(self, name)), high)))


DEFAULT_LIMITS = MastodonLimits()


def _urls(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _URL_RE.finditer(text):
        start, end = match.span()
        while end > start and text[end - 1] in _URL_TRAILING:
            end -= 1
        spans.append((start, end))
    return spans


def countable_text(text: str, url_length: int = DEFAULT_URL_LENGTH) -> str:
    """The text as Mastodon counts it: each URL replaced by `url_length` x's, each `@user@domain` by `@user`."""
    out: list[str] = []
    pos = 0
    urls = _urls(text)
    for start, end in urls:
        out.append(_local_mentions(text[pos:start]))
        out.append("x" * url_length)
        pos = end
    out.append(_local_mentions(text[pos:]))
    return "".join(out)


def _local_mentions(text: str) -> str:
    return _MENTION_RE.sub(lambda m: "@" + m.group(1), text)


def count_characters(text: str, url_length: int = DEFAULT_URL_LENGTH) -> int:
    """Mastodon's length of a status text: grapheme clusters of `countable_text`."""
    return len(regex.findall(r"\X", countable_text(text, url_length)))


def check_text(text: str, limits: MastodonLimits | None = None) -> list[FieldProblem]:
    """Queue-time rules for a Mastodon status. Without the instance's limits, Mastodon's defaults apply
    (500 characters, URLs as 23)."""
    limits = limits or DEFAULT_LIMITS
    if not text.strip():
        return [FieldProblem("text", "is empty; a Mastodon post needs some text")]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return [FieldProblem("text", "contains characters that are not valid Unicode (lone surrogates)")]
    length = count_characters(text, limits.characters_reserved_per_url)
    if length > limits.max_characters:
        return [
            FieldProblem(
                "text",
                f"{length} characters as Mastodon counts them (links as {limits.characters_reserved_per_url}); "
                f"this instance allows at most {limits.max_characters}",
            )
        ]
    return []


def idempotency_key(delivery_id: str) -> str:
    """The `Idempotency-Key` of a delivery: the same for every attempt, reveals nothing of the id."""
    digest = hashlib.sha256(f"parley:mastodon:{delivery_id}".encode()).hexdigest()
    return f"parley-{digest[:40]}"


class LimitsCache:
    """Instance limits per instance base URL, kept for `ttl` (thread-safe; one per process by default)."""

    def __init__(self, ttl: timedelta = LIMITS_TTL) -> None:
        self._ttl = ttl
        self._entries: dict[str, tuple[datetime, MastodonLimits]] = {}
        self._lock = threading.Lock()

    def get(self, base_url: str, now: datetime, fetch: Callable[[], MastodonLimits]) -> MastodonLimits:
        key = _base(base_url)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now < entry[0]:
                return entry[1]
        limits = fetch()
        with self._lock:
            self._entries[key] = (now + self._ttl, limits)
        return limits

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


LIMITS_CACHE = LimitsCache()


def limits_from_instance(body: dict[str, Any]) -> MastodonLimits:
    """Read the limits out of an `/api/v2/instance` answer; anything missing or odd keeps Mastodon's default,
    and every number is taken within parley.networks.boundary's bounds (a hostile instance cannot make us
    build a status of a billion characters)."""
    config = _dict(body.get("configuration"))
    statuses = _dict(config.get("statuses"))
    return MastodonLimits(
        max_characters=peer_count(
            statuses.get("max_characters"), DEFAULT_MAX_CHARACTERS, low=1, high=boundary.MAX_STATUS_CHARACTERS
        ),
        characters_reserved_per_url=peer_count(
            statuses.get("characters_reserved_per_url"), DEFAULT_URL_LENGTH, low=1, high=boundary.MAX_URL_LENGTH
        ),
        max_media_attachments=peer_count(
            statuses.get("max_media_attachments"), DEFAULT_MAX_MEDIA, low=1, high=boundary.MAX_IMAGES
        ),
        media=mastodon_media_limits(body),
    )


@guarded("Mastodon")
class MastodonAdapter:
    network = NETWORK

    def __init__(
        self,
        credential: Credential,
        sessions: SessionStore | None = None,
        clock: Clock | None = None,
        http: requests.Session | None = None,
        timeout: float = 10,
        limits_cache: LimitsCache | None = None,
    ) -> None:
        self._credential = credential
        self._sessions = sessions
        self._clock = clock or get_clock()
        # The channel chose this server: every request passes the outbound fetcher's rules (issue 15 item 2).
        self._http = http or outbound_requests.session()
        self._timeout = timeout
        self._limits_cache = limits_cache or LIMITS_CACHE
        self._account_id: str | None = None

    # -- the Adapter interface -------------------------------------------------------------------------

    def check_text(self, text: str) -> list[FieldProblem]:
        """The instance's own limits (cached); Mastodon's defaults when the instance cannot be asked."""
        try:
            limits = self.limits()
        except NetworkError as exc:
            logger.info("mastodon: instance limits unavailable (%s); using the defaults", exc.reason)
            limits = DEFAULT_LIMITS
        return check_text(text, limits)

    def limits(self) -> MastodonLimits:
        """This instance's limits, from `/api/v2/instance` (no token needed), cached per instance."""

        def fetch() -> MastodonLimits:
            body = self._request("GET", "/api/v2/instance", doing="read the instance's limits", auth=False)
            return limits_from_instance(body)

        return self._limits_cache.get(self._credential.service_url, self._clock.now(), fetch)

    def verify(self, credential: Credential) -> Account:
        body = self._request(
            "GET",
            "/api/v1/accounts/verify_credentials",
            doing="check the access token",
            token=credential.secret,
            base=credential.service_url,
        )
        remote_id = str(body.get("id") or "")
        username = str(body.get("username") or body.get("acct") or "")
        if not remote_id or not username:
            raise TransientNetworkError("Mastodon answered the token check with something unexpected")
        if credential == self._credential:
            self._remember_account(remote_id)
        host = urlparse(_base(credential.service_url)).netloc
        return Account(handle=f"{username}@{host}", remote_id=remote_id)

    def publish(self, request: PublishRequest) -> Published:
        if request.look_first:
            found = self.find(request)
            if found is not None:
                return found
        status: dict[str, Any] = {"status": request.text, "visibility": "public"}
        if request.images:  # uploaded first; an upload repeated by a retry stays unattached (the instance prunes it)
            status["media_ids"] = [self.upload_media(image) for image in request.images]
        body = self._request(
            "POST",
            "/api/v1/statuses",
            doing="publish the post",
            json_body=status,
            headers={"Idempotency-Key": idempotency_key(request.delivery_id)},
        )
        status_id = str(body.get("id") or "")
        if not status_id:
            raise TransientNetworkError("Mastodon answered the post with something unexpected")
        return Published(
            remote_id=status_id,
            url=str(body.get("url") or body.get("uri") or ""),
            acknowledged_at=self._clock.now(),
        )

    def find(self, request: PublishRequest) -> Published | None:
        """Look among the account's most recent statuses (one page) for the one this delivery made: created
        no earlier than the delivery was due, the same text as `normalized_text` compares it (mentions as
        Mastodon shows them) and the same images (parley.networks.look_first)."""
        account_id = self._own_account_id()
        statuses = self._request_list(
            f"/api/v1/accounts/{account_id}/statuses",
            params={"limit": str(RECENT_STATUSES), "exclude_reblogs": "true"},
            doing="look for the post",
        )
        wanted = normalized_text(request.text)
        not_before = request.due_at - FIND_MARGIN
        for status in statuses:
            if not isinstance(status, dict):
                continue
            created = network_time(status.get("created_at"), naive_is_utc=True)
            if created is not None and created < not_before:
                continue
            if normalized_text(_status_text(status)) != wanted or not look_first.mastodon_same_media(status, request):
                continue
            return Published(
                remote_id=str(status.get("id")),
                url=str(status.get("url") or status.get("uri") or ""),
                acknowledged_at=created or self._clock.now(),
                already_there=True,
            )
        return None

    def upload_media(self, image: Attachment) -> str:
        """`POST /api/v2/media` with the alt text as `description`: the attachment's id (docs/media.md)."""
        url = f"{_base(self._credential.service_url)}/api/v2/media"
        headers = {
            "Accept": "application/json",
            "User-Agent": "parley",
            "Authorization": f"Bearer {self._credential.secret}",
        }
        extension = image.content_type.rsplit("/", 1)[-1]
        try:
            response = self._http.request(
                "POST",
                url,
                files={"file": (f"image.{extension}", image.data, image.content_type)},
                data={"description": image.alt} if image.alt else None,
                headers=headers,
                timeout=self._timeout,
            )
        except requests.RequestException:
            raise TransientNetworkError("Mastodon could not be reached (trying to upload an image)") from None
        if not response.ok:
            raise classify(response, "upload an image", self._clock.now())
        try:
            media_id = str(response.json().get("id") or "")
        except (ValueError, AttributeError):
            media_id = ""
        if not media_id:
            raise TransientNetworkError("Mastodon answered the image upload with something unexpected")
        return media_id

    # -- account -------------------------------------------------------------------------------------------

    def _own_account_id(self) -> str:
        if self._account_id is None and self._sessions is not None:
            stored = self._sessions.load() or {}
            if stored.get("service_url") == _base(self._credential.service_url) and stored.get("account_id"):
                self._account_id = stored["account_id"]
        if self._account_id is None:
            self.verify(self._credential)
        assert self._account_id is not None
        return self._account_id

    def _remember_account(self, account_id: str) -> None:
        self._account_id = account_id
        if self._sessions is not None:
            self._sessions.save({"account_id": account_id, "service_url": _base(self._credential.service_url)})

    # -- HTTP ------------------------------------------------------------------------------------------------

    def _request_list(self, path: str, *, params: dict[str, str], doing: str) -> list[Any]:
        body = self._send("GET", path, doing=doing, params=params)
        if not isinstance(body, list):
            raise TransientNetworkError(f"Mastodon answered with something unexpected (trying to {doing})")
        return body

    def _request(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        token: str | None = None,
        auth: bool = True,
        base: str | None = None,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        body = self._send(
            method, path, doing=doing, token=token, auth=auth, base=base, json_body=json_body, headers=headers
        )
        if not isinstance(body, dict):
            raise TransientNetworkError(f"Mastodon answered with something unexpected (trying to {doing})")
        return body

    def _send(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        token: str | None = None,
        auth: bool = True,
        base: str | None = None,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        url = f"{_base(base or self._credential.service_url)}{path}"
        sent = {"Accept": "application/json", "User-Agent": "parley", **(headers or {})}
        bearer = token or (self._credential.secret if auth else None)
        if bearer:
            sent["Authorization"] = f"Bearer {bearer}"
        try:
            response = self._http.request(
                method, url, params=params, json=json_body, headers=sent, timeout=self._timeout
            )
        except requests.Timeout:
            raise TransientNetworkError(f"Mastodon did not answer in time (trying to {doing})") from None
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ) as exc:
            raise PermanentNetworkError(f"The Mastodon instance address of this channel is not usable: {exc}") from None
        except requests.ConnectionError:
            raise TransientNetworkError(f"Mastodon could not be reached (trying to {doing})") from None
        except requests.RequestException:
            raise TransientNetworkError(f"Mastodon could not be reached (trying to {doing})") from None
        if response.ok:
            try:
                return response.json()
            except ValueError:
                raise TransientNetworkError(
                    f"Mastodon answered with something unexpected (trying to {doing})"
                ) from None
        self._fail(response, doing)

    def _fail(self, response: requests.Response, doing: str) -> NoReturn:
        raise classify(response, doing, self._clock.now())

    # -- listening (parley.listening.mastodon reads the answers) ---------------------------------------------

    def get_json(self, path: str, params: dict[str, str] | None = None, *, doing: str) -> Any:
        """An authenticated GET; errors as for publishing (429 -> RateLimited with the reset time)."""
        return self._send("GET", path, doing=doing, params=params)

    def post_json(
        self, path: str, body: dict[str, Any], *, doing: str, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return self._request("POST", path, doing=doing, json_body=body, headers=headers)

    def account_id(self) -> str:
        """The id of the account the token belongs to (remembered in the channel's session)."""
        return self._own_account_id()


class RateLimited(TransientNetworkError):
    """A 429: nothing was done; try again at `retry_at`."""


def classify(response: requests.Response, doing: str, now: datetime) -> NetworkError:
    """The error a failed Mastodon answer means (pure: used by the adapter, tested on its own)."""
    status = response.status_code
    message = _error_message(response)
    if status == 429:
        return RateLimited(f"Mastodon's rate limit was reached (trying to {doing})", retry_at=retry_at(response, now))
    if status >= 500 or status in (408, 409):
        # 409: the same Idempotency-Key is still being processed by the instance; ask again shortly.
        return TransientNetworkError(
            f"Mastodon is having trouble: HTTP {status} (trying to {doing})", retry_at=retry_at(response, now)
        )
    if status == 401:
        return InvalidCredential("Mastodon no longer accepts this channel's access token: connect the account again")
    if status == 403:
        lowered = message.lower()
        if "scope" in lowered:
            return InvalidCredential("The access token may not post (missing the write scope): connect again")
        if any(word in lowered for word in ("disabled", "suspended", "login", "confirm")):
            return InvalidCredential(f"Mastodon refused this account: {message}")
        return PermanentNetworkError(f"Mastodon refused to {doing}: {message or 'forbidden'}")
    if status == 404:
        return PermanentNetworkError(f"Mastodon has no such thing (trying to {doing}): check the instance address")
    detail = message or f"HTTP {status}"
    return PermanentNetworkError(f"Mastodon refused to {doing}: {detail}")


def retry_at(response: requests.Response, now: datetime) -> datetime | None:
    """When to try again: `X-RateLimit-Reset` (Mastodon sends an ISO 8601 time; epoch seconds or
    milliseconds accepted too), else `Retry-After` (seconds or an HTTP date); never later than
    parley.networks.boundary allows."""
    reset = response.headers.get("X-RateLimit-Reset")
    when = boundary.at_epoch(reset, now)
    if when is None and reset and reset.strip():
        try:
            when = boundary.retry_window(network_time(reset.strip(), naive_is_utc=True), now)
        except (ValueError, OverflowError):
            when = None
    return when or boundary.retry_after(response.headers.get("Retry-After"), now)


_TAG_BREAK = regex.compile(r"<\s*(br|/p)\s*/?\s*>", regex.IGNORECASE)
_TAG = regex.compile(r"<[^>]*>")
_SPACE = regex.compile(r"\s+")


def normalized_text(text: str) -> str:
    """Text for comparing what we sent with what the instance shows (both sides pass through it): each
    mention `@user@domain` as `@user`, lowercased (Mastodon shows a resolved remote mention by its username
    only, an unresolved one as written; links are left as they are), whitespace collapsed."""
    out: list[str] = []
    pos = 0
    for start, end in _urls(text):
        out.append(_mentions_as_shown(text[pos:start]))
        out.append(text[start:end])
        pos = end
    out.append(_mentions_as_shown(text[pos:]))
    return _SPACE.sub(" ", "".join(out)).strip()


def _mentions_as_shown(text: str) -> str:
    return _MENTION_RE.sub(lambda m: "@" + m.group(1).lower(), text)


def _status_text(status: dict[str, Any]) -> str:
    """A status's plain text: `text` when the instance gives it, else its HTML content without markup
    (Mastodon keeps a link's hidden scheme in an invisible span, so the full URL survives)."""
    plain = status.get("text")
    if isinstance(plain, str) and plain:
        return plain
    content = str(status.get("content") or "")
    return html.unescape(_TAG.sub("", _TAG_BREAK.sub("\n", content)))


def _error_message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        return boundary.peer_text(body.get("error_description") or body.get("error") or body.get("detail"))
    return ""


def _base(url: str) -> str:
    return url.rstrip("/")


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
