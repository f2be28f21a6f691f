"""Members' calendar feed tokens: the secret in a calendar app's subscription URL (`/calendar.ics?token=...`),
because calendar apps cannot send headers. Read-only and one per member: made or rotated (the old URL stops at
once), revoked, and never an API token (stored under another key than API tokens: parley.store.feed_models, so
`authenticate` never finds one, and `principal_for` never finds an API token). Like API tokens, the secret is
shown once and stored only as its SHA-256. The member's role at the time of each read decides: a removed
member's feed stops."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.errors import Conflict, NotFound
from parley.store import FeedRecord, MemberRecord, TransactWriteError, transaction
from parley.store.feed_models import MEMBER_PREFIX, SECRET_PREFIX
from parley.team.members import Principal, Role

FEED_TOKEN_PREFIX = "pcf_"  # "parley calendar feed": tells it from an API token (pk_) at a glance
FEED_PATH = "/calendar.ics"
UNKNOWN = "no calendar feed has this token: it was revoked or replaced, or never existed"
CHANGED_MEANWHILE = "the calendar feed was changed meanwhile by another request; read it and retry"


@dataclass(frozen=True)
class IssuedFeed:
    token: str  # the secret: shown once, in `url`
    url: str
    created_at: datetime


def _secret_key(token: str) -> str:
    return SECRET_PREFIX + hashlib.sha256(token.encode()).hexdigest()


def _member_key(workspace_id: str, member_id: str) -> str:
    return f"{MEMBER_PREFIX}{workspace_id}#{member_id}"


def feed_url(token: str) -> str:
    return f"{get_settings().public_base_url}{FEED_PATH}?token={token}"


def _current(principal: Principal) -> FeedRecord | None:
    try:
        return FeedRecord.get(_member_key(principal.workspace_id, principal.member_id), consistent_read=True)
    except FeedRecord.DoesNotExist:
        return None


def issue(principal: Principal) -> IssuedFeed:
    """The member's feed, new or rotated (the previous secret stops at once). Any member may have one: viewers
    read everything. Two rotations at once: one wins, the other is a 409."""
    principal.require(Role.VIEWER)
    now = clock.now()
    current = _current(principal)
    token = FEED_TOKEN_PREFIX + secrets.token_urlsafe(32)  # 256 random bits
    secret = FeedRecord(
        _secret_key(token),
        feed_workspace_id=principal.workspace_id,
        feed_member_id=principal.member_id,
        feed_created_at=now,
    )
    member = FeedRecord(
        _member_key(principal.workspace_id, principal.member_id),
        feed_workspace_id=principal.workspace_id,
        feed_member_id=principal.member_id,
        feed_created_at=now,
        feed_secret_key=secret.token_hash,
    )
    try:
        with transaction() as write:
            write.save(secret, condition=FeedRecord.token_hash.does_not_exist())
            write.save(member, condition=_unchanged(current))
            if current is not None and current.feed_secret_key:
                _revoke_secret(write, current.feed_secret_key, now)
    except TransactWriteError as exc:
        raise Conflict(CHANGED_MEANWHILE) from exc
    return IssuedFeed(token, feed_url(token), now)


def revoke(principal: Principal) -> None:
    """Stop the member's feed (its URL answers 404 from now on); NotFound when there is none."""
    principal.require(Role.VIEWER)
    current = _current(principal)
    if current is None or not current.feed_secret_key:
        raise NotFound("you have no calendar feed")
    now = clock.now()
    try:
        with transaction() as write:
            write.update(
                current,
                actions=[FeedRecord.feed_secret_key.remove(), FeedRecord.feed_revoked_at.set(now)],
                condition=_unchanged(current),
            )
            _revoke_secret(write, current.feed_secret_key, now)
    except TransactWriteError as exc:
        raise Conflict(CHANGED_MEANWHILE) from exc


def status(principal: Principal) -> dict[str, Any]:
    """Whether the member has a feed, and since when: never its secret (shown once, when made)."""
    current = _current(principal)
    active = current is not None and bool(current.feed_secret_key)
    return {
        "active": active,
        "created_at": current.feed_created_at.isoformat() if active and current else None,
        "revoked_at": current.feed_revoked_at.isoformat()
        if current and not active and current.feed_revoked_at
        else None,
    }


def principal_for(token: str) -> Principal:
    """The member a feed token reads as, with the role they have now; NotFound for anything else (an unknown,
    revoked or replaced token, an API token, a removed member). Two GetItems on keys, no scan."""
    try:
        secret = FeedRecord.get(_secret_key(token), consistent_read=True)  # a revocation holds at once
    except FeedRecord.DoesNotExist as exc:
        raise NotFound(UNKNOWN) from exc
    if secret.feed_revoked_at is not None:
        raise NotFound(UNKNOWN)
    try:
        member = MemberRecord.get(secret.feed_workspace_id, secret.feed_member_id, consistent_read=True)
    except MemberRecord.DoesNotExist as exc:
        raise NotFound(UNKNOWN) from exc
    return Principal(secret.feed_workspace_id, secret.feed_member_id, Role(member.role))


def _unchanged(current: FeedRecord | None) -> Any:
    """The member's item is as it was read (so two rotations at once have one winner)."""
    if current is None:
        return FeedRecord.token_hash.does_not_exist()
    if not current.feed_secret_key:
        return FeedRecord.feed_secret_key.does_not_exist()
    return FeedRecord.feed_secret_key == current.feed_secret_key


def _revoke_secret(write: Any, key: str, now: datetime) -> None:
    old = FeedRecord(key)
    write.update(old, actions=[FeedRecord.feed_revoked_at.set(now)], condition=FeedRecord.token_hash.exists())
