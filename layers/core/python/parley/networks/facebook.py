"""Facebook Pages (Graph API): posts created on a Page's feed with the Page's access token.

Credential: `identifier` is the Page id, `secret` the Page access token (connect and token upkeep live
elsewhere), `service_url` the Graph base (https://graph.facebook.com unless a test says otherwise).

Pages this was shaped from (developers.facebook.com/docs/...):
- graph-api/reference/page/feed: `POST /{page-id}/feed` (message, link, attached_media); answers `{"id"}`.
- graph-api/reference/page/photos: `POST /{page-id}/photos` with `url` (Facebook fetches the image) or
  `source` (the bytes), `published=false` for photos to attach to one feed post; `alt_text_custom`.
- graph-api/reference/page/posts: the Page's own posts (`since`, `fields`), to look before retrying.
- graph-api/guides/error-handling: OAuthException code 190 (token expired or revoked); codes 4, 17, 32,
  613 (and 80001, the Pages rate limit) are throttling; `is_transient`.
- graph-api/overview/rate-limiting: `X-App-Usage` and `X-Business-Use-Case-Usage` headers (the latter
  with `estimated_time_to_regain_access`, in minutes).

Images go by `url`: a short-lived presigned S3 GET of the stored image (`Attachment.url`, set by
parley.media.post_media through parley.media.urls); without one (a test, a bucket Facebook cannot reach), the bytes
are sent as `source`.

Exactly once: the Graph API takes no idempotency key. A retry or a takeover runs with `look_first` and
`find` looks at the Page's posts since the delivery was due for the same message.

A token renewed by token upkeep and kept in the channel's SessionStore (`access_token`) is used before
the credential's own. Tokens are never logged (they go in the Authorization header, never the URL).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta
from typing import Any, NoReturn

import requests

from parley.networks import boundary
from parley.networks.base import (
    Account,
    Attachment,
    Credential,
    InvalidCredential,
    NetworkError,
    PermanentNetworkError,
    Published,
    PublishRequest,
    TransientNetworkError,
)
from parley.networks.boundary import MAX_WAIT, guarded, peer_count
from parley.networks.token_adapter import TokenAdapter
from parley.shared.errors import FieldProblem
from parley.shared.timeparse import network_time

logger = logging.getLogger(__name__)

NETWORK = "facebook"
API_BASE = "https://graph.facebook.com"
GRAPH_VERSION = "v25.0"  # the one place the Graph API version lives
MAX_MESSAGE = 63206  # a Page post's message
POST_URL = "https://www.facebook.com/{id}"
RECENT_POSTS = 25
FIND_MARGIN = timedelta(minutes=2)
THROTTLED = frozenset({4, 17, 32, 613, 80001})
DEAD_TOKEN = frozenset({190, 102})
DUPLICATE = 506
MIN_WAIT = timedelta(minutes=5)  # a throttled call waits at least this long: never a hot loop
PLATFORM_WINDOW = timedelta(hours=1)  # platform limits are counted over a rolling hour
_SPACE = re.compile(r"\s+")


def check_text(text: str) -> list[FieldProblem]:
    """Queue-time rules for a Facebook Page post: some text, at most 63,206 characters."""
    if not text.strip():
        return [FieldProblem("text", "is empty; a post on Facebook needs some text")]
    if len(text) > MAX_MESSAGE:
        return [FieldProblem("text", f"{len(text)} characters; Facebook allows at most {MAX_MESSAGE} in a post")]
    return []


def comparable_text(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def post_url(post_id: str) -> str:
    return POST_URL.format(id=post_id)


class RateLimited(TransientNetworkError):
    """Throttled: nothing was done; try again at `retry_at`."""


class Gone(PermanentNetworkError):
    """Code 100, subcode 33: the object does not exist (deleted), or the token cannot see it."""


@guarded("Facebook")
class FacebookAdapter(TokenAdapter):
    network = NETWORK
    TIMEOUT = 20.0

    def page_id(self) -> str:
        return self._credential.identifier

    # -- the Adapter interface -------------------------------------------------------------------------

    def check_text(self, text: str) -> list[FieldProblem]:
        return check_text(text)

    def verify(self, credential: Credential) -> Account:
        page = credential.identifier.strip()
        if not page.isdigit():
            raise InvalidCredential("the Page id must be the Page's numeric id")
        body = self._call(
            "GET",
            f"/{page}",
            doing="check the Page token",
            params={"fields": "id,name,username"},
            token=credential.secret,
        )
        if str(body.get("id") or "") != page:
            raise InvalidCredential("the access token does not open this Page")
        return Account(handle=str(body.get("username") or body.get("name") or page), remote_id=page)

    def publish(self, request: PublishRequest) -> Published:
        if request.look_first:
            found = self.find(request)
            if found is not None:
                return found
        try:
            post_id = self._create(request)
        except PermanentNetworkError as exc:
            if "duplicate" in exc.reason.lower():
                found = self._find_quietly(request)
                if found is not None:
                    return found
            raise
        if not post_id:
            raise TransientNetworkError("Facebook answered the post without its id")
        return Published(remote_id=post_id, url=post_url(post_id), acknowledged_at=self._clock.now())

    def _create(self, request: PublishRequest) -> str:
        page = self.page_id()
        if len(request.images) == 1:  # one photo post, the text as its caption
            form = {"caption": request.text, "published": "true"}
            body = self._photo(request.images[0], form)
            return str(body.get("post_id") or "")
        form = {"message": request.text}
        if request.images:  # unpublished photos, then one feed post that attaches them
            ids = [str(self._photo(image, {"published": "false"}).get("id") or "") for image in request.images]
            form["attached_media"] = json.dumps([{"media_fbid": media_id} for media_id in ids])
        elif request.link_card is not None:
            form["link"] = request.link_card.url
        body = self._call("POST", f"/{page}/feed", doing="publish the post", data=form)
        return str(body.get("id") or "")

    def _photo(self, image: Attachment, form: dict[str, str]) -> dict[str, Any]:
        form = dict(form)
        if image.alt:
            form["alt_text_custom"] = image.alt
        files = None
        if image.url:
            form["url"] = image.url
        else:
            files = {"source": ("image", image.data, image.content_type)}
        return self._call("POST", f"/{self.page_id()}/photos", doing="upload a photo", data=form, files=files)

    def find(self, request: PublishRequest) -> Published | None:
        """The Page's posts since the delivery was due, one with this message."""
        since = int((request.due_at - FIND_MARGIN).timestamp())
        body = self.get_json(
            f"/{self.page_id()}/posts",
            {"fields": "id,message,created_time,permalink_url", "since": str(since), "limit": str(RECENT_POSTS)},
            doing="look for the post",
        )
        wanted = comparable_text(request.text)
        for post in _list(body.get("data")):
            if not isinstance(post, dict) or not post.get("id"):
                continue
            if comparable_text(str(post.get("message") or "")) != wanted:
                continue
            post_id = str(post["id"])
            return Published(
                remote_id=post_id,
                url=str(post.get("permalink_url") or post_url(post_id)),
                acknowledged_at=network_time(post.get("created_time")) or self._clock.now(),
                already_there=True,
            )
        return None

    def _find_quietly(self, request: PublishRequest) -> Published | None:
        try:
            return self.find(request)
        except NetworkError:
            return None

    # -- HTTP (parley.listening.facebook uses these too) ----------------------------------------------------

    def get_json(self, path: str, params: dict[str, str] | None = None, *, doing: str) -> dict[str, Any]:
        return self._call("GET", path, doing=doing, params=params)

    def post_form(self, path: str, form: dict[str, str], *, doing: str) -> dict[str, Any]:
        return self._call("POST", path, doing=doing, data=form)

    def _call(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        files: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        url = f"{(self._credential.service_url or API_BASE).rstrip('/')}/{GRAPH_VERSION}{path}"
        sent = {"Authorization": f"Bearer {token or self._token()}", "User-Agent": "parley"}
        try:
            response = self._http.request(
                method, url, params=params, data=data, files=files, headers=sent, timeout=self._timeout
            )
        except requests.Timeout:
            raise TransientNetworkError(f"Facebook did not answer in time (trying to {doing})") from None
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema):
            raise PermanentNetworkError("The Graph API address of this channel is not valid") from None
        except requests.RequestException:
            raise TransientNetworkError(f"Facebook could not be reached (trying to {doing})") from None
        body = _json(response)
        if response.ok and "error" not in body:
            return body
        self._fail(response, doing)

    def _fail(self, response: requests.Response, doing: str) -> NoReturn:
        raise classify(response, doing, self._clock.now())


def classify(response: requests.Response, doing: str, now: datetime) -> NetworkError:
    """The error a failed Graph answer means (graph-api/guides/error-handling)."""
    error = _dict(_json(response).get("error"))
    code = error.get("code") if isinstance(error.get("code"), int) else None
    message = boundary.peer_text(error.get("message")) or f"HTTP {response.status_code}"
    if code in DEAD_TOKEN:
        return InvalidCredential(f"Facebook no longer accepts this Page's token ({message}): connect the Page again")
    if code in THROTTLED or response.status_code == 429:
        return RateLimited(f"Facebook's rate limit was reached (trying to {doing})", retry_at=retry_at(response, now))
    if code == 100 and error.get("error_subcode") == 33:
        return Gone(f"Facebook has no such object (trying to {doing}): {message}")
    if code == DUPLICATE:
        return PermanentNetworkError(f"Facebook refused a duplicate post: {message}")
    if response.status_code >= 500 or error.get("is_transient") is True or code in (1, 2):
        return TransientNetworkError(f"Facebook is having trouble (trying to {doing}): {message}")
    return PermanentNetworkError(f"Facebook refused to {doing}: {message}")


def retry_at(response: requests.Response, now: datetime) -> datetime:
    """When a throttled call may be tried again: the longest `estimated_time_to_regain_access` (minutes) in
    `X-Business-Use-Case-Usage`; else, with `X-App-Usage` (no estimate given) or nothing, an hour (the
    rolling window of platform limits); never sooner than MIN_WAIT."""
    minutes = 0
    buc = _header_json(response.headers.get("X-Business-Use-Case-Usage"))
    for entries in buc.values():
        for entry in entries if isinstance(entries, list) else [entries]:
            value = _dict(entry).get("estimated_time_to_regain_access")
            minutes = max(minutes, peer_count(value, 0, low=1, high=int(MAX_WAIT.total_seconds() // 60)))
    if minutes:
        return now + max(timedelta(minutes=minutes), MIN_WAIT)
    return now + PLATFORM_WINDOW


def _header_json(value: str | None) -> dict[str, Any]:
    if not value:
        return {}
    try:
        return _dict(json.loads(value))
    except ValueError:
        return {}


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return _dict(body)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
