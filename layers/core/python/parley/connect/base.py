"""What every OAuth provider module describes, and the small HTTP helpers they share.

A provider is data plus three functions: `exchange` (the authorization code -> the tokens parley keeps,
including any long-lived exchange), `read_account` (who the account is, and the credential an adapter uses:
`Credential(identifier=the account/page/organization id or URN, secret=its token, service_url=the API base)`)
and `renew` (the stored session -> a renewed one, for networks whose tokens can be renewed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import requests

from parley.connect.apps import OAuthApp
from parley.networks.base import (
    Credential,
    InvalidCredential,
    NetworkError,
    PermanentNetworkError,
    TransientNetworkError,
)
from parley.shared.timeparse import network_time

__all__ = ["ConnectFailed"]


class ConnectFailed(Exception):
    """The callback could not connect the account: `status` (4xx), the `field` and the `reason`.
    `state_used`: this request used the pending state up (its browser's cookie is spent too); False when it
    was refused before that (unknown, expired, another browser), leaving any state as it was."""

    def __init__(self, status: int, field: str, reason: str, *, state_used: bool = True) -> None:
        super().__init__(f"{field}: {reason}")
        self.status = status
        self.field = field
        self.reason = reason
        self.state_used = state_used


class Renewal(StrEnum):
    """How a network's tokens stay alive (parley.connect.upkeep)."""

    NEVER_EXPIRES = "never_expires"  # nothing to renew (a Facebook Page token from a long-lived user token)
    REFRESH_TOKEN = "refresh_token"  # a refresh token, when the network granted one; else REAUTH_BEFORE_EXPIRY
    REFRESH_ACCESS_TOKEN = "refresh_access_token"  # a long-lived token renews itself (Instagram, Threads)
    REAUTH_BEFORE_EXPIRY = "reauth_before_expiry"  # no way to renew: needs_reauth shortly before expiry


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_at: datetime | None = None
    refresh_token: str | None = None
    refresh_expires_at: datetime | None = None
    scope: str = ""
    user_id: str = ""  # some token endpoints say whose token it is (Instagram, Threads)

    def as_session(self) -> dict[str, str]:
        session = {"access_token": self.access_token, "scope": self.scope}
        if self.expires_at is not None:
            session["expires_at"] = self.expires_at.isoformat()
        if self.refresh_token:
            session["refresh_token"] = self.refresh_token
        if self.refresh_expires_at is not None:
            session["refresh_expires_at"] = self.refresh_expires_at.isoformat()
        return session

    @classmethod
    def from_session(cls, session: Mapping[str, str]) -> Tokens:
        return cls(
            access_token=session["access_token"],
            expires_at=network_time(session.get("expires_at"), naive_is_utc=True),
            refresh_token=session.get("refresh_token") or None,
            refresh_expires_at=network_time(session.get("refresh_expires_at"), naive_is_utc=True),
            scope=session.get("scope", ""),
        )


@dataclass(frozen=True)
class Connected:
    """The account behind the tokens: what the channel shows and what the adapters use."""

    handle: str
    remote_id: str
    credential: Credential
    tokens: Tokens  # the token in `credential.secret`, with its expiry and refresh token (the session)


Options = Mapping[str, str]


@dataclass(frozen=True)
class Provider:
    network: str
    title: str  # how people name it: "LinkedIn"
    docs: str  # the page the flow was shaped from
    authorize_url: str
    scopes: Callable[[Options], tuple[str, ...]]
    exchange: Callable[[OAuthApp, str, str, str], Tokens]  # (app, code, redirect_uri, PKCE verifier)
    read_account: Callable[[OAuthApp, Tokens, Options], Connected]
    renewal: Renewal
    renew: Callable[[OAuthApp, Mapping[str, str], datetime], Tokens] | None = None
    pkce: bool = False
    scope_separator: str = " "
    options: tuple[str, ...] = ()  # query parameters GET /channels/{network}/connect accepts
    refresh_margin: timedelta = timedelta(days=7)  # renew (or warn) this long before the token expires
    extra_authorize: Mapping[str, str] = field(default_factory=dict)

    @property
    def start_again(self) -> str:
        return f"start again with GET /channels/{self.network}/connect"


# -- HTTP ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    ok: bool


class Unreachable(Exception):
    """The network did not answer (timeout, connection refused)."""


def call(
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    data: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> Answer:
    try:
        response = requests.request(
            method,
            url,
            params=params,
            data=data,
            headers={"Accept": "application/json", "User-Agent": "parley", **(headers or {})},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        raise Unreachable(str(type(exc).__name__)) from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    return Answer(response.status_code, body if isinstance(body, dict) else {"data": body}, response.ok)


def expiry(now: datetime, seconds: object) -> datetime | None:
    return now + timedelta(seconds=seconds) if isinstance(seconds, int) and seconds > 0 else None


def error_text(answer: Answer) -> str:
    """The network's own words: OAuth's `error_description`/`error`, or the Graph API's `error.message`."""
    error = answer.body.get("error")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("type") or f"HTTP {answer.status}")
    return str(answer.body.get("error_description") or error or answer.body.get("message") or f"HTTP {answer.status}")


def _graph_code(answer: Answer) -> int | None:
    error = answer.body.get("error")
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, int) else None


# Graph API error codes (https://developers.facebook.com/docs/graph-api/guides/error-handling): 190 an
# invalid or expired token; 4, 17, 32, 613 rate limits; 1 and 101 a bad app id or secret.
GRAPH_TOKEN_INVALID = 190
GRAPH_RATE_LIMITS = (4, 17, 32, 613)
GRAPH_APP_ERRORS = (1, 101)


def refused_app(answer: Answer) -> bool:
    if answer.body.get("error") == "invalid_client" or _graph_code(answer) in GRAPH_APP_ERRORS:
        return True
    return answer.status == 401 and _graph_code(answer) is None and answer.body.get("error") != "invalid_token"


def rate_limited(answer: Answer) -> bool:
    return answer.status == 429 or _graph_code(answer) in GRAPH_RATE_LIMITS


def connect_failure(provider: Provider, answer: Answer, doing: str) -> ConnectFailed:
    """A refused call while connecting: what the person (or the operator) does about it."""
    if rate_limited(answer):
        return ConnectFailed(429, "code", f"{provider.title}'s rate limit was reached ({doing}); start again later")
    if answer.status >= 500 or answer.ok:
        reason = f"{provider.title} had trouble {doing} (HTTP {answer.status}); {provider.start_again}"
        return ConnectFailed(424, "code", reason)
    if refused_app(answer):
        reason = (
            f"{provider.title} refused parley's app credentials ({error_text(answer)}): an operator checks them "
            f"and runs `parley admin set-app {provider.network}`"
        )
        return ConnectFailed(409, "app", reason)
    return ConnectFailed(
        400, "code", f"{provider.title} refused {doing} ({error_text(answer)}); {provider.start_again}"
    )


def unreachable(provider: Provider, doing: str) -> ConnectFailed:
    return ConnectFailed(424, "code", f"{provider.title} could not be reached ({doing}); {provider.start_again}")


def renew_failure(provider: Provider, answer: Answer) -> NetworkError:
    """A refused renewal: only the network refusing the channel's own token means reconnecting."""
    if rate_limited(answer) or answer.status >= 500 or answer.ok:
        return TransientNetworkError(f"{provider.title} could not renew the token now (HTTP {answer.status})")
    if refused_app(answer):
        return PermanentNetworkError(f"{provider.title} refused parley's app credentials when renewing a token")
    return InvalidCredential(
        f"{provider.title} no longer accepts this channel's authorization ({error_text(answer)}): connect it again"
    )


def renew_call(provider: Provider, method: str, url: str, **kwargs: Any) -> Answer:
    try:
        return call(method, url, **kwargs)
    except Unreachable:
        raise TransientNetworkError(f"{provider.title} could not be reached (trying to renew the token)") from None


def connect_call(provider: Provider, doing: str, method: str, url: str, **kwargs: Any) -> Answer:
    """A call while connecting that must succeed."""
    try:
        answer = call(method, url, **kwargs)
    except Unreachable:
        raise unreachable(provider, doing) from None
    if not answer.ok:
        raise connect_failure(provider, answer, doing)
    return answer


def code_form(app: OAuthApp, code: str, redirect_uri: str) -> dict[str, str]:
    """The authorization code grant with the client's id and secret in the form (RFC 6749, 4.1.3 and 2.3.1),
    as LinkedIn, Instagram and Threads document it."""
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }


def long_lived_token(provider: Provider, api: str, grant_type: str, client_secret: str, short: str) -> dict[str, Any]:
    """Meta's exchange of a short-lived token for a long-lived (60-day) one: `GET {api}/access_token` with
    `ig_exchange_token` (Instagram) or `th_exchange_token` (Threads)."""
    query = {"grant_type": grant_type, "client_secret": client_secret, "access_token": short}
    body = dict(
        connect_call(provider, "the long-lived token exchange", "GET", f"{api}/access_token", params=query).body
    )
    if not isinstance(body.get("access_token"), str):
        raise ConnectFailed(
            424, "code", f"{provider.title} answered without a long-lived token; {provider.start_again}"
        )
    return body


def refresh_long_lived_token(
    provider: Provider, api: str, grant_type: str, session: Mapping[str, str], now: datetime
) -> Tokens:
    """Meta's refresh of a long-lived token that has not expired: `GET {api}/refresh_access_token` with
    `ig_refresh_token` (Instagram) or `th_refresh_token` (Threads); another 60 days from now."""
    query = {"grant_type": grant_type, "access_token": session["access_token"]}
    answer = renew_call(provider, "GET", f"{api}/refresh_access_token", params=query)
    if not answer.ok or not isinstance(answer.body.get("access_token"), str):
        raise renew_failure(provider, answer)
    return Tokens(
        answer.body["access_token"],
        expires_at=expiry(now, answer.body.get("expires_in")),
        scope=session.get("scope", ""),
    )
