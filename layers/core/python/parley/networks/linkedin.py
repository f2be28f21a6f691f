"""LinkedIn (versioned REST API): posts created with `POST /rest/posts` as a member or an organization.

Credential: `identifier` is the author's URN (`urn:li:person:...` or `urn:li:organization:...`), `secret`
the OAuth 2.0 access token (connect and token upkeep live elsewhere), `service_url` the API base
(https://api.linkedin.com unless a test says otherwise).

Pages this was shaped from (learn.microsoft.com/en-us/linkedin/...):
- Posts API: marketing/community-management/shares/posts-api (create: 201, the id in `x-restli-id`;
  find by author: `GET /rest/posts?q=author&author=...`).
- Images API: marketing/community-management/shares/images-api (`?action=initializeUpload`, PUT the bytes).
- MultiImage API: marketing/community-management/shares/multiimage-post-api (2 to 20 images).
- Versioning: marketing/versioning (`LinkedIn-Version: YYYYMM`; each version supported for at least one year).
- Protocol: shared/api-guide/concepts/protocol-version (`X-Restli-Protocol-Version: 2.0.0`, URNs URL-encoded).
- Rate limits: shared/api-guide/concepts/rate-limits (429; daily quotas reset at midnight UTC).
- Errors: shared/api-guide/concepts/error-handling (401 `REVOKED_ACCESS_TOKEN` / `EXPIRED_ACCESS_TOKEN`).
- Little text format: marketing/community-management/shares/little-text-format (reserved characters
  in `commentary` are escaped with a backslash, or LinkedIn drops the text after them).

Exactly once: LinkedIn takes no idempotency key. The caller records its intent first; a retry or a takeover
runs with `look_first`, and `find` looks at the author's recent posts for the same text.

A token renewed by token upkeep and kept in the channel's SessionStore (`access_token`) is used before
the credential's own. Tokens are never logged.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NoReturn
from urllib.parse import quote

import requests
from aws_lambda_powertools.metrics import MetricUnit, single_metric

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
from parley.networks.boundary import guarded
from parley.networks.token_adapter import TokenAdapter
from parley.shared.errors import FieldProblem
from parley.shared.names import APP, METRICS_NAMESPACE

logger = logging.getLogger(__name__)

NETWORK = "linkedin"
API_BASE = "https://api.linkedin.com"

# The one place the API version lives (marketing/versioning). LinkedIn supports a version for (at least)
# one year after its release month; parley warns (metric LinkedInVersionNearingEnd) in the last 60 days.
LINKEDIN_VERSION = "202607"
RESTLI_PROTOCOL_VERSION = "2.0.0"
VERSION_SUPPORT_MONTHS = 12
VERSION_WARNING = timedelta(days=60)

MAX_COMMENTARY = 3000  # Posts API: `commentary` is at most 3,000 characters
POST_URL = "https://www.linkedin.com/feed/update/{urn}/"
RECENT_POSTS = 50
FIND_MARGIN = timedelta(minutes=2)
_AUTHOR = re.compile(r"^urn:li:(person|organization):[A-Za-z0-9_-]+$")
_DUPLICATE = re.compile(r"duplicate of (urn:li:[a-zA-Z]+:\d+)")
# Little text reserved characters (little-text-format page).
_RESERVED = re.compile(r"([\\|{}@\[\]()<>#*_~])")
_SPACE = re.compile(r"\s+")


def headers(token: str) -> dict[str, str]:
    """Every LinkedIn call's headers: the version and protocol are set here and nowhere else."""
    return {
        "Authorization": f"Bearer {token}",
        "LinkedIn-Version": LINKEDIN_VERSION,
        "X-Restli-Protocol-Version": RESTLI_PROTOCOL_VERSION,
        "Accept": "application/json",
        "User-Agent": "parley",
    }


def version_end(version: str = LINKEDIN_VERSION) -> date:
    """The first day LinkedIn may refuse `version` (YYYYMM): its release month plus one year."""
    year, month = int(version[:4]), int(version[4:6])
    months = year * 12 + (month - 1) + VERSION_SUPPORT_MONTHS
    return date(months // 12, months % 12 + 1, 1)


def version_days_left(now: datetime, version: str = LINKEDIN_VERSION) -> int:
    return (datetime.combine(version_end(version), time(), UTC) - now).days


def warn_if_version_ending(now: datetime, version: str = LINKEDIN_VERSION) -> int | None:
    """Emit LinkedInVersionNearingEnd (value: days left) when the version is within 60 days of its end of
    support: time to move LINKEDIN_VERSION on. Returns the days left when it warned."""
    days = version_days_left(now, version)
    if days > VERSION_WARNING.days:
        return None
    logger.warning("LinkedIn API version %s nears its end of support: %d days left", version, days)
    with single_metric(
        name="LinkedInVersionNearingEnd",
        unit=MetricUnit.Count,
        value=max(days, 0),
        namespace=METRICS_NAMESPACE,
        default_dimensions={"service": APP, "version": version},
    ):
        pass
    return days


def check_text(text: str) -> list[FieldProblem]:
    """Queue-time rules for LinkedIn: some text, at most 3,000 characters of commentary."""
    if not text.strip():
        return [FieldProblem("text", "is empty; a post on LinkedIn needs some text")]
    if len(text) > MAX_COMMENTARY:
        return [FieldProblem("text", f"{len(text)} characters; LinkedIn allows at most {MAX_COMMENTARY}")]
    return []


def little_text(text: str) -> str:
    """The post's text as LinkedIn's little text: reserved characters escaped, so they show as written."""
    return _RESERVED.sub(r"\\\1", text)


def comparable_text(text: str) -> str:
    """What is left to compare of a commentary: escapes removed, whitespace collapsed."""
    return _SPACE.sub(" ", re.sub(r"\\(.)", r"\1", text)).strip()


def post_url(urn: str) -> str:
    return POST_URL.format(urn=urn)


def encoded(urn: str) -> str:
    """A URN as a path key (protocol 2.0: the whole key URL-encoded)."""
    return quote(urn, safe="")


class RateLimited(TransientNetworkError):
    """A 429: nothing was done; try again at `retry_at`."""


class Gone(PermanentNetworkError):
    """A 404: the post (or comment) is no longer there."""


@guarded("LinkedIn")
class LinkedInAdapter(TokenAdapter):
    network = NETWORK

    # -- the Adapter interface -------------------------------------------------------------------------

    def check_text(self, text: str) -> list[FieldProblem]:
        return check_text(text)

    def author(self) -> str:
        return self._credential.identifier

    def verify(self, credential: Credential) -> Account:
        """An organization: `GET /rest/organizations/{id}` (its name); a member: `GET /v2/userinfo`
        (OpenID Connect; its `sub` must be the member's id)."""
        author = credential.identifier.strip()
        match = _AUTHOR.match(author)
        if match is None:
            raise InvalidCredential("the author must be a LinkedIn URN: urn:li:person:<id> or urn:li:organization:<id>")
        kind, remote = match.group(1), author.rsplit(":", 1)[1]
        if kind == "organization":
            body = self._call("GET", f"/rest/organizations/{remote}", doing="check the token", token=credential.secret)
            name = str(body.get("vanityName") or body.get("localizedName") or remote)
            return Account(handle=name, remote_id=author)
        body = self._call("GET", "/v2/userinfo", doing="check the token", token=credential.secret)
        if str(body.get("sub") or "") != remote:
            raise InvalidCredential("the access token belongs to another LinkedIn member than the author given")
        return Account(handle=str(body.get("name") or remote), remote_id=author)

    def publish(self, request: PublishRequest) -> Published:
        warn_if_version_ending(self._clock.now())
        if request.look_first:
            found = self.find(request)
            if found is not None:
                return found
        post: dict[str, Any] = {
            "author": self.author(),
            "commentary": little_text(request.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        content = self._content(request)
        if content:
            post["content"] = content
        try:
            response = self._send("POST", "/rest/posts", doing="publish the post", json_body=post)
        except PermanentNetworkError as exc:
            duplicate = _DUPLICATE.search(exc.reason)
            if duplicate:  # LinkedIn names the post that has this content: ours, from an earlier attempt
                urn = duplicate.group(1)
                return Published(urn, post_url(urn), self._clock.now(), already_there=True)
            raise
        urn = response.headers.get("x-restli-id") or str(_json(response).get("id") or "")
        if not urn:
            raise TransientNetworkError("LinkedIn answered the post without its id")
        return Published(remote_id=urn, url=post_url(urn), acknowledged_at=self._clock.now())

    def _content(self, request: PublishRequest) -> dict[str, Any]:
        """Images (uploaded first; an upload a retry repeats is never attached) or the link's article."""
        if len(request.images) == 1:
            image = request.images[0]
            return {"media": {"id": self.upload_image(image), "altText": image.alt}}
        if request.images:
            return {"multiImage": {"images": [{"id": self.upload_image(i), "altText": i.alt} for i in request.images]}}
        card = request.link_card
        if card is None:
            return {}
        article: dict[str, Any] = {"source": card.url}
        if card.title:
            article["title"] = card.title
        if card.description:
            article["description"] = card.description
        if card.thumbnail is not None:
            article["thumbnail"] = self.upload_image(card.thumbnail)
        return {"article": article}

    def upload_image(self, image: Attachment) -> str:
        """Images API: initialize an upload owned by the author, PUT the bytes: the image URN."""
        body = _json(
            self._send(
                "POST",
                "/rest/images",
                doing="upload an image",
                params={"action": "initializeUpload"},
                json_body={"initializeUploadRequest": {"owner": self.author()}},
            )
        )
        value = _dict(body.get("value"))
        upload_url, urn = str(value.get("uploadUrl") or ""), str(value.get("image") or "")
        if not upload_url or not urn:
            raise TransientNetworkError("LinkedIn answered the image upload with something unexpected")
        try:
            put = self._http.put(
                upload_url,
                data=image.data,
                headers={"Authorization": f"Bearer {self._token()}", "Content-Type": image.content_type},
                timeout=self._timeout,
            )
        except requests.RequestException:
            raise TransientNetworkError("LinkedIn could not take the image's bytes") from None
        if not put.ok:
            raise classify(put, "upload an image", self._clock.now())
        return urn

    def find(self, request: PublishRequest) -> Published | None:
        """The author's recent posts (newest first), one created since the delivery was due with this text."""
        body = self.get_json(
            "/rest/posts",
            {"q": "author", "author": self.author(), "count": str(RECENT_POSTS), "sortBy": "LAST_MODIFIED"},
            doing="look for the post",
            extra_headers={"X-RestLi-Method": "FINDER"},
        )
        since_ms = (request.due_at - FIND_MARGIN).timestamp() * 1000
        wanted = comparable_text(request.text)
        for post in _list(body.get("elements")):
            if not isinstance(post, dict) or not post.get("id"):
                continue
            created = post.get("publishedAt") or post.get("createdAt")
            if isinstance(created, int) and created < since_ms:
                continue
            if comparable_text(str(post.get("commentary") or "")) != wanted:
                continue
            urn = str(post["id"])
            when = boundary.epoch_millis(created) or self._clock.now()
            return Published(remote_id=urn, url=post_url(urn), acknowledged_at=when, already_there=True)
        return None

    # -- HTTP (parley.listening.linkedin uses these too) --------------------------------------------------

    def get_json(
        self,
        path: str,
        params: dict[str, str] | None = None,
        *,
        doing: str,
        extra_headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        return self._call("GET", path, doing=doing, params=params, extra_headers=extra_headers)

    def post_json(self, path: str, body: dict[str, Any], *, doing: str) -> tuple[str, dict[str, Any]]:
        """A create: the new entity's id (`x-restli-id`) and the body, if any."""
        response = self._send("POST", path, doing=doing, json_body=body)
        return response.headers.get("x-restli-id") or "", _json(response)

    def _call(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        token: str | None = None,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        response = self._send(
            method, path, doing=doing, token=token, params=params, json_body=json_body, extra_headers=extra_headers
        )
        body = _json(response)
        if not body:
            raise TransientNetworkError(f"LinkedIn answered with something unexpected (trying to {doing})")
        return body

    def _send(
        self,
        method: str,
        path: str,
        *,
        doing: str,
        token: str | None = None,
        params: dict[str, str] | None = None,
        json_body: dict[str, Any] | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> requests.Response:
        url = f"{(self._credential.service_url or API_BASE).rstrip('/')}{path}"
        sent = headers(token or self._token()) | (extra_headers or {})
        try:
            response = self._http.request(
                method, url, params=params, json=json_body, headers=sent, timeout=self._timeout
            )
        except requests.Timeout:
            raise TransientNetworkError(f"LinkedIn did not answer in time (trying to {doing})") from None
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema):
            raise PermanentNetworkError("The LinkedIn API address of this channel is not valid") from None
        except requests.RequestException:
            raise TransientNetworkError(f"LinkedIn could not be reached (trying to {doing})") from None
        if response.ok:
            return response
        self._fail(response, doing)

    def _fail(self, response: requests.Response, doing: str) -> NoReturn:
        raise classify(response, doing, self._clock.now())


def classify(response: requests.Response, doing: str, now: datetime) -> NetworkError:
    """The error a failed LinkedIn answer means (error-handling and rate-limits pages)."""
    status = response.status_code
    body = _json(response)
    code = str(body.get("code") or "")
    message = boundary.peer_text(body.get("message"))
    if status == 401:
        what = {
            "REVOKED_ACCESS_TOKEN": "the member revoked parley's access",
            "EXPIRED_ACCESS_TOKEN": "the access token expired",
        }.get(code, "the access token is not valid")
        return InvalidCredential(f"LinkedIn refused this channel's token ({what}): connect the account again")
    if status == 429:
        return RateLimited(f"LinkedIn's rate limit was reached (trying to {doing})", retry_at=retry_at(response, now))
    if status >= 500:
        return TransientNetworkError(f"LinkedIn is having trouble: HTTP {status} (trying to {doing})")
    if status == 404:
        return Gone(f"LinkedIn has no such entity (trying to {doing})")
    if status == 426:
        return PermanentNetworkError(
            f"LinkedIn no longer serves API version {LINKEDIN_VERSION}: parley must be updated"
        )
    return PermanentNetworkError(f"LinkedIn refused to {doing}: {message or f'HTTP {status}'}")


def retry_at(response: requests.Response, now: datetime) -> datetime:
    """`Retry-After` when LinkedIn gives one (within parley.networks.boundary's bounds); else its daily
    quotas reset at midnight UTC."""
    after = boundary.retry_after(response.headers.get("Retry-After"), now)
    if after is not None:
        return after
    return datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), UTC)


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
