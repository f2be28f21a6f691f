"""Workspaces and their members; who is calling (`Principal`) and what their role lets them do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from parley.shared import clock, ids
from parley.shared.errors import Conflict, Forbidden, NotFound
from parley.store import DeleteError, MemberRecord, TransactWriteError, UpdateError, WorkspaceRecord, transaction


class Role(StrEnum):
    """Each role can do what the ones before it can, and more."""

    VIEWER = "viewer"  # reads everything, changes nothing
    CONTRIBUTOR = "contributor"  # prepares: media now; drafts for approval with the scheduling work
    EDITOR = "editor"  # publishes: posts, replies, listeners, channels, holds
    ADMIN = "admin"  # the team, its tokens, workspace rules, disconnecting channels

    @property
    def rank(self) -> int:
        return list(Role).index(self)


ROLE_DESCRIPTIONS = {
    Role.VIEWER: "reads everything, changes nothing",
    Role.CONTRIBUTOR: "uploads media and prepares posts (posts that need approval come with drafts)",
    Role.EDITOR: "queues, edits and cancels posts, answers the inbox, manages listeners and channels",
    Role.ADMIN: "everything, and the team, its tokens, the workspace's rules and disconnecting channels",
}


@dataclass(frozen=True)
class Principal:
    workspace_id: str
    member_id: str
    role: Role

    def require(self, needed: Role) -> None:
        """403 naming the role this needs (and the caller's), so that a person knows whom to ask."""
        if self.role.rank < needed.rank:
            raise Forbidden(
                f"this needs the {needed} role or higher; this token's member is {_a(self.role)} {self.role}",
                needed_role=needed.value,
                role=self.role.value,
            )


def _a(role: Role) -> str:
    return "an" if role.value[0] in "aeiou" else "a"


def create_workspace_record(name: str) -> str:
    workspace_id = "ws_" + ids.new_id()
    WorkspaceRecord(workspace_id, name=name, created_at=clock.now(), admin_count=0).save(
        condition=WorkspaceRecord.workspace_id.does_not_exist()
    )
    return workspace_id


def new_member(workspace_id: str, name: str, role: Role) -> MemberRecord:
    """A member of an existing workspace; an admin counts towards the workspace's admins in one transaction."""
    workspace = _workspace(workspace_id)
    member = MemberRecord(workspace_id, "mem_" + ids.new_id(), name=name, role=role.value, created_at=clock.now())
    if role != Role.ADMIN:
        member.save(condition=MemberRecord.member_id.does_not_exist())
        return member
    _count_admins_once(workspace)
    with transaction() as write:
        write.save(member, condition=MemberRecord.member_id.does_not_exist())
        write.update(workspace, actions=[WorkspaceRecord.admin_count.add(1)])
    return member


def list_members(workspace_id: str) -> list[MemberRecord]:
    return sorted(MemberRecord.query(workspace_id), key=lambda m: (m.created_at, m.member_id))


def get_member(workspace_id: str, member_id: str) -> MemberRecord:
    try:
        return MemberRecord.get(workspace_id, member_id, consistent_read=True)
    except MemberRecord.DoesNotExist as exc:
        raise NotFound(f"no member {member_id}") from exc


def change_member(principal: Principal, member_id: str, *, name: str | None, role: Role | None) -> MemberRecord:
    """Rename a member or change their role (admins). The workspace always keeps an admin: demoting the last
    one is refused, even when two admins demote each other at once (one transaction with the count)."""
    principal.require(Role.ADMIN)
    member = get_member(principal.workspace_id, member_id)
    actions: list[Any] = [] if name is None else [MemberRecord.name.set(name)]
    if role is None or role.value == member.role:
        if actions:
            with _changed_meanwhile():
                member.update(actions=actions, condition=MemberRecord.member_id.exists())
        return member
    delta = (role == Role.ADMIN) - (member.role == Role.ADMIN.value)
    actions.append(MemberRecord.role.set(role.value))
    if delta == 0:
        with _changed_meanwhile():
            member.update(actions=actions, condition=MemberRecord.role == member.role)
        return member
    workspace = _workspace(principal.workspace_id)
    _count_admins_once(workspace)
    _write_with_admin_count(
        workspace,
        delta,
        lambda write: write.update(member, actions=actions, condition=MemberRecord.role == member.role),
    )
    return get_member(principal.workspace_id, member_id)


def remove_member(principal: Principal, member_id: str) -> MemberRecord:
    """Remove a member (admins); their tokens are revoked by the caller (parley.team.tokens.remove_member)."""
    principal.require(Role.ADMIN)
    member = get_member(principal.workspace_id, member_id)
    if member.role != Role.ADMIN.value:
        with _changed_meanwhile():
            member.delete(condition=MemberRecord.role == member.role)
        return member
    workspace = _workspace(principal.workspace_id)
    _count_admins_once(workspace)
    _write_with_admin_count(
        workspace, -1, lambda write: write.delete(member, condition=MemberRecord.role == member.role)
    )
    return member


def _write_with_admin_count(workspace: WorkspaceRecord, delta: int, write_member: Any) -> None:
    condition = WorkspaceRecord.admin_count > 1 if delta < 0 else None
    try:
        with transaction() as write:
            write_member(write)
            write.update(workspace, actions=[WorkspaceRecord.admin_count.add(delta)], condition=condition)
    except TransactWriteError as exc:
        reasons = [getattr(r, "code", None) for r in (getattr(exc, "cancellation_reasons", None) or [])]
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise Conflict("a workspace keeps at least one admin: make another member admin first") from exc
        raise Conflict(CHANGED_MEANWHILE) from exc


CHANGED_MEANWHILE = "the member was changed or removed meanwhile; read it again and retry"


@contextmanager
def _changed_meanwhile() -> Iterator[None]:
    try:
        yield
    except (UpdateError, DeleteError) as exc:
        raise Conflict(CHANGED_MEANWHILE) from exc


def _workspace(workspace_id: str) -> WorkspaceRecord:
    try:
        return WorkspaceRecord.get(workspace_id, consistent_read=True)
    except WorkspaceRecord.DoesNotExist as exc:
        raise NotFound(f"no workspace {workspace_id}") from exc


def _count_admins_once(workspace: WorkspaceRecord) -> None:
    """Workspaces made before admins were counted get their count once, from their members."""
    if workspace.admin_count is not None:
        return
    admins = sum(1 for m in MemberRecord.query(workspace.workspace_id) if m.role == Role.ADMIN.value)
    try:
        workspace.update(
            actions=[WorkspaceRecord.admin_count.set(admins)], condition=WorkspaceRecord.admin_count.does_not_exist()
        )
    except UpdateError:  # counted meanwhile by another call: its count stands
        workspace.refresh(consistent_read=True)
