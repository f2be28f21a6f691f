"""Workspaces, members and their API tokens; who is calling and what they may do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from parley.shared import clock, ids
from parley.shared.errors import Forbidden, NotFound, Unauthenticated
from parley.store import MemberRecord, TokenRecord, WorkspaceRecord


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


@dataclass(frozen=True)
class Principal:
    workspace_id: str
    member_id: str
    role: Role

    def require_writer(self) -> None:
        if self.role == Role.VIEWER:
            raise Forbidden("viewers can read but not change anything")

    def require_admin(self) -> None:
        if self.role != Role.ADMIN:
            raise Forbidden("only an admin can do this")


@dataclass(frozen=True)
class IssuedToken:
    workspace_id: str
    member_id: str
    role: Role
    token_id: str
    token: str  # the secret: shown once, stored only as its SHA-256


def authenticate(authorization: str | None) -> Principal:
    """`Authorization: Bearer <token>` -> the member; one GetItem on the token's hash, no scan."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthenticated("missing bearer token")
    token = authorization[7:].strip()
    try:
        record = TokenRecord.get(ids.token_hash(token), consistent_read=True)  # a revocation holds at once
    except TokenRecord.DoesNotExist as exc:
        raise Unauthenticated("unknown token") from exc
    if record.revoked_at is not None:
        raise Unauthenticated("revoked token")
    return Principal(record.workspace_id, record.member_id, Role(record.role))


def create_workspace(name: str, admin_name: str) -> IssuedToken:
    workspace_id = "ws_" + ids.new_id()
    WorkspaceRecord(workspace_id, name=name, created_at=clock.now()).save(
        condition=WorkspaceRecord.workspace_id.does_not_exist()
    )
    return add_member(workspace_id, admin_name, Role.ADMIN)


def add_member(workspace_id: str, name: str, role: Role) -> IssuedToken:
    try:
        WorkspaceRecord.get(workspace_id)
    except WorkspaceRecord.DoesNotExist as exc:
        raise NotFound(f"no workspace {workspace_id}") from exc
    member_id = "mem_" + ids.new_id()
    MemberRecord(workspace_id, member_id, name=name, role=role.value, created_at=clock.now()).save()
    return issue_token(workspace_id, member_id)


def issue_token(workspace_id: str, member_id: str, label: str | None = None) -> IssuedToken:
    try:
        member = MemberRecord.get(workspace_id, member_id)
    except MemberRecord.DoesNotExist as exc:
        raise NotFound(f"no member {member_id} in {workspace_id}") from exc
    token = ids.new_token()
    token_id = "tok_" + ids.new_id()
    TokenRecord(
        ids.token_hash(token),
        token_id=token_id,
        workspace_id=workspace_id,
        member_id=member_id,
        role=member.role,
        label=label,
        created_at=clock.now(),
    ).save()
    return IssuedToken(workspace_id, member_id, Role(member.role), token_id, token)


def revoke_token(token_id: str) -> None:
    records = list(TokenRecord.by_token_id.query(token_id))
    if not records:
        raise NotFound(f"no token {token_id}")
    for record in records:
        record.update(actions=[TokenRecord.revoked_at.set(clock.now())])
