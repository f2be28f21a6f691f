"""The web app's sign-in: browser sessions and one-time sign-in links (docs/web.md).

A member signs in once, with an API token pasted into the sign-in page or with a link `parley admin login-link`
printed; either way the browser gets a session: a random secret (256 bits) in an HttpOnly cookie, stored only
as its SHA-256 (parley.store.session_models), with a CSRF token of its own that every form post and htmx request
of that session carries. A session lasts `SESSION_HOURS` from sign-in, fixed (use does not extend it: no write
per page, and a stolen cookie is good for a bounded time); signing out ends it at once. The member's role is
read at each request (as `tokens.authenticate` does): a role change or a removal holds at the next page.

A sign-in link is single use (a conditional write: of two browsers opening it at once, one wins) and expires
after `LINK_MINUTES`. A session does not follow the API token it was made from: revoking that token leaves the
session to its end (sign out, or its hours)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.errors import NotFound, Unauthenticated
from parley.store import MemberRecord, SessionRecord, TokenRecord, TransactWriteError, UpdateError, transaction
from parley.store.session_models import LINK_PREFIX, SESSION_PREFIX
from parley.team import tokens
from parley.team.members import Principal, Role, get_member

SESSION_HOURS = 12
LINK_MINUTES = 15
LINK_PATH = "/app/sign-in/link"  # the web app's page that takes a link's code (?code=...)
NOT_SIGNED_IN = "not signed in"
SESSION_ENDED = "your session ended (signed out or expired): sign in again"
LINK_UNUSABLE = "this sign-in link was used already, has expired or never existed: ask for a new one"


@dataclass(frozen=True)
class WebSession:
    principal: Principal
    member_name: str
    csrf: str  # the token this session's state-changing requests carry
    expires_at: datetime


@dataclass(frozen=True)
class Started:
    secret: str  # the cookie's value: given to the browser once, stored only as its hash
    session: WebSession


@dataclass(frozen=True)
class IssuedLink:
    code: str  # the secret in the link: printed once, stored only as its hash
    url: str
    expires_at: datetime


def _key(prefix: str, secret: str) -> str:
    return prefix + hashlib.sha256(secret.encode()).hexdigest()


def sign_in_with_token(api_token: str) -> Started:
    """A session for the member whose API token this is (Unauthenticated for an unknown or revoked one)."""
    principal = tokens.authenticate(f"Bearer {api_token.strip()}")
    return _start(principal)


def issue_link(workspace_id: str, member_id: str) -> IssuedLink:
    """A one-time sign-in link for a member (the CLI: whoever runs it holds the AWS account)."""
    get_member(workspace_id, member_id)  # NotFound for an unknown member
    code = secrets.token_urlsafe(32)
    now = clock.now()
    expires_at = now + timedelta(minutes=LINK_MINUTES)
    SessionRecord(
        _key(LINK_PREFIX, code),
        session_workspace_id=workspace_id,
        session_member_id=member_id,
        session_created_at=now,
        session_expires_at=expires_at,
        expires=expires_at,
    ).save(condition=SessionRecord.token_hash.does_not_exist())
    return IssuedLink(code, f"{get_settings().public_base_url}{LINK_PATH}?code={code}", expires_at)


def workspace_of(member_id: str) -> str:
    """The workspace of a member, found through the member's API tokens (every member is made with one): the
    CLI's `login-link --member` alone. NotFound when no token names that member."""
    for record in TokenRecord.by_member.query(member_id, limit=1):
        return str(record.workspace_id)
    raise NotFound(f"no member {member_id}")


def sign_in_with_link(code: str) -> Started:
    """Use a sign-in link: a session, once. The link is marked used in the same transaction that makes the
    session, on the condition that it was not used before: two uses at once, one session."""
    try:
        link = SessionRecord.get(_key(LINK_PREFIX, code), consistent_read=True)
    except SessionRecord.DoesNotExist as exc:
        raise Unauthenticated(LINK_UNUSABLE) from exc
    now = clock.now()
    if link.session_ended_at is not None or link.session_expires_at <= now:
        raise Unauthenticated(LINK_UNUSABLE)
    principal, name = _member(link.session_workspace_id, link.session_member_id)
    secret, record = _new_session(principal, now)
    try:
        with transaction() as write:
            write.update(
                link,
                actions=[SessionRecord.session_ended_at.set(now)],
                condition=SessionRecord.session_ended_at.does_not_exist(),
            )
            write.save(record, condition=SessionRecord.token_hash.does_not_exist())
    except TransactWriteError as exc:
        raise Unauthenticated(LINK_UNUSABLE) from exc
    return Started(secret, _view(record, principal, name))


def current(secret: str | None) -> WebSession:
    """The session a cookie's value stands for, with the member's role now (Unauthenticated otherwise). Two
    GetItems on keys."""
    if not secret:
        raise Unauthenticated(NOT_SIGNED_IN)
    try:
        record = SessionRecord.get(_key(SESSION_PREFIX, secret), consistent_read=True)  # a sign-out holds at once
    except SessionRecord.DoesNotExist as exc:
        raise Unauthenticated(SESSION_ENDED) from exc
    if record.session_ended_at is not None or record.session_expires_at <= clock.now():
        raise Unauthenticated(SESSION_ENDED)
    principal, name = _member(record.session_workspace_id, record.session_member_id)
    return _view(record, principal, name)


def sign_out(secret: str | None) -> None:
    """End the session at once (its cookie is refused from now on); an unknown or ended one: nothing to do."""
    if not secret:
        return
    now = clock.now()
    with suppress(UpdateError):  # ended already, or never was
        SessionRecord(_key(SESSION_PREFIX, secret)).update(
            actions=[SessionRecord.session_ended_at.set(now), SessionRecord.expires.set(now)],
            condition=SessionRecord.token_hash.exists() & SessionRecord.session_ended_at.does_not_exist(),
        )


def csrf_matches(session: WebSession, presented: str | None) -> bool:
    """Whether a request carries its session's CSRF token (in constant time)."""
    return bool(presented) and hmac.compare_digest(session.csrf.encode(), (presented or "").encode())


def _start(principal: Principal) -> Started:
    _, name = _member(principal.workspace_id, principal.member_id)
    secret, record = _new_session(principal, clock.now())
    record.save(condition=SessionRecord.token_hash.does_not_exist())
    return Started(secret, _view(record, principal, name))


def _new_session(principal: Principal, now: datetime) -> tuple[str, SessionRecord]:
    secret = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=SESSION_HOURS)
    record = SessionRecord(
        _key(SESSION_PREFIX, secret),
        session_workspace_id=principal.workspace_id,
        session_member_id=principal.member_id,
        session_created_at=now,
        session_expires_at=expires_at,
        session_csrf=secrets.token_urlsafe(32),
        expires=expires_at,
    )
    return secret, record


def _member(workspace_id: str, member_id: str) -> tuple[Principal, str]:
    try:
        member = MemberRecord.get(workspace_id, member_id, consistent_read=True)
    except MemberRecord.DoesNotExist as exc:
        raise Unauthenticated("the member was removed") from exc
    return Principal(workspace_id, member_id, Role(member.role)), member.name


def _view(record: SessionRecord, principal: Principal, name: str) -> WebSession:
    return WebSession(principal, name, record.session_csrf or "", record.session_expires_at)
