"""Connecting an X account: OAuth 2.0 authorization code with PKCE (RFC 7636, S256).

1. `begin` (GET /channels/x/connect, a writer's bearer token): a random `state` and PKCE code verifier are
   kept for names.OAUTH_STATE_SECONDS in the oauth-states table (keyed by the state's SHA-256), and the
   caller gets X's authorization URL for parley's app (`parley.x_app`).
2. The person approves on X; X sends their browser to the callback (GET /channels/x/callback, public: the
   state is the proof). `complete` uses the state once (a conditional delete), trades the code for tokens
   at X's token endpoint (Basic auth for a confidential client), asks X who the account is
   (GET /2/users/me, through `channels.connect`, which also re-activates an account connected before),
   keeps the tokens in SSM and arms the channel's token refresh (`parley.token_upkeep`).

Every refusal is a `ConnectFailed` naming the reason; nothing is written before the state is used.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from pynamodb.exceptions import DeleteError

from parley import channels, clock, x_app
from parley.config import Settings
from parley.errors import Conflict, FieldProblem, Forbidden, ValidationFailed
from parley.members import Principal, Role
from parley.names import OAUTH_STATE_SECONDS
from parley.networks.base import Credential
from parley.networks.x import TOKEN_PATH, XTokens, retry_at
from parley.scheduling.tokens import TokenScheduler
from parley.store import ChannelRecord, MemberRecord, OAuthStateRecord
from parley.timeparse import zone
from parley.token_upkeep import store_tokens

# offline.access: a refresh token, so parley can keep the channel alive without the person.
SCOPES = ("tweet.read", "tweet.write", "users.read", "offline.access")
CALLBACK_PATH = "/channels/x/callback"
STATE_LIFETIME = timedelta(seconds=OAUTH_STATE_SECONDS)


# -- PKCE (RFC 7636) ---------------------------------------------------------------------------------------


def new_code_verifier() -> str:
    """43-128 characters of [A-Za-z0-9-._~] (section 4.1): 64 random bytes, base64url without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()


def code_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(ASCII(code_verifier))), without padding (section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def callback_url(public_base_url: str) -> str:
    return public_base_url.rstrip("/") + CALLBACK_PATH


# -- 1. begin ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    authorization_url: str
    state: str
    expires_at: datetime


def begin(principal: Principal, settings: Settings, public_base_url: str, time_zone: str = "UTC") -> Pending:
    principal.require_writer()
    zone(time_zone)
    app = x_app.load_app(settings.parameter_prefix)
    if app is None:
        raise Conflict(f"parley's X app is not configured: an operator runs `{x_app.SET_APP_COMMAND}`")
    redirect_uri = callback_url(public_base_url)
    state, verifier, expires_at = remember_state(
        principal, network="x", scopes=SCOPES, redirect_uri=redirect_uri, time_zone=time_zone
    )
    return Pending(authorization_url(app, state=state, verifier=verifier, redirect_uri=redirect_uri), state, expires_at)


def remember_state(
    principal: Principal,
    *,
    network: str,
    scopes: tuple[str, ...],
    redirect_uri: str,
    time_zone: str,
    options: str | None = None,
) -> tuple[str, str, datetime]:
    """A new pending connection, saved once: its state (the browser carries it back), its PKCE verifier
    and when it expires."""
    state = secrets.token_urlsafe(32)
    verifier = new_code_verifier()
    now = clock.now()
    expires_at = now + STATE_LIFETIME
    OAuthStateRecord(
        state_hash(state),
        workspace_id=principal.workspace_id,
        member_id=principal.member_id,
        role=principal.role.value,
        code_verifier=verifier,
        scopes=" ".join(scopes),
        redirect_uri=redirect_uri,
        time_zone=time_zone,
        created_at=now,
        expires_at=expires_at,
        expires=expires_at,
        network=network,
        options=options,
    ).save(condition=OAuthStateRecord.state_hash.does_not_exist())
    return state, verifier, expires_at


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


# -- 2. the callback -------------------------------------------------------------------------------------


class ConnectFailed(Exception):
    """The callback could not connect the account: `status` (4xx), the `field` and the `reason`."""

    def __init__(self, status: int, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.status = status
        self.field = field
        self.reason = reason


START_AGAIN = "start again with GET /channels/x/connect"


def use_state(state: str, start_again: str = START_AGAIN) -> OAuthStateRecord:
    """The pending connection of this state, used up (one caller wins the conditional delete). Refuses an
    unknown, already used or expired state (expiry on the parley clock: DynamoDB's TTL sweep is late)."""
    if not state:
        raise ConnectFailed(400, "state", f"is missing; {start_again}")
    try:
        record = OAuthStateRecord.get(state_hash(state), consistent_read=True)
    except OAuthStateRecord.DoesNotExist:
        raise ConnectFailed(400, "state", f"is unknown or was already used; {start_again}") from None
    try:
        record.delete(condition=OAuthStateRecord.state_hash.exists())
    except DeleteError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise ConnectFailed(400, "state", f"was already used; {start_again}") from exc
        raise
    if clock.now() >= record.expires_at:
        minutes = OAUTH_STATE_SECONDS // 60
        reason = f"has expired (a connection must be approved within {minutes} minutes); {start_again}"
        raise ConnectFailed(400, "state", reason)
    return record


def complete(
    settings: Settings, scheduler: TokenScheduler, *, state: str, code: str | None, error: str | None
) -> tuple[ChannelRecord, bool]:
    """Finish a connection: (the channel, True when it is new)."""
    pending = use_state(state)
    if pending.network != "x":  # issued by GET /channels/{network}/connect for another network (parley.oauth)
        raise ConnectFailed(400, "state", f"was issued to connect a {pending.network} account, not an X account")
    if error:
        if error == "access_denied":
            reason = "access_denied: the authorization was declined on X; nothing was connected"
            raise ConnectFailed(400, "error", reason)
        raise ConnectFailed(400, "error", f"X answered {error!r} instead of an authorization code; {START_AGAIN}")
    if not code:
        raise ConnectFailed(400, "code", f"is missing; {START_AGAIN}")
    try:
        member = MemberRecord.get(pending.workspace_id, pending.member_id)
    except MemberRecord.DoesNotExist:
        raise ConnectFailed(403, "state", "was issued to a member who no longer exists") from None
    principal = Principal(pending.workspace_id, pending.member_id, Role(member.role))
    app = x_app.load_app(settings.parameter_prefix)
    if app is None:
        raise ConnectFailed(409, "app", f"parley's X app is not configured: an operator runs `{x_app.SET_APP_COMMAND}`")

    tokens = exchange_code(app, code=code, verifier=pending.code_verifier, redirect_uri=pending.redirect_uri)
    credential = Credential("", tokens.access_token, app.api_base)
    try:
        record, created = channels.connect(principal, settings, "x", credential, pending.time_zone)
    except Forbidden as exc:
        raise ConnectFailed(403, "state", f"was issued to a member who may no longer connect accounts: {exc}") from exc
    except ValidationFailed as exc:
        problem = exc.problems[0] if exc.problems else FieldProblem("code", "was refused")
        if problem.field == "service_url":  # GET /2/users/me did not answer: nothing is wrong with the code
            raise ConnectFailed(424, "code", f"{problem.reason}; {START_AGAIN}") from exc
        raise ConnectFailed(400, "code", f"X gave a token it does not accept itself: {problem.reason}") from exc
    store_tokens(record, tokens, scheduler)
    return record, created


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
