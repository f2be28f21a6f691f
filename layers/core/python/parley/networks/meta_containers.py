"""What Instagram and Threads share: Meta's Graph API errors and limits, and the two-step container publish
made exactly once.

Errors (https://developers.facebook.com/docs/graph-api/guides/error-handling and
https://developers.facebook.com/docs/graph-api/overview/rate-limiting): an answer's `error` carries `code`,
`error_subcode` and `type`.
- 190 (`OAuthException`: expired or revoked token; also 102, 463, 467) -> InvalidCredential.
- Throttling: 4 (app), 17 (user), 32 (page), 613 (calls per hour), 80001-80014 (business use case) and
  HTTP 429 -> TransientNetworkError with `retry_at` from `X-Business-Use-Case-Usage`
  (`estimated_time_to_regain_access`, minutes) or `Retry-After`, else a fixed pause (THROTTLE_PAUSE): the
  usage headers without a time (`X-App-Usage`) only say the window is rolling, an hour long.
- 9007 / subcode 2207027 (the container is not ready to publish), 2 / 1 / HTTP 5xx -> TransientNetworkError.
- The rest (bad parameters, an image Meta could not fetch, a refused caption) -> PermanentNetworkError.

Exactly once (docs/networks-meta-linkedin.md says why): a container is made, waited for, then published.
The container id is recorded (the *intent*, `IntentStore`, keyed by delivery) before anything is published,
so a retry after a crash reuses it instead of making another; and a retry looks first at the account's
recent posts for the delivery's text (`look_first`), and at the container's own state (PUBLISHED means it is
out). A container still being processed is a TransientNetworkError with a retry time, never a wait in the
function. A container made but never published expires on Meta's side after 24 hours and is never seen.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn, Protocol

import regex
import requests

from parley.networks import boundary
from parley.networks.base import (
    Account,
    Credential,
    InvalidCredential,
    NetworkError,
    PermanentNetworkError,
    Published,
    PublishRequest,
    SessionStore,
    TransientNetworkError,
)
from parley.networks.boundary import peer_count
from parley.networks.token_adapter import TokenAdapter
from parley.shared.clock import Clock

logger = logging.getLogger(__name__)

THROTTLE_PAUSE = timedelta(minutes=15)
NOT_READY_PAUSE = timedelta(seconds=30)  # a container still IN_PROGRESS is looked at again this much later
PUBLISH_LIMIT_PAUSE = timedelta(hours=1)  # the 24-hour publishing limit was reached on Meta's side
FIND_MARGIN = timedelta(minutes=2)
DEAD_TOKEN_CODES = {190, 102, 463, 467}
THROTTLE_CODES = {4, 17, 32, 613, *range(80001, 80015)}
NOT_READY_CODES = {9007}
NOT_READY_SUBCODES = {2207027}
PUBLISH_LIMIT_SUBCODES = {2207042}  # "the maximum number of posts allowed in 24 hours was reached"
GONE_SUBCODES = {33}  # "Object ... does not exist, cannot be loaded due to missing permissions"
PERMISSION_CODES = {10, 200}
MAX_QUOTA = 100_000  # posts a publishing limit may count
MAX_QUOTA_WINDOW = 30 * 86400  # seconds its window may last


class Gone(PermanentNetworkError):
    """The object (a post, a comment) is no longer there, or no longer ours to read."""


class NotGranted(PermanentNetworkError):
    """The token lacks the permission for this read (e.g. insights): the data is not available."""


class IntentStore(Protocol):
    """Where the container id made for a delivery is kept until it is published (parley.store.intents)."""

    def load(self, key: str) -> str | None: ...

    def save(self, key: str, container_id: str) -> None: ...


class MemoryIntents:
    """Intents in memory: unit tests, and answers (a crash there leaves only an unseen container)."""

    def __init__(self) -> None:
        self.kept: dict[str, str] = {}

    def load(self, key: str) -> str | None:
        return self.kept.get(key)

    def save(self, key: str, container_id: str) -> None:
        self.kept[key] = container_id


@dataclass(frozen=True)
class PublishingLimit:
    """What `content_publishing_limit` / `threads_publishing_limit` said: posts in the last window, the limit."""

    used: int
    total: int
    window_seconds: int


class Graph:
    """Authenticated calls to one Meta Graph host (`base`/`version`/path), errors classified."""

    def __init__(
        self,
        *,
        name: str,
        base: str,
        version: str,
        token: str,
        clock: Clock,
        http: requests.Session | None = None,
        timeout: float = 10,
    ) -> None:
        self.name = name
        self._base = base.rstrip("/")
        self._version = version
        self._token = token
        self._clock = clock
        self._http = http or requests.Session()
        self._timeout = timeout

    def get(self, path: str, params: dict[str, str] | None = None, *, doing: str) -> dict[str, Any]:
        return self._send("GET", path, params=params, doing=doing)

    def post(self, path: str, data: dict[str, str], *, doing: str) -> dict[str, Any]:
        return self._send("POST", path, data=data, doing=doing)

    def _send(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        url = f"{self._base}/{self._version}/{path.lstrip('/')}"
        # The token goes as a header: it then never sits in a URL that something might log.
        headers = {"Accept": "application/json", "User-Agent": "parley", "Authorization": f"Bearer {self._token}"}
        try:
            response = self._http.request(method, url, params=params, data=data, headers=headers, timeout=self._timeout)
        except requests.Timeout:
            raise TransientNetworkError(f"{self.name} did not answer in time (trying to {doing})") from None
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema):
            raise PermanentNetworkError(f"The {self.name} API address of this channel is not valid") from None
        except requests.RequestException:
            raise TransientNetworkError(f"{self.name} could not be reached (trying to {doing})") from None
        if response.ok:
            body = _json(response)
            if not body:
                raise TransientNetworkError(f"{self.name} answered with something unexpected (trying to {doing})")
            return body
        raise classify(self.name, response, doing, self._clock.now())


def classify(name: str, response: requests.Response, doing: str, now: datetime) -> NetworkError:
    """The error a failed Graph API answer means (module docstring)."""
    error = _dict(_json(response).get("error"))
    code, subcode = _int(error.get("code")), _int(error.get("error_subcode"))
    message = boundary.peer_text(error.get("error_user_msg") or error.get("message")) or f"HTTP {response.status_code}"
    if code in DEAD_TOKEN_CODES or (response.status_code == 401 and code is None):
        return InvalidCredential(f"{name} no longer accepts this channel's access token: connect the account again")
    if subcode in PUBLISH_LIMIT_SUBCODES:
        return TransientNetworkError(
            f"{name}'s 24-hour publishing limit was reached (trying to {doing})",
            retry_at=usage_retry_at(response, now) or now + PUBLISH_LIMIT_PAUSE,
        )
    if code in THROTTLE_CODES or response.status_code == 429:
        return TransientNetworkError(
            f"{name}'s rate limit was reached (trying to {doing}): {message}",
            retry_at=usage_retry_at(response, now) or now + THROTTLE_PAUSE,
        )
    if code in NOT_READY_CODES or subcode in NOT_READY_SUBCODES:
        return TransientNetworkError(f"{name} is still processing the media (trying to {doing})", now + NOT_READY_PAUSE)
    if response.status_code >= 500 or code in (1, 2) or error.get("is_transient") is True:
        return TransientNetworkError(f"{name} is having trouble: {message} (trying to {doing})")
    if subcode in GONE_SUBCODES or response.status_code == 404:
        return Gone(f"{name}: {message}")
    if code in PERMISSION_CODES:
        return NotGranted(f"{name} did not grant this (trying to {doing}): {message}")
    return PermanentNetworkError(f"{name} refused to {doing}: {message}")


def usage_retry_at(response: requests.Response, now: datetime) -> datetime | None:
    """When access comes back, from `Retry-After` (seconds) or `X-Business-Use-Case-Usage`
    (`{"<id>": [{"estimated_time_to_regain_access": <minutes>, ...}]}`)."""
    after = boundary.after_seconds(response.headers.get("Retry-After"), now)
    if after is not None:
        return after
    raw = response.headers.get("X-Business-Use-Case-Usage")
    if raw:
        try:
            usage = json.loads(raw)
        except ValueError:
            usage = {}
        most = int(boundary.MAX_WAIT.total_seconds() // 60)
        minutes = [
            peer_count(_int(entry.get("estimated_time_to_regain_access")), 0, low=1, high=most)
            for entries in _dict(usage).values()
            for entry in (entries if isinstance(entries, list) else [])
            if isinstance(entry, dict)
        ]
        if minutes and max(minutes) > 0:
            return now + timedelta(minutes=max(minutes))
    return None


def publishing_limit(body: dict[str, Any], default_total: int) -> PublishingLimit:
    """`{"data": [{"quota_usage": 4, "config": {"quota_total": 250, "quota_duration": 86400}}]}`."""
    entries = as_list(body.get("data"))
    entry = _dict(entries[0]) if entries else {}
    config = _dict(entry.get("config"))
    return PublishingLimit(  # within bounds (parley.networks.boundary): a peer's numbers
        used=peer_count(_int(entry.get("quota_usage")), 0, low=0, high=MAX_QUOTA),
        total=peer_count(_int(config.get("quota_total")), default_total, low=1, high=MAX_QUOTA),
        window_seconds=peer_count(_int(config.get("quota_duration")), 86400, low=60, high=MAX_QUOTA_WINDOW),
    )


# -- the two-step publish ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerSteps:
    """One network's calls for the two-step publish."""

    name: str
    create: Callable[[PublishRequest], str]  # makes the container (and its children): its id
    status: Callable[[str], tuple[str, str]]  # the container's (status, detail)
    publish: Callable[[str], str]  # publishes the container: the post's id
    find: Callable[[PublishRequest], Published | None]  # the delivery's post among the account's recent ones
    published: Callable[[str], Published]  # the post's Published (its permalink)


def publish_once(request: PublishRequest, steps: ContainerSteps, intents: IntentStore, now: datetime) -> Published:
    """The delivery's post, made exactly once (module docstring)."""
    if request.look_first:
        found = steps.find(request)
        if found is not None:
            return found
    container = intents.load(request.delivery_id)
    if container is not None:
        try:
            status, detail = steps.status(container)
        except Gone:
            status, detail = "EXPIRED", "the recorded container is no longer there"
        if status == "EXPIRED":
            logger.info("%s: the recorded container expired unpublished; making another", steps.name)
            container = None
        elif status == "PUBLISHED":
            found = steps.find(request)
            if found is not None:
                return found
            raise TransientNetworkError(
                f"{steps.name} says this post's container is published but it is not listed yet", now + NOT_READY_PAUSE
            )
    if container is None:
        container = steps.create(request)
        intents.save(request.delivery_id, container)  # before publishing: a retry reuses it
        status, detail = steps.status(container)
    _ready_or_raise(steps.name, status, detail, now)
    post_id = steps.publish(container)
    return steps.published(post_id)


def _ready_or_raise(name: str, status: str, detail: str, now: datetime) -> None:
    if status == "FINISHED":
        return
    if status in ("IN_PROGRESS", ""):
        raise TransientNetworkError(f"{name} is still processing the post's media", retry_at=now + NOT_READY_PAUSE)
    if status == "ERROR":
        raise PermanentNetworkError(f"{name} could not prepare the post: {detail or 'the container failed'}")
    _unexpected(name, status)


def _unexpected(name: str, status: str) -> NoReturn:
    raise TransientNetworkError(f"{name} answered with a container state parley does not know: {status}")


_URL = regex.compile(r"https?://\S+", regex.IGNORECASE)
_SPACE = regex.compile(r"\s+")


def comparable_text(text: str) -> str:
    """A caption or post text as compared when looking for our own post: links reduced, whitespace collapsed."""
    return _SPACE.sub(" ", _URL.sub("<url>", text)).strip()


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return _dict(body)


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


MAX_ALT_TEXT = 1000  # both networks' alt_text on image containers


def alt_text(alt: str) -> dict[str, str]:
    # alt_text on image containers (Instagram: introduced 24 March 2025, the content publishing guide).
    return {"alt_text": alt[:MAX_ALT_TEXT]} if alt else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


class ContainerAdapter(TokenAdapter):  # each subclass is @guarded (parley.networks.boundary)
    """What the Instagram and Threads adapters share: the Graph client (with the channel's token, see
    TokenAdapter), the token check, and the two-step publish through the
    subclass's steps (`_create`, `_status`, `_publish`, `find`, `_published`)."""

    network: str
    name: str  # "Instagram", "Threads": what a marketer reads in reasons
    limit_path: str  # the account's publishing limit: content_publishing_limit, threads_publishing_limit
    daily_posts: int  # its documented default
    api_base: str
    version: str  # the Graph API version every call names

    def __init__(
        self,
        credential: Credential,
        sessions: SessionStore | None = None,
        clock: Clock | None = None,
        http: requests.Session | None = None,
        timeout: float | None = None,
        intents: IntentStore | None = None,
    ) -> None:
        super().__init__(credential, sessions, clock, http, timeout)
        self._intents = intents or MemoryIntents()
        self._user_id = credential.identifier or "me"
        self._username: str | None = None
        self.graph = self._graph(credential)

    def _graph(self, credential: Credential) -> Graph:
        return Graph(
            name=self.name,
            base=credential.service_url or self.api_base,
            version=self.version,
            token=self._token() if credential == self._credential else credential.secret,
            clock=self._clock,
            http=self._http,
            timeout=self._timeout,
        )

    def _account_path(self, credential: Credential) -> str:
        return "me"

    def verify(self, credential: Credential) -> Account:
        graph = self.graph if credential == self._credential else self._graph(credential)
        body = graph.get(self._account_path(credential), {"fields": "id,username"}, doing="check the access token")
        user_id, username = str(body.get("id") or ""), str(body.get("username") or "")
        if not user_id or not username:
            raise TransientNetworkError(f"{self.name} answered the token check with something unexpected")
        if credential == self._credential:
            self._user_id, self._username = user_id, username
        return Account(handle=username, remote_id=user_id)

    def publish(self, request: PublishRequest) -> Published:
        steps = ContainerSteps(self.name, self._create, self._status, self._publish, self.find, self._published)
        return publish_once(request, steps, self._intents, self._clock.now())

    def publishing_limit(self) -> PublishingLimit:
        """`GET /{user-id}/<limit_path>?fields=quota_usage,config` (Instagram's content_publishing_limit:
        https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit;
        Threads' threads_publishing_limit)."""
        body = self.graph.get(
            f"{self._user_id}/{self.limit_path}", {"fields": "quota_usage,config"}, doing="read the publishing limit"
        )
        return publishing_limit(body, self.daily_posts)

    def user_id(self) -> str:
        if self._user_id == "me":
            self.verify(self._credential)
        return self._user_id

    def username(self) -> str:
        if self._username is None:
            self.verify(self._credential)
        return self._username or ""

    def find(self, request: PublishRequest) -> Published | None:
        raise NotImplementedError

    def _create(self, request: PublishRequest) -> str:
        raise NotImplementedError

    def _status(self, container: str) -> tuple[str, str]:
        raise NotImplementedError

    def _publish(self, container: str) -> str:
        raise NotImplementedError

    def _published(self, media_id: str) -> Published:
        raise NotImplementedError
