"""Members' API tokens: issued (the secret shown once, stored only as its SHA-256), listed by their prefix and
last use, revoked; and the one check every request passes (`authenticate`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from parley.shared import clock, ids
from parley.shared.errors import NotFound, Unauthenticated
from parley.store import MemberRecord, TokenRecord
from parley.team.members import Principal, Role, create_workspace_record, get_member, new_member, remove_member

# How fresh `last_used_at` is: one write per token per minute at most, not one per request.
LAST_USE_PRECISION = timedelta(minutes=1)
PREFIX_LENGTH = len(ids.TOKEN_PREFIX) + 6  # enough to tell a person's tokens apart, far too little to guess


@dataclass(frozen=True)
class IssuedToken:
    workspace_id: str
    member_id: str
    role: Role
    token_id: str
    token: str  # the secret: shown once, stored only as its SHA-256


def authenticate(authorization: str | None) -> Principal:
    """`Authorization: Bearer <token>` -> the member, with the role the member has now (a role change or a
    removal holds at the next request). Two GetItems on keys, no scan."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthenticated("missing bearer token")
    token = authorization[7:].strip()
    try:
        record = TokenRecord.get(ids.token_hash(token), consistent_read=True)  # a revocation holds at once
    except TokenRecord.DoesNotExist as exc:
        raise Unauthenticated("unknown token") from exc
    if record.revoked_at is not None:
        raise Unauthenticated("revoked token")
    try:
        member = MemberRecord.get(record.workspace_id, record.member_id, consistent_read=True)
    except MemberRecord.DoesNotExist as exc:
        raise Unauthenticated("the token's member was removed") from exc
    now = clock.now()
    if record.last_used_at is None or now - record.last_used_at >= LAST_USE_PRECISION:
        record.update(actions=[TokenRecord.last_used_at.set(now)])
    return Principal(record.workspace_id, record.member_id, Role(member.role))


def create_workspace(name: str, admin_name: str) -> IssuedToken:
    """A workspace, its first admin and the admin's first token (the CLI's first step)."""
    workspace_id = create_workspace_record(name)
    return add_member(workspace_id, admin_name, Role.ADMIN)


def add_member(workspace_id: str, name: str, role: Role, label: str | None = None) -> IssuedToken:
    """A new member and their first token (the CLI; the API checks the caller first: `invite`)."""
    member = new_member(workspace_id, name, role)
    return issue_token(workspace_id, member.member_id, label)


def invite(
    principal: Principal, name: str, role: Role, label: str | None = None
) -> tuple[MemberRecord, TokenRecord, IssuedToken]:
    """A new member (admins), with their first token."""
    principal.require(Role.ADMIN)
    issued = add_member(principal.workspace_id, name, role, label)
    member = get_member(principal.workspace_id, issued.member_id)
    return member, _by_id(principal.workspace_id, issued.token_id), issued


def issue_token(workspace_id: str, member_id: str, label: str | None = None) -> IssuedToken:
    member = get_member(workspace_id, member_id)
    token = ids.new_token()
    token_id = "tok_" + ids.new_id()
    TokenRecord(
        ids.token_hash(token),
        token_id=token_id,
        workspace_id=workspace_id,
        member_id=member_id,
        role=member.role,  # what it was issued with; the member's role decides (authenticate)
        label=label,
        prefix=token[:PREFIX_LENGTH],
        created_at=clock.now(),
    ).save(condition=TokenRecord.token_hash.does_not_exist())
    return IssuedToken(workspace_id, member_id, Role(member.role), token_id, token)


def create_token(principal: Principal, member_id: str, label: str | None) -> tuple[TokenRecord, IssuedToken]:
    """A member makes tokens of their own; an admin, anyone's."""
    _require_self_or_admin(principal, member_id)
    issued = issue_token(principal.workspace_id, member_id, label)
    return _by_id(principal.workspace_id, issued.token_id), issued


def list_tokens(principal: Principal, member_id: str) -> list[TokenRecord]:
    _require_self_or_admin(principal, member_id)
    get_member(principal.workspace_id, member_id)
    records = [r for r in TokenRecord.by_member.query(member_id) if r.workspace_id == principal.workspace_id]
    return sorted(records, key=lambda r: (r.created_at, r.token_id))


def revoke(principal: Principal, member_id: str, token_id: str) -> TokenRecord:
    """Revoke one token (its owner or an admin); revoking it again changes nothing."""
    _require_self_or_admin(principal, member_id)
    record = _by_id(principal.workspace_id, token_id)
    if record.member_id != member_id:
        raise NotFound(f"no token {token_id} of member {member_id}")
    if record.revoked_at is None:
        record.update(actions=[TokenRecord.revoked_at.set(clock.now())])
    return record


def revoke_token(token_id: str) -> None:
    """The CLI's revoke (whoever runs it holds the AWS account)."""
    records = list(TokenRecord.by_token_id.query(token_id))
    if not records:
        raise NotFound(f"no token {token_id}")
    for record in records:
        record.update(actions=[TokenRecord.revoked_at.set(clock.now())])


def remove(principal: Principal, member_id: str) -> None:
    """Remove a member and revoke every token they have (authenticate refuses them already: belt and braces)."""
    member = remove_member(principal, member_id)
    now = clock.now()
    for record in TokenRecord.by_member.query(member.member_id):
        if record.revoked_at is None:
            record.update(actions=[TokenRecord.revoked_at.set(now)])


def token_view(record: TokenRecord) -> dict[str, Any]:
    """What a token list shows: never the secret or its hash."""
    return {
        "id": record.token_id,
        "member_id": record.member_id,
        "label": record.label,
        "prefix": record.prefix,
        "created_at": record.created_at.isoformat(),
        "last_used_at": record.last_used_at.isoformat() if record.last_used_at else None,
        "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
    }


def _by_id(workspace_id: str, token_id: str) -> TokenRecord:
    for record in TokenRecord.by_token_id.query(token_id):
        if record.workspace_id == workspace_id:
            return record
    raise NotFound(f"no token {token_id}")


def _require_self_or_admin(principal: Principal, member_id: str) -> None:
    if principal.member_id != member_id:
        principal.require(Role.ADMIN)
