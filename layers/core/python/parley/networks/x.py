"""X (API v2): posts created with `POST /2/tweets` and an OAuth 2.0 user access token.

Credential: `secret` is the user's OAuth 2.0 access token, `identifier` the X user id when known (else it
is read from `GET /2/users/me`), `service_url` the API base (https://api.x.com unless a test says otherwise).
Tokens renewed by `refresh_tokens` (the OAuth 2.0 refresh_token grant) are kept in the channel's
SessionStore and used before the credential's own token.

Exactly once: X takes no idempotency key. The caller records its intent before the call; after a timeout,
a crash or any answer that may hide a write, the next attempt runs with `look_first`, and `find` looks at
the account's recent posts (`GET /2/users/{id}/tweets`, since the delivery was due) for the same text and
images, seen through the t.co links X puts in the text (parley.networks.look_first).

Counting: the twitter-text rules (`twitter-text-parser`): weighted length, most CJK and emoji count 2,
every URL 23, at most 280.

A 401 is taken for a dead token only when it is confirmed: with a refresh token the token is refreshed and
the call repeated once; without one, `GET /2/users/me` is asked with the same token. Timeouts, 5xx and 429
are never read as a revoked token.

Tokens are never logged.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

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
from parley.networks.boundary import guarded
from parley.shared.clock import Clock, get_clock
from parley.shared.errors import FieldProblem
from parley.shared.timeparse import network_time

logger = logging.getLogger(__name__)

NETWORK = "x"
API_BASE = "https://api.x.com"
TOKEN_PATH = "/2/oauth2/token"
MAX_WEIGHTED_LENGTH = 280
URL_LENGTH = 23
POST_URL = "https://x.com/i/web/status/{id}"
FIND_MARGIN = timedelta(minutes=2)
RECENT_POSTS = 100  # the most one page of the user's posts holds
# What `find` asks of each post besides its text (field names as X's OpenAPI description has them, like
# parley.listening.x): when it was made, its links (t.co and what each stands for), its images.
FIND_FIELDS = {
    "post.fields": "created_at,entities,attachments",
    "expansions": "attachments.media_keys",
    "media.fields": "media_key,alt_text",
}
TOKEN_EARLY = timedelta(minutes=2)  # refresh an access token this long before it expires
_TWITTER_EPOCH_MS = 1288834974657
MAX_ALT_TEXT = look_first.MAX_X_ALT_TEXT  # the media metadata's alt_text.text maxLength
_DEAD_TOKEN = "X no longer accepts this channel's access token: connect the account again"


def weighted_length(text: str) -> int:
    """X's weighted length of a post's text (twitter-text v3 configuration: URLs 23, emoji and CJK 2)."""
    from twitter_text import parse_tweet  # its tables take a quarter second to load: only where text is checked

    return int(parse_tweet(text).weightedLength)


def check_text(text: str) -> list[FieldProblem]:
    """Queue-time rules for a post on X: some text, no characters X refuses, 280 weighted characters."""
    if not text.strip():
        return [FieldProblem("text", "is empty; a post on X needs some text")]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return [FieldProblem("text", "contains characters that are not valid Unicode (lone surrogates)")]
    from twitter_text.has_invalid_characters import has_invalid_characters

    if has_invalid_characters(text):
        return [FieldProblem("text", "contains characters X does not allow (e.g. U+FFFE, U+FEFF, U+FFFF)")]
    length = weighted_length(text)
    if length > MAX_WEIGHTED_LENGTH:
        return [
            FieldProblem(
                "text",
                f"{length} characters as X counts them (links as {URL_LENGTH}, most emoji and CJK as 2); "
                f"X allows at most {MAX_WEIGHTED_LENGTH}",
            )
        ]
    return []


def post_url(post_id: str) -> str:
    return POST_URL.format(id=post_id)


def created_at_of(post_id: str) -> datetime | None:
    """When X created a post, read from its snowflake id (None when the id is not one)."""
    if not post_id.isascii() or not post_id.isdigit() or len(post_id) > 20:
        return None
    return boundary.epoch_millis((int(post_id) >> 22) + _TWITTER_EPOCH_MS)


# -- OAuth 2.0 tokens --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class XClient:
    """The parley app registered with X (client id; the secret only for a confidential client)."""

    client_id: str
    client_secret: str | None = None
    api_base: str = API_BASE


@dataclass(frozen=True)
class XTokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scope: str = ""

    def as_session(self) -> dict[str, str]:
        session = {"access_token": self.access_token, "scope": self.scope}
        if self.refresh_token:
            session["refresh_token"] = self.refresh_token
        if self.expires_at is not None:
            session["expires_at"] = self.expires_at.isoformat()
        return session


@guarded("X")
def refresh_tokens(
    client: XClient,
    refresh_token: str,
    *,
    http: requests.Session | None = None,
    clock: Clock | None = None,
    timeout: float = 10,
) -> XTokens:
    """Trade a refresh token for new tokens (X rotates the refresh token: keep the new one at once).

    Raises InvalidCredential when X says the refresh token is no good (revoked, already used, expired),
    PermanentNetworkError when it refuses the app itself, TransientNetworkError otherwise."""
    http = http or requests.Session()
    now = (clock or get_clock()).now()
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": client.client_id}
    auth = (client.client_id, client.client_secret) if client.client_secret else None
    try:
        response = http.post(
            f"{client.api_base.rstrip('/')}{TOKEN_PATH}",
            data=form,
            auth=auth,
            headers={"Accept": "application/json", "User-Agent": "parley"},
            timeout=timeout,
        )
    except requests.Timeout:
        raise TransientNetworkError("X did not answer in time (trying to renew the token)") from None
    except requests.RequestException:
        raise TransientNetworkError("X could not be reached (trying to renew the token)") from None
    body = _json(response)
    if response.ok and isinstance(body.get("access_token"), str):
        return XTokens(
            access_token=body["access_token"],
            refresh_token=body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None,
            expires_at=boundary.lifetime(body.get("expires_in"), now),
            scope=str(body.get("scope") or ""),
        )
    status = response.status_code
    if status == 429:
        raise TransientNetworkError("X's rate limit was reached (renewing the token)", retry_at=retry_at(response, now))
    if status >= 500 or response.ok:
        raise TransientNetworkError(f"X is having trouble: HTTP {status} (trying to renew the token)")
    error = str(body.get("error") or "")
    if error == "invalid_client" or status == 401:
        raise PermanentNetworkError("X refused parley's app credentials (client id or secret) when renewing a token")
    raise InvalidCredential("X no longer accepts this channel's authorization: connect the account again")


# -- the adapter -------------------------------------------------------------------------------------------


class _Unauthorized(Exception):
    """Internal: a 401 on an authenticated call; whether the token is dead is decided by the caller."""


class RateLimited(TransientNetworkError):
    """A 429: nothing was done; try again at `retry_at`."""


@guarded("X")
class XAdapter:
    network = NETWORK

    def __init__(
        self,
        credential: Credential,
        sessions: SessionStore | None = None,
        clock: Clock | None = None,
        http: requests.Session | None = None,
        timeout: float = 10,
        client: XClient | None = None,
    ) -> None:
        self._credential = credential
        self._sessions = sessions
        self._clock = clock or get_clock()
        self._http = http or requests.Session()
        self._timeout = timeout
        self._client = client
        self._session: dict[str, str] | None = None
        self._user_id: str | None = credential.identifier if credential.identifier.isdigit() else None

    # -- the Adapter interface -------------------------------------------------------------------------

    def check_text(self, text: str) -> list[FieldProblem]:
        return check_text(text)

    def verify(self, credential: Credential) -> Account:
        token = credential.secret if credential != self._credential else None
        body = self._call("GET", "/2/users/me", doing="check the access token", token=token)
        data = _dict(body.get("data"))
        user_id, username = str(data.get("id") or ""), str(data.get("username") or "")
        if not user_id or not username:
            raise TransientNetworkError("X answered the token check with something unexpected")
        if credential == self._credential:
            self._user_id = user_id
        return Account(handle=username, remote_id=user_id)

    def publish(self, request: PublishRequest) -> Published:
        if request.look_first:
            found = self.find(request)
            if found is not None:
                return found
        post: dict[str, Any] = {"text": request.text}
        if request.images:  # uploaded first; an upload repeated by a retry is never attached, and X expires it
            post["media"] = {"media_ids": [self.upload_media(image) for image in request.images]}
        try:
            body = self._call("POST", "/2/tweets", doing="publish the post", json_body=post)
        except PermanentNetworkError as exc:
            if "duplicate" in exc.reason.lower():
                found = self._find_quietly(request)
                if found is not None:
                    return found
            raise
        data = _dict(body.get("data"))
        post_id = str(data.get("id") or "")
        if not post_id:
            raise TransientNetworkError("X answered the post with something unexpected")
        return Published(remote_id=post_id, url=post_url(post_id), acknowledged_at=self._clock.now())

    def upload_media(self, image: Attachment) -> str:
        """`POST /2/media/upload` (one request: images are small), then the alt text with
        `POST /2/media/metadata`: the media id to attach (docs/media.md)."""
        body = self._call(
            "POST",
            "/2/media/upload",
            doing="upload an image",
            json_body={"media": base64.b64encode(image.data).decode("ascii"), "media_category": "tweet_image"},
        )
        media_id = str(_dict(body.get("data")).get("id") or "")
        if not media_id:
            raise TransientNetworkError("X answered the image upload with something unexpected")
        if image.alt:
            metadata = {"id": media_id, "metadata": {"alt_text": {"text": image.alt[:MAX_ALT_TEXT]}}}
            self._call("POST", "/2/media/metadata", doing="add the image's alt text", json_body=metadata)
        return media_id

    def find(self, request: PublishRequest) -> Published | None:
        """Look among the account's posts since the delivery was due (one page, replies and reposts left
        out) for the one this delivery made: parley.networks.look_first.x_post_is_ours."""
        user_id = self._own_user_id()
        not_before = request.due_at - FIND_MARGIN
        params = {
            "max_results": str(RECENT_POSTS),
            "start_time": not_before.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "exclude": "replies,retweets",
            **FIND_FIELDS,
        }
        body = self._call("GET", f"/2/users/{user_id}/tweets", doing="look for the post", params=params)
        media = look_first.x_media_by_key(body)
        for post in _list(body.get("data")):
            if not isinstance(post, dict) or not look_first.x_post_is_ours(post, request, media, not_before):
                continue
            post_id = str(post.get("id") or "")
            if not post_id:
                continue
            return Published(
                remote_id=post_id,
                url=post_url(post_id),
                acknowledged_at=created_at_of(post_id) or self._clock.now(),
                already_there=True,
            )
        return None

    # -- tokens ------------------------------------------------------------------------------------------

    def _own_user_id(self) -> str:
        if self._user_id is None:
            self.verify(self._credential)
        assert self._user_id is not None
        return self._user_id

    def _stored(self) -> dict[str, str]:
        if self._session is None:
            stored = self._sessions.load() if self._sessions is not None else None
            self._session = dict(stored) if stored and stored.get("access_token") else {}
        return self._session

    def _access_token(self) -> str:
        stored = self._stored()
        expires_at = network_time(stored.get("expires_at"), naive_is_utc=True)
        if (
            stored.get("refresh_token")
            and expires_at is not None
            and self._client is not None
            and self._clock.now() >= expires_at - TOKEN_EARLY
        ):
            return self._refresh(stored["access_token"])
        return stored.get("access_token") or self._credential.secret

    def _refresh(self, refused: str) -> str:
        """Renew the token (unless another invocation already did); returns the token to use."""
        assert self._client is not None
        latest = dict(self._sessions.load() or {}) if self._sessions is not None else {}
        if latest.get("access_token") and latest["access_token"] != refused:
            self._session = latest
            return latest["access_token"]
        refresh = (latest or self._stored()).get("refresh_token")
        if not refresh:
            raise InvalidCredential("X no longer accepts this channel's access token: connect the account again")
        logger.info("x: renewing the access token")
        try:
            tokens = refresh_tokens(self._client, refresh, http=self._http, clock=self._clock, timeout=self._timeout)
        except InvalidCredential:
            # The refresh schedule (parley.connect.upkeep) may have rotated the pair while this call was out:
            # then the refusal is of a used token, and the stored pair is the one to use.
            renewed = dict(self._sessions.load() or {}) if self._sessions is not None else {}
            if renewed.get("refresh_token") and renewed["refresh_token"] != refresh and renewed.get("access_token"):
                self._session = renewed
                return renewed["access_token"]
            raise
        session = tokens.as_session()
        self._session = session
        if self._sessions is not None:
            self._sessions.save(session)
        return tokens.access_token

    # -- HTTP ------------------------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        token: str | None = None,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """An authenticated call. A 401 is confirmed before the token is called dead (module docstring)."""
        used = token or self._access_token()
        try:
            return self._send(method, path, token=used, doing=doing, params=params, json_body=json_body)
        except _Unauthorized:
            pass
        if token is None and self._client is not None and self._stored().get("refresh_token"):
            renewed = self._refresh(used)
            try:
                return self._send(method, path, token=renewed, doing=doing, params=params, json_body=json_body)
            except _Unauthorized:
                raise InvalidCredential("X refused a freshly renewed access token: connect the account again") from None
        # No way to renew: ask X once more who the token belongs to. A second 401 means it is dead.
        try:
            self._send("GET", "/2/users/me", token=used, doing="check the access token")
        except _Unauthorized:
            raise InvalidCredential(_DEAD_TOKEN) from None
        raise TransientNetworkError(f"X refused the access token once but accepts it now (trying to {doing})")

    def _send(
        self,
        method: str,
        path: str,
        *,
        token: str,
        doing: str,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        url = f"{(self._credential.service_url or API_BASE).rstrip('/')}{path}"
        headers = {"Accept": "application/json", "User-Agent": "parley", "Authorization": f"Bearer {token}"}
        try:
            response = self._http.request(
                method, url, params=params, json=json_body, headers=headers, timeout=self._timeout
            )
        except requests.Timeout:
            raise TransientNetworkError(f"X did not answer in time (trying to {doing})") from None
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema):
            raise PermanentNetworkError("The X API address of this channel is not valid") from None
        except requests.RequestException:
            raise TransientNetworkError(f"X could not be reached (trying to {doing})") from None
        if response.ok:
            body = _json(response)
            if not body:
                raise TransientNetworkError(f"X answered with something unexpected (trying to {doing})")
            return body
        if response.status_code == 401:
            raise _Unauthorized()
        self._fail(response, doing)

    def _fail(self, response: requests.Response, doing: str) -> NoReturn:
        raise classify(response, doing, self._clock.now())

    def _find_quietly(self, request: PublishRequest) -> Published | None:
        try:
            return self.find(request)
        except NetworkError:
            return None

    # -- listening (parley.listening.x reads the answers) -----------------------------------------------------

    def get_json(self, path: str, params: dict[str, str] | None = None, *, doing: str) -> dict[str, Any]:
        """An authenticated GET; errors as for publishing (429 -> RateLimited with the reset time)."""
        return self._call("GET", path, doing=doing, params=params)

    def post_json(self, path: str, body: dict[str, Any], *, doing: str) -> dict[str, Any]:
        return self._call("POST", path, doing=doing, json_body=body)

    def user_id(self) -> str:
        """The X user id the token belongs to (the credential's identifier, else `GET /2/users/me`)."""
        return self._own_user_id()


def classify(response: requests.Response, doing: str, now: datetime | None = None) -> NetworkError:
    """The error a failed X answer (other than 401, which needs confirming) means."""
    status = response.status_code
    detail = _detail(_json(response))
    if status == 429:
        return RateLimited(f"X's rate limit was reached (trying to {doing})", retry_at=retry_at(response, now))
    if status >= 500:
        return TransientNetworkError(f"X is having trouble: HTTP {status} (trying to {doing})")
    if status == 401:
        return InvalidCredential("X no longer accepts this channel's access token: connect the account again")
    if status == 403:
        lowered = detail.lower()
        if "suspended" in lowered or "locked" in lowered:
            return InvalidCredential(f"X refused this account: {detail}")
        if "duplicate" in lowered:
            return PermanentNetworkError(f"X refused a duplicate post: {detail}")
        return PermanentNetworkError(f"X refused to {doing}: {detail or 'forbidden'}")
    return PermanentNetworkError(f"X refused to {doing}: {detail or f'HTTP {status}'}")


def retry_at(response: requests.Response, now: datetime | None = None) -> datetime | None:
    """`x-rate-limit-reset` is the Unix time the window resets (a user's 24-hour post cap has its own
    `x-user-limit-24hour-reset`, preferred when that one is exhausted); never later than
    parley.networks.boundary allows from `now` (the system clock when not given)."""
    now = now or get_clock().now()
    headers = response.headers
    if (headers.get("x-user-limit-24hour-remaining") or "").strip() == "0":
        reset = boundary.at_epoch(headers.get("x-user-limit-24hour-reset"), now)
        if reset is not None:
            return reset
    return boundary.at_epoch(headers.get("x-rate-limit-reset"), now)


def comparable_text(text: str) -> str:
    """What is left to compare of a post once X has had it: entities decoded, every link (X shortens them
    to t.co) reduced to a placeholder, whitespace collapsed."""
    return look_first.links_as_placeholders(text)


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return _dict(body)


def _detail(body: dict[str, Any]) -> str:
    for key in ("detail", "title", "error_description", "error"):
        if isinstance(body.get(key), str) and body[key]:
            return str(body[key])
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return boundary.peer_text(errors[0].get("message") or errors[0].get("detail"))
    return ""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
