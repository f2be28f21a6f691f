"""Connecting an X account: OAuth 2.0 authorization code with PKCE (RFC 7636, S256).

1. `begin` (GET /channels/x/connect, a writer's bearer token): a random `state` and PKCE code verifier are
   kept for names.OAUTH_STATE_SECONDS in the oauth-states table (keyed by the state's SHA-256), bound to the
   caller's browser (parley.connect.states), and the caller gets X's authorization URL for parley's app
   (`parley.connect.x_app`) and parley's own link to it (`connect_url`).
2. `open_consent` (GET /channels/x/consent, public, once): the browser opening that link is bound to the
   state instead and sent on to X: how a caller whose cookies reach no browser (curl) hands the flow to one.
3. The person approves on X; X sends their browser to the callback (GET /channels/x/callback, public: the
   state and the browser's cookie are the proof). `complete` uses the state once, only from its browser (a
   conditional delete), trades the code for tokens at X's token endpoint (Basic auth for a confidential
   client), asks X who the account is (GET /2/users/me, through `channels.connect`, which also re-activates an
   account connected before), keeps the tokens in SSM and arms the channel's token refresh
   (`parley.connect.upkeep`).

Every refusal is a `ConnectFailed` naming the reason; nothing is written before the state is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests

from parley.connect import channels, x_app
from parley.connect.base import ConnectFailed
from parley.connect.states import Starter, code_challenge, open_state, remember_state, starter, use_state
from parley.connect.upkeep import store_x_tokens
from parley.networks.base import Credential
from parley.networks.x import TOKEN_PATH, XTokens, retry_at
from parley.scheduling.tokens import TokenScheduler
from parley.shared import clock
from parley.shared.config import Settings
from parley.shared.errors import Conflict, FieldProblem, Forbidden, ValidationFailed
from parley.shared.timeparse import zone
from parley.store import ChannelRecord
from parley.team.members import Principal, Role

# offline.access: a refresh token, so parley can keep the channel alive without the person.
SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access")
CALLBACK_PATH = "/channels/x/callback"
CONSENT_PATH = "/channels/x/consent"
START_AGAIN = "start again with GET /channels/x/connect"
AN_X_ACCOUNT = "an X account"
NO_APP = f"parley's X app is not configured: an operator runs `{x_app.SET_APP_COMMAND}`"


def callback_url(public_base_url: str) -> str:
    return public_base_url.rstrip("/") + CALLBACK_PATH


# -- 1. begin ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    authorization_url: str
    state: str
    expires_at: datetime
    browser: str  # the caller's browser-binding secret (its cookie)


def _app(settings: Settings) -> x_app.XApp:
    app = x_app.load_app(settings.parameter_prefix)
    if app is None:
        raise Conflict(NO_APP)
    return app


def begin(principal: Principal, settings: Settings, public_base_url: str, time_zone: str = "UTC") -> Pending:
    principal.require(Role.EDITOR)
    zone(time_zone)
    app = _app(settings)
    redirect_uri = callback_url(public_base_url)
    remembered = remember_state(principal, network="x", scopes=SCOPES, redirect_uri=redirect_uri, time_zone=time_zone)
    url = authorization_url(app, state=remembered.state, verifier=remembered.verifier, redirect_uri=redirect_uri)
    return Pending(url, remembered.state, remembered.expires_at, remembered.browser)


# -- 2. the consent link (connect_url) ------------------------------------------------------------------------


@dataclass(frozen=True)
class Opened:
    authorization_url: str
    browser: str  # the opening browser's binding secret (its cookie)
    max_age: int  # seconds the state has left


def open_consent(settings: Settings, state: str) -> Opened:
    """The consent link opened in a browser: the state is bound to it (once) and it goes on to X."""
    app = x_app.load_app(settings.parameter_prefix)
    if app is None:
        raise ConnectFailed(409, "app", NO_APP)
    opened = open_state(state, "x", AN_X_ACCOUNT, START_AGAIN)
    pending = opened.record
    url = authorization_url(app, state=state, verifier=pending.code_verifier, redirect_uri=pending.redirect_uri)
    return Opened(url, opened.browser, opened.max_age)


def authorization_url(app: x_app.XApp, *, state: str, verifier: str, redirect_uri: str) -> str:
    """X's consent page for parley's app, with the S256 challenge of `verifier` (never the verifier)."""
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(SCOPES),
        "state": state,
        "code_challenge": code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    return f"{app.authorize_url}?{urlencode(query)}"


# -- 3. the callback -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Finished:
    channel: ChannelRecord
    created: bool  # False: the account was connected before (re-activated)
    started_by: Starter  # who connected it, into which workspace (the callback page says so)


def complete(
    settings: Settings,
    scheduler: TokenScheduler,
    *,
    state: str,
    browser: str | None,
    code: str | None,
    error: str | None,
) -> Finished:
    """Finish a connection, from the browser the state is bound to (`browser`: its cookie)."""
    pending = use_state(state, "x", AN_X_ACCOUNT, browser, START_AGAIN)
    if error:
        if error == "access_denied":
            reason = "access_denied: the authorization was declined on X; nothing was connected"
            raise ConnectFailed(400, "error", reason)
        raise ConnectFailed(400, "error", f"X answered {error!r} instead of an authorization code; {START_AGAIN}")
    if not code:
        raise ConnectFailed(400, "code", f"is missing; {START_AGAIN}")
    started_by = starter(pending)
    app = x_app.load_app(settings.parameter_prefix)
    if app is None:
        raise ConnectFailed(409, "app", NO_APP)

    tokens = exchange_code(app, code=code, verifier=pending.code_verifier, redirect_uri=pending.redirect_uri)
    credential = Credential("", tokens.access_token, app.api_base)
    try:
        record, created = channels.connect(started_by.principal, settings, "x", credential, pending.time_zone)
    except Forbidden as exc:
        raise ConnectFailed(403, "state", f"was issued to a member who may no longer connect accounts: {exc}") from exc
    except ValidationFailed as exc:
        problem = exc.problems[0] if exc.problems else FieldProblem("code", "was refused")
        if problem.field == "service_url":  # GET /2/users/me did not answer: nothing is wrong with the code
            raise ConnectFailed(424, "code", f"{problem.reason}; {START_AGAIN}") from exc
        raise ConnectFailed(400, "code", f"X gave a token it does not accept itself: {problem.reason}") from exc
    store_x_tokens(record, tokens, scheduler)
    return Finished(record, created, started_by)


def exchange_code(app: x_app.XApp, *, code: str, verifier: str, redirect_uri: str, timeout: float = 10) -> XTokens:
    """POST /2/oauth2/token, grant_type=authorization_code, with the PKCE verifier."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        "client_id": app.client_id,
    }
    auth = (app.client_id, app.client_secret) if app.client_secret else None
    now = clock.now()
    try:
        response = requests.post(
            f"{app.api_base.rstrip('/')}{TOKEN_PATH}",
            data=form,
            auth=auth,
            headers={"Accept": "application/json", "User-Agent": "parley"},
            timeout=timeout,
        )
    except requests.RequestException:
        raise ConnectFailed(424, "code", f"X could not be reached to finish the connection; {START_AGAIN}") from None
    body = _json(response)
    if response.ok and isinstance(body.get("access_token"), str):
        expires_in = body.get("expires_in")
        refresh = body.get("refresh_token")
        return XTokens(
            access_token=body["access_token"],
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=now + timedelta(seconds=expires_in) if isinstance(expires_in, int) else None,
            scope=str(body.get("scope") or ""),
        )
    status = response.status_code
    if status == 429:
        reset = retry_at(response)
        when = f" after {reset.isoformat()}" if reset else " in a few minutes"
        raise ConnectFailed(429, "code", f"X's rate limit was reached; start again{when}")
    if status >= 500 or response.ok:
        raise ConnectFailed(424, "code", f"X had trouble finishing the connection (HTTP {status}); {START_AGAIN}")
    if body.get("error") == "invalid_client" or status == 401:
        reason = f"X refused parley's app credentials: an operator checks them and runs `{x_app.SET_APP_COMMAND}`"
        raise ConnectFailed(409, "app", reason)
    description = str(body.get("error_description") or body.get("error") or f"HTTP {status}")
    raise ConnectFailed(400, "code", f"X refused the authorization code ({description}); {START_AGAIN}")


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
