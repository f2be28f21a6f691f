"""Bluesky: posts are `app.bsky.feed.post` records written to the account's PDS over XRPC.

Exactly once: the record key is a TID derived from the delivery (`tid.for_delivery`), so a repeated
attempt asks for the same key and the PDS cannot hold two posts for one delivery.

Sessions: `createSession` is rate-limited per account (a few hundred a day), so a session is opened once
and reused: kept in memory, saved to the channel's SessionStore, refreshed with its refresh token when
the access token expires, and only re-created when the refresh token is no longer accepted.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, NoReturn

import regex
import requests

from parley.networks import boundary, richtext, tid
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
from parley.networks.boundary import guarded
from parley.shared import outbound_requests
from parley.shared.clock import Clock, get_clock
from parley.shared.errors import FieldProblem
from parley.shared.timeparse import network_time

logger = logging.getLogger(__name__)

NETWORK = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
MAX_BYTES = 3000
APP_URL = "https://bsky.app"
IMAGES_EMBED = "app.bsky.embed.images"
EXTERNAL_EMBED = "app.bsky.embed.external"
# How deep a conversation is read: a thread of parley's (26 parts, each a level: docs/threads.md) and replies a
# few levels under its last part (getPostThread takes up to 1000).
THREAD_DEPTH = 32

# XRPC error names that mean "this access (or refresh) token is no longer good".
_TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"})
_SESSION_KEYS = ("accessJwt", "refreshJwt", "did", "handle")


def check_text(text: str) -> list[FieldProblem]:
    """Queue-time rules for a Bluesky post's text: 300 graphemes and 3000 UTF-8 bytes at most."""
    if not text.strip():
        return [FieldProblem("text", "is empty; a Bluesky post needs some text")]
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return [FieldProblem("text", "contains characters that are not valid Unicode (lone surrogates)")]
    problems = []
    graphemes = len(regex.findall(r"\X", text))
    if graphemes > MAX_GRAPHEMES:
        problems.append(FieldProblem("text", f"{graphemes} graphemes; Bluesky allows at most {MAX_GRAPHEMES}"))
    if size > MAX_BYTES:
        problems.append(FieldProblem("text", f"{size} bytes in UTF-8; Bluesky allows at most {MAX_BYTES}"))
    return problems


def record_key(request: PublishRequest) -> str:
    """The post's record key: the same for every attempt at one delivery."""
    return tid.for_delivery(request.delivery_id, request.due_at)


def post_url(handle: str, rkey: str) -> str:
    return f"{APP_URL}/profile/{handle}/post/{rkey}"


class _AuthFailed(Exception):
    """Internal: the token (or the password) was refused; the caller decides what to try next."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(error)
        self.error = error
        self.message = message


@guarded("Bluesky")
class BlueskyAdapter:
    network = NETWORK

    def __init__(
        self,
        credential: Credential,
        sessions: SessionStore,
        clock: Clock | None = None,
        http: requests.Session | None = None,
        timeout: float = 10,
    ) -> None:
        self._credential = credential
        self._sessions = sessions
        self._clock = clock or get_clock()
        # The channel chose this server: every request passes the outbound fetcher's rules (issue 15 item 2).
        self._http = http or outbound_requests.session()
        self._timeout = timeout
        self._session: dict[str, str] | None = None  # the in-process copy of the stored session

    # -- the Adapter interface -------------------------------------------------------------------------

    def check_text(self, text: str) -> list[FieldProblem]:
        return check_text(text)

    def verify(self, credential: Credential) -> Account:
        """Log in with the password (always: verifying a stored session would not test the password)."""
        session = self._create_session(credential)
        if credential == self._credential:
            self._keep(session)
        return Account(handle=session["handle"], remote_id=session["did"])

    def publish(self, request: PublishRequest) -> Published:
        if request.look_first:
            found = self.find(request)
            if found is not None:
                return found
        rkey = record_key(request)
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": request.text,
            "createdAt": _iso(self._clock.now()),
        }
        facets = richtext.build_facets(request.text, self._resolve_handle, links=request.links)
        if facets:
            record["facets"] = facets
        embed = self._embed(request)  # blobs first: content-addressed, so a repeat upload is harmless
        if embed:
            record["embed"] = embed
        try:
            body = self._call(
                "POST",
                "com.atproto.repo.createRecord",
                json_body={
                    "repo": self._did(),
                    "collection": POST_COLLECTION,
                    "rkey": rkey,
                    "record": record,
                },
                doing="publish the post",
            )
        except NetworkError as exc:
            # A duplicate key, or a write that landed before the answer was lost: look before failing.
            if _maybe_written(exc):
                found = self._find_quietly(request)
                if found is not None:
                    return found
            raise
        acknowledged_at = self._clock.now()
        return Published(
            remote_id=_uri(body, "publish the post"),
            url=post_url(self._handle(), rkey),
            acknowledged_at=acknowledged_at,
            cid=str(body.get("cid") or ""),
        )

    def find(self, request: PublishRequest) -> Published | None:
        rkey = record_key(request)
        params = {"repo": self._did(), "collection": POST_COLLECTION, "rkey": rkey}
        try:
            body = self._call("GET", "com.atproto.repo.getRecord", params=params, doing="look for the post", read=True)
        except _NotThere:
            return None
        created = network_time(_dict(body.get("value")).get("createdAt"))
        return Published(
            remote_id=_uri(body, "look for the post"),
            url=post_url(self._handle(), rkey),
            # Its own createdAt (our clock when it was sent) says best when it went out.
            acknowledged_at=created or self._clock.now(),
            already_there=True,
            cid=str(body.get("cid") or ""),
        )

    # -- listening and answering (parley.listening, parley.listening.inbox) ----------------------------------------

    def get_thread(self, uri: str, depth: int = THREAD_DEPTH) -> dict[str, Any] | None:
        """The post and the replies under it (None when the post is gone)."""
        params = {"uri": uri, "depth": str(depth), "parentHeight": "0"}
        try:
            body = self._call("GET", "app.bsky.feed.getPostThread", params=params, doing="read replies", read=True)
        except _NotThere:
            return None
        thread = body.get("thread")
        return thread if isinstance(thread, dict) and "post" in thread else None

    def search_posts(self, query: str, cursor: str | None = None, limit: int = 25) -> dict[str, Any]:
        """Newest first (`sort=latest`); a hashtag query is `#tag`."""
        params: dict[str, Any] = {"q": query, "sort": "latest", "limit": str(limit)}
        if cursor:
            params["cursor"] = cursor
        return self._call("GET", "app.bsky.feed.searchPosts", params=params, doing="search posts")

    def list_notifications(self, cursor: str | None = None, limit: int = 50) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": str(limit)}
        if cursor:
            params["cursor"] = cursor
        return self._call("GET", "app.bsky.notification.listNotifications", params=params, doing="read mentions")

    def reply(self, key: str, when: datetime, text: str, parent: tuple[str, str], root: tuple[str, str]) -> Published:
        """Answer `parent` (uri, cid) in the thread of `root`, exactly once per `key`: the record key is
        a TID derived from it, and we look before creating, as publishing does."""
        request = PublishRequest(delivery_id=key, text=text, due_at=when, look_first=True)
        found = self.find(request)
        if found is not None:
            return found
        rkey = record_key(request)
        record: dict[str, Any] = {
            "$type": POST_COLLECTION,
            "text": text,
            "createdAt": _iso(self._clock.now()),
            "reply": {"root": {"uri": root[0], "cid": root[1]}, "parent": {"uri": parent[0], "cid": parent[1]}},
        }
        facets = richtext.build_facets(text, self._resolve_handle)
        if facets:
            record["facets"] = facets
        body_json = {"repo": self._did(), "collection": POST_COLLECTION, "rkey": rkey, "record": record}
        try:
            body = self._call("POST", "com.atproto.repo.createRecord", json_body=body_json, doing="post the answer")
        except NetworkError as exc:
            if _maybe_written(exc):
                found = self._find_quietly(request)
                if found is not None:
                    return found
            raise
        return Published(
            remote_id=_uri(body, "post the answer"),
            url=post_url(self._handle(), rkey),
            acknowledged_at=self._clock.now(),
            cid=str(body.get("cid") or ""),
        )

    # -- images and link cards (docs/media.md) -----------------------------------------------------------

    def upload_blob(self, data: bytes, content_type: str) -> dict[str, Any]:
        """`com.atproto.repo.uploadBlob`: the blob reference to put in a record."""
        body = self._call(
            "POST", "com.atproto.repo.uploadBlob", data=data, content_type=content_type, doing="upload an image"
        )
        blob = body.get("blob")
        if not isinstance(blob, dict):
            raise TransientNetworkError("Bluesky answered the image upload with something unexpected")
        return blob

    def _embed(self, request: PublishRequest) -> dict[str, Any] | None:
        if request.images:
            images = []
            for image in request.images:
                entry: dict[str, Any] = {"alt": image.alt, "image": self.upload_blob(image.data, image.content_type)}
                if image.width and image.height:
                    entry["aspectRatio"] = {"width": image.width, "height": image.height}
                images.append(entry)
            return {"$type": IMAGES_EMBED, "images": images}
        card = request.link_card
        if card is None:
            return None
        external: dict[str, Any] = {"uri": card.url, "title": card.title, "description": card.description}
        if card.thumbnail is not None:
            try:
                external["thumb"] = self.upload_blob(card.thumbnail.data, card.thumbnail.content_type)
            except PermanentNetworkError as exc:
                if isinstance(exc, InvalidCredential):
                    raise
                logger.info("bluesky refused the card's thumbnail (%s): a card without it", exc.reason)
        return {"$type": EXTERNAL_EMBED, "external": external}

    # -- sessions ----------------------------------------------------------------------------------------

    def _did(self) -> str:
        return self._current_session()["did"]

    def _handle(self) -> str:
        return self._current_session()["handle"]

    def _current_session(self) -> dict[str, str]:
        if self._session is None:
            stored = self._load_stored()
            self._session = stored if stored is not None else self._open_session()
        return self._session

    def _load_stored(self) -> dict[str, str] | None:
        stored = self._sessions.load()
        if not stored or any(not stored.get(key) for key in _SESSION_KEYS):
            return None
        # A session of another account or server (the channel was reconnected) is not ours to use.
        if stored.get("identifier") != self._credential.identifier:
            return None
        if stored.get("service_url") != _base(self._credential.service_url):
            return None
        return dict(stored)

    def _open_session(self) -> dict[str, str]:
        session = self._create_session(self._credential)
        self._keep(session)
        return session

    def _keep(self, session: dict[str, str]) -> None:
        self._session = session
        self._sessions.save(session)

    def _renew_session(self, refused: dict[str, str]) -> None:
        """The access token of `refused` was turned down: find or make a session that works."""
        stored = self._load_stored()
        if stored is not None and stored["accessJwt"] != refused["accessJwt"]:
            self._session = stored  # another invocation renewed it already
            return
        try:
            body = self._xrpc("POST", "com.atproto.server.refreshSession", token=refused["refreshJwt"], doing="sign in")
        except _AuthFailed as exc:
            logger.info("bluesky refresh token refused (%s); logging in again", exc.error)
            self._open_session()
            return
        except PermanentNetworkError as exc:
            if isinstance(exc, InvalidCredential):
                raise  # taken down or deactivated: a new login will not help either
            logger.info("bluesky refresh refused; logging in again")
            self._open_session()
            return
        self._keep(self._session_from(body, self._credential))

    def _create_session(self, credential: Credential) -> dict[str, str]:
        logger.info("bluesky: opening a new session")
        try:
            body = self._xrpc(
                "POST",
                "com.atproto.server.createSession",
                base=credential.service_url,
                json_body={"identifier": credential.identifier, "password": credential.secret},
                doing="sign in",
            )
        except _AuthFailed as exc:
            raise InvalidCredential(_login_refused(exc.error, exc.message)) from None
        return self._session_from(body, credential)

    @staticmethod
    def _session_from(body: dict[str, Any], credential: Credential) -> dict[str, str]:
        try:
            session = {key: str(body[key]) for key in _SESSION_KEYS}
        except KeyError:
            raise TransientNetworkError("Bluesky answered the sign-in with something unexpected") from None
        session["identifier"] = credential.identifier
        session["service_url"] = _base(credential.service_url)
        return session

    # -- XRPC --------------------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        nsid: str,
        *,
        doing: str,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
        read: bool = False,
        data: bytes | None = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        """An authenticated call; a refused access token is renewed once, then the call is repeated."""
        session = self._current_session()
        try:
            return self._xrpc(
                method,
                nsid,
                params=params,
                json_body=json_body,
                token=session["accessJwt"],
                doing=doing,
                read=read,
                data=data,
                content_type=content_type,
            )
        except _AuthFailed:
            self._renew_session(session)
        token = self._current_session()["accessJwt"]
        try:
            return self._xrpc(
                method,
                nsid,
                params=params,
                json_body=json_body,
                token=token,
                doing=doing,
                read=read,
                data=data,
                content_type=content_type,
            )
        except _AuthFailed as exc:
            raise InvalidCredential(_login_refused(exc.error, exc.message)) from None

    def _resolve_handle(self, handle: str) -> str | None:
        try:
            body = self._xrpc(
                "GET",
                "com.atproto.identity.resolveHandle",
                params={"handle": handle},
                doing="resolve a mention",
                read=True,
            )
        except (_NotThere, _AuthFailed):
            return None  # no such account: the mention stays plain text
        did = body.get("did")
        return did if isinstance(did, str) and did.startswith("did:") else None

    def _find_quietly(self, request: PublishRequest) -> Published | None:
        try:
            return self.find(request)
        except NetworkError:
            return None

    def _xrpc(
        self,
        method: str,
        nsid: str,
        *,
        doing: str,
        base: str | None = None,
        params: dict[str, Any] | None = None,
        json_body: dict[str, Any] | None = None,
        token: str | None = None,
        read: bool = False,
        data: bytes | None = None,
        content_type: str | None = None,
    ) -> dict[str, Any]:
        """One XRPC request. `read`: a 4xx that is not about the token means "no such thing" (_NotThere).
        `data`: a raw body (a blob upload) of `content_type` instead of JSON."""
        url = f"{_base(base or self._credential.service_url)}/xrpc/{nsid}"
        headers = {"Accept": "application/json", "User-Agent": "parley"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if data is not None:
            headers["Content-Type"] = content_type or "application/octet-stream"
        try:
            response = self._http.request(
                method, url, params=params, json=json_body, data=data, headers=headers, timeout=self._timeout
            )
        except requests.Timeout:
            raise TransientNetworkError(f"Bluesky did not answer in time (trying to {doing})") from None
        except requests.ConnectionError:
            raise TransientNetworkError(f"Bluesky could not be reached (trying to {doing})") from None
        except boundary.ADDRESS_ERRORS as exc:
            raise PermanentNetworkError(f"The Bluesky server address of this channel is not usable: {exc}") from None
        except requests.RequestException as exc:
            raise TransientNetworkError(f"Bluesky could not be reached (trying to {doing})") from exc
        if response.ok:
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                raise TransientNetworkError(f"Bluesky answered with something unexpected (trying to {doing})")
            return body
        self._fail(response, doing, read)

    def _fail(self, response: requests.Response, doing: str, read: bool) -> NoReturn:
        """Turn an XRPC error answer into the error the caller acts on."""
        error, message = _error_of(response)
        status = response.status_code
        if status == 429:
            raise _RateLimited(
                f"Bluesky's rate limit was reached (trying to {doing})", retry_at=self._retry_at(response)
            )
        if status >= 500:
            raise TransientNetworkError(f"Bluesky is having trouble: HTTP {status} (trying to {doing})")
        # A suspended account is refused with 401 too, but no new token or login will change that.
        if error == "AccountTakedown":
            raise InvalidCredential("Bluesky has taken down this account")
        if error in ("AccountDeactivated", "RepoDeactivated"):
            raise InvalidCredential("This Bluesky account is deactivated")
        if status == 401 or error in _TOKEN_ERRORS:
            raise _AuthFailed(error, message)
        if read:
            raise _NotThere(message or error)
        detail = message or error or f"HTTP {status}"
        raise PermanentNetworkError(f"Bluesky refused to {doing}: {detail}")

    def _retry_at(self, response: requests.Response) -> datetime | None:
        """`ratelimit-reset` (a Unix time), else `retry-after`, within parley.networks.boundary's bounds."""
        now = self._clock.now()
        return boundary.at_epoch(response.headers.get("ratelimit-reset"), now) or boundary.retry_after(
            response.headers.get("retry-after"), now
        )


class _NotThere(Exception):
    """Internal: a read answered that there is no such record (or handle)."""


class _RateLimited(TransientNetworkError):
    """A 429: the request was turned away before it did anything."""


def _maybe_written(exc: NetworkError) -> bool:
    """After this failure of createRecord, the record may exist: a lost answer (timeout, 5xx: the PDS
    answers a duplicate key with a 500) or a refusal that names the duplicate."""
    if isinstance(exc, TransientNetworkError):
        return not isinstance(exc, _RateLimited)
    return "already exist" in exc.reason.lower()


def _error_of(response: requests.Response) -> tuple[str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return boundary.peer_text(body.get("error")), boundary.peer_text(body.get("message"))


def _login_refused(error: str, message: str) -> str:
    if error == "AuthFactorTokenRequired":
        return "Bluesky asks this account for an emailed sign-in code: connect it with an app password"
    if "password" in message.lower() or error == "AuthenticationRequired":
        return "Bluesky did not accept the handle and app password: check them, or create a new app password"
    return "Bluesky no longer accepts this channel's sign-in: connect the account again"


def _uri(body: dict[str, Any], doing: str) -> str:
    """The record's at:// URI in a createRecord or getRecord answer (a PDS that leaves it out may still have
    written the record: transient, and the retry looks first)."""
    uri = body.get("uri")
    if not isinstance(uri, str) or not uri.startswith("at://"):
        raise TransientNetworkError(f"Bluesky answered without the post's address (trying to {doing})")
    return uri


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _base(url: str) -> str:
    return url.rstrip("/")


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
