"""Pending connections, for every network's consent page: a random `state` the browser carries back, and a
PKCE code verifier (RFC 7636, S256), kept for names.OAUTH_STATE_SECONDS in the oauth-states table (keyed by
the state's SHA-256, so a leaked table gives no usable state) and used once (a conditional delete)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime, timedelta

from parley.connect.base import ConnectFailed
from parley.shared import clock
from parley.shared.names import OAUTH_STATE_SECONDS
from parley.store import DeleteError, OAuthStateRecord
from parley.team.members import Principal

STATE_LIFETIME = timedelta(seconds=OAUTH_STATE_SECONDS)


def new_code_verifier() -> str:
    """43-128 characters of [A-Za-z0-9-._~] (section 4.1): 64 random bytes, base64url without padding."""
    return base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()


def code_challenge(verifier: str) -> str:
    """S256: BASE64URL(SHA256(ASCII(code_verifier))), without padding (section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


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


def use_state(state: str, start_again: str) -> OAuthStateRecord:
    """The pending connection of this state, used up (one caller wins the conditional delete). Refuses an
    unknown, already used or expired state, saying how to `start_again` (expiry on the parley clock:
    DynamoDB's TTL sweep is late)."""
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
