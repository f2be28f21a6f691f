"""Pending connections, for every network's consent page: a random `state` the browser carries back, and a
PKCE code verifier (RFC 7636, S256), kept for names.OAUTH_STATE_SECONDS in the oauth-states table (keyed by
the state's SHA-256, so a leaked table gives no usable state) and used once (a conditional delete).

A state is bound to one browser (RFC 6749 section 10.12; RFC 9700 section 4.7): a random browser-binding
secret goes to the browser as a cookie (parley.http.connect_cookie) and only its SHA-256 is kept. The secret
is made when the connection starts (a browser calling GET /channels/{network}/connect keeps it), and made
again, once, when a browser opens the consent link (`connect_url`, for a caller such as curl whose cookies
reach no browser). The callback is accepted only with the cookie whose hash is kept: a consent URL sent to
someone else, or a callback URL replayed elsewhere, connects nothing and leaves the state to its browser.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from parley.connect.base import ConnectFailed
from parley.shared import clock
from parley.shared.names import OAUTH_STATE_SECONDS
from parley.store import DeleteError, MemberRecord, OAuthStateRecord, UpdateError, WorkspaceRecord
from parley.team.members import Principal, Role

STATE_LIFETIME = timedelta(seconds=OAUTH_STATE_SECONDS)
ELSEWHERE = (
    "was issued to another browser: a connection must be finished in the browser that started it (the one "
    "that called {start}, or that opened its connect_url); nothing was connected"
)


def new_code_verifier() -> str:
    """43-128 characters of [A-Za-z0-9-._~] (section 4.1): 64 random bytes, base64url without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()


def code_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(ASCII(code_verifier))), without padding (section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def browser_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Remembered:
    state: str
    verifier: str
    expires_at: datetime
    browser: str  # the browser-binding secret: the caller's cookie (only its hash is kept)


def remember_state(
    principal: Principal,
    *,
    network: str,
    scopes: tuple[str, ...],
    redirect_uri: str,
    time_zone: str,
    options: str | None = None,
) -> Remembered:
    """A new pending connection, saved once: its state (the browser carries it back), its PKCE verifier, when
    it expires, and the secret of the browser it is bound to until a browser opens its consent link."""
    state = secrets.token_urlsafe(32)
    verifier = new_code_verifier()
    browser = secrets.token_urlsafe(32)
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
        browser_hash=browser_hash(browser),
    ).save(condition=OAuthStateRecord.state_hash.does_not_exist())
    return Remembered(state, verifier, expires_at, browser)


def _pending(state: str, network: str, network_title: str, start_again: str) -> OAuthStateRecord:
    """The pending connection of this state, refused when unknown, for another network or expired (on the
    parley clock: DynamoDB's TTL sweep is late). Nothing is changed."""
    if not state:
        raise ConnectFailed(400, "state", f"is missing; {start_again}", state_used=False)
    try:
        record = OAuthStateRecord.get(state_hash(state), consistent_read=True)
    except OAuthStateRecord.DoesNotExist:
        raise ConnectFailed(400, "state", f"is unknown or was already used; {start_again}", state_used=False) from None
    if record.network != network:
        reason = f"was issued to connect a {record.network} account, not {network_title}"
        raise ConnectFailed(400, "state", reason, state_used=False)
    if clock.now() >= record.expires_at:
        minutes = OAUTH_STATE_SECONDS // 60
        reason = f"has expired (a connection must be approved within {minutes} minutes); {start_again}"
        raise ConnectFailed(400, "state", reason, state_used=False)
    return record


@dataclass(frozen=True)
class Opened:
    record: OAuthStateRecord
    browser: str  # the new browser-binding secret, for the browser that opened the link
    max_age: int  # seconds the state has left


def open_state(state: str, network: str, network_title: str, start_again: str) -> Opened:
    """The consent link opened in a browser: the pending connection is bound to that browser (a new secret,
    replacing the one the connect call's caller got), once: a link opened again, anywhere, is refused."""
    record = _pending(state, network, network_title, start_again)
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    try:
        record.update(
            actions=[OAuthStateRecord.browser_hash.set(browser_hash(secret)), OAuthStateRecord.opened_at.set(now)],
            condition=OAuthStateRecord.state_hash.exists() & OAuthStateRecord.opened_at.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            reason = f"was already opened: a consent link works once, in one browser; {start_again}"
            raise ConnectFailed(400, "state", reason, state_used=False) from exc
        raise
    return Opened(record, secret, max(1, int((record.expires_at - now).total_seconds())))


def use_state(state: str, network: str, network_title: str, browser: str | None, start_again: str) -> OAuthStateRecord:
    """The pending connection of this state, used up (one caller wins the conditional delete), only from the
    browser it is bound to: `browser` is that browser's cookie. Refuses an unknown, already used, expired or
    other network's state, and any other browser, saying how to `start_again`; a refused browser leaves the
    state as it was, for its own browser to finish."""
    record = _pending(state, network, network_title, start_again)
    kept = record.browser_hash or ""
    given = browser_hash(browser) if browser else ""
    if not kept or not hmac.compare_digest(given.encode(), kept.encode()):
        here = f"To connect from this browser, {start_again} and open its connect_url here"
        reason = f"{ELSEWHERE.format(start=f'GET /channels/{network}/connect')}. {here}"
        raise ConnectFailed(400, "state", reason, state_used=False)
    try:
        # the same browser still: a consent link opened meanwhile re-binds the state to its browser
        record.delete(condition=OAuthStateRecord.state_hash.exists() & (OAuthStateRecord.browser_hash == kept))
    except DeleteError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise ConnectFailed(400, "state", f"was already used; {start_again}", state_used=False) from exc
        raise
    return record


@dataclass(frozen=True)
class Starter:
    """Who started a pending connection, as the callback page names them."""

    principal: Principal
    member_name: str
    workspace_name: str


def starter(pending: OAuthStateRecord) -> Starter:
    """The member who started it, with their role as it is now (refused: gone), and their workspace's name."""
    try:
        member = MemberRecord.get(pending.workspace_id, pending.member_id)
    except MemberRecord.DoesNotExist:
        raise ConnectFailed(403, "state", "was issued to a member who no longer exists") from None
    try:
        workspace_name = WorkspaceRecord.get(pending.workspace_id).name
    except WorkspaceRecord.DoesNotExist:
        raise ConnectFailed(403, "state", "was issued to a workspace that no longer exists") from None
    principal = Principal(pending.workspace_id, pending.member_id, Role(member.role))
    return Starter(principal, member.name, workspace_name)
