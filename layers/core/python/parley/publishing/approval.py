"""Approval: a contributor's post waits for an editor (docs/approval.md).

A contributor's post with a time goes to `pending_approval`: armed for its time like any delivery, so that
the firing of that time is an event. An editor approves it (`pending_approval -> scheduled`, or `held`
while the workspace or the channel is held) or rejects it with a comment (back to `draft`, for its writer
to change and submit again). If its time comes first, the publish step cancels it with the reason
`missed_approval` (`miss`): never published. The approval and the firing are conditional writes on the
same state and due time, so exactly one of them wins. A workspace can turn approval off (then a
contributor's posts are scheduled like an editor's). Who did what, and when, is kept on the post
(`history`)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any

from parley.publishing import deliveries, holds, queue
from parley.publishing.deliveries import MISSED_APPROVAL, Move, State
from parley.scheduling import Arming, PublishMessage
from parley.shared import clock
from parley.shared.errors import Conflict, LostRace, NotFound
from parley.store import DeliveryRecord, PostRecord, WorkspaceRecord
from parley.store.keys import DeliveryKey
from parley.team.members import Principal, Role
from parley.webhooks.events import EventType, emit

# The states armed for their time: a pending post's firing is what marks it missed.
ARMED = frozenset({State.SCHEDULED, State.PENDING_APPROVAL})
# What only someone who may publish can cancel (a contributor cancels drafts and posts still waiting).
PUBLISHED_BY_AN_EDITOR = frozenset({State.SCHEDULED, State.HELD, State.RETRYING})


def required(workspace_id: str) -> bool:
    """Whether contributors' posts wait for approval: on unless the workspace turned it off."""
    try:
        workspace = WorkspaceRecord.get(workspace_id)
    except WorkspaceRecord.DoesNotExist:
        return True
    return workspace.approval_required is not False


def set_required(principal: Principal, on: bool) -> dict[str, Any]:
    """Turn approval on or off (admins). Posts already waiting keep waiting for an editor."""
    principal.require(Role.ADMIN)
    try:
        WorkspaceRecord(principal.workspace_id).update(
            actions=[WorkspaceRecord.approval_required.set(on)], condition=WorkspaceRecord.workspace_id.exists()
        )
    except Exception as exc:  # the workspace is gone (its token would not have passed): nothing to set
        raise NotFound(f"no workspace {principal.workspace_id}") from exc
    return view(principal.workspace_id)


def view(workspace_id: str) -> dict[str, Any]:
    return {"required": required(workspace_id)}


def may_publish(principal: Principal) -> bool:
    """Editors and admins publish; a contributor too when the workspace turned approval off."""
    if principal.role.rank >= Role.EDITOR.rank:
        return True
    return principal.role == Role.CONTRIBUTOR and not required(principal.workspace_id)


def first_state(waits: bool, held: bool) -> State:
    """A new delivery with a time: waiting for approval, held, or scheduled."""
    if waits:
        return State.PENDING_APPROVAL
    return State.HELD if held else State.SCHEDULED


def may_cancel(principal: Principal, records: list[DeliveryRecord]) -> None:
    """A contributor (approval on) cancels drafts and posts still waiting; what is approved, an editor (403)."""
    if not may_publish(principal) and any(r.state in PUBLISHED_BY_AN_EDITOR for r in records):
        principal.require(Role.EDITOR)


def entry(action: str, by: str, **extra: str) -> dict[str, str]:
    """One line of a post's history: what happened, who did it, when."""
    return {"at": clock.now().isoformat(), "action": action, "by": by, **extra}


def note(line: dict[str, str]) -> Any:
    """The update action that adds `line` to a post's history (posts older than history have none yet)."""
    return PostRecord.history.set((PostRecord.history | []).append([line]))  # type: ignore[arg-type,operator]


def post_status(records: list[DeliveryRecord]) -> str:
    """The post's status: its deliveries' one state, `missed_approval` when its time came while it waited,
    or `mixed`."""
    states = {r.state for r in records}
    if states == {State.CANCELLED.value} and all(r.failure_reason == MISSED_APPROVAL for r in records):
        return MISSED_APPROVAL
    return states.pop() if len(states) == 1 else "mixed"


def requested(post: PostRecord) -> None:
    """Tell the workspace's webhooks that a post waits for approval (each submission its own event)."""
    data = {"post_id": post.post_id, "publish_at": _iso(post.publish_at), "by": _last_by(post)}
    emit(post.workspace_id, EventType.APPROVAL_REQUESTED, _subject(post), data)


def _load(principal: Principal, post_id: str) -> tuple[PostRecord, list[DeliveryRecord]]:
    try:
        post = PostRecord.get(principal.workspace_id, post_id, consistent_read=True)
    except PostRecord.DoesNotExist as exc:
        raise NotFound(f"no post {post_id}") from exc
    records = [r for r in DeliveryRecord.query(post_id, consistent_read=True) if r.workspace_id == post.workspace_id]
    return post, records


def _waiting(post_id: str, records: list[DeliveryRecord], doing: str) -> list[DeliveryRecord]:
    waiting = [r for r in records if r.state == State.PENDING_APPROVAL.value]
    if not waiting:
        states = [{"channel_id": r.channel_id, "state": r.state, "reason": r.failure_reason or ""} for r in records]
        if records and post_status(records) == MISSED_APPROVAL:
            why = f"its time came while it waited: it was not published ({MISSED_APPROVAL}); queue it again"
            raise Conflict(f"nothing to {doing}: {why}", {"deliveries": states})
        raise Conflict(f"nothing to {doing}: post {post_id} is not waiting for approval", {"deliveries": states})
    return waiting


def approve(principal: Principal, arming: Arming, post_id: str) -> None:
    """An editor approves: scheduled for its time (held while the workspace or the channel is). A time that
    has passed is refused (409): the post was, or is about to be, cancelled as `missed_approval`."""
    principal.require(Role.EDITOR)
    post, records = _load(principal, post_id)
    waiting = _waiting(post_id, records, "approve")
    now = clock.now()
    late = [r for r in waiting if r.publish_at is None or r.publish_at <= now]
    if late:
        raise Conflict(
            f"its time ({_iso(late[0].publish_at)}) has passed while it waited: it is not published "
            f"({MISSED_APPROVAL}); queue it again with a new time",
            {"publish_at": _iso(late[0].publish_at)},
        )
    held = holds.is_held(principal.workspace_id)
    paused = holds.paused_channels(principal.workspace_id)
    moves = [Move(r, State.HELD if held or r.channel_id in paused else State.SCHEDULED) for r in waiting]
    line = entry("approved", principal.member_id)
    try:
        deliveries.move_together(moves, by=principal.member_id, also=_post_update(post, line))
    except LostRace as exc:
        raise _lost(principal, post_id, "approved") from exc
    for move in moves:
        key = DeliveryKey.of(move.record)
        if move.to == State.SCHEDULED:
            arming.arm(PublishMessage(key, move.record.due_at), attempt=0)  # armed already: the same schedule
        else:
            arming.cancel(key, attempt=0)  # held: a person resumes it
    emit(post.workspace_id, EventType.POST_APPROVED, _subject(post, 1), _event(post, line))


def reject(principal: Principal, arming: Arming, post_id: str, comment: str) -> None:
    """An editor rejects, saying why: the post goes back to its writer as a draft (not armed), keeping its
    text and time; they change it and submit it again."""
    principal.require(Role.EDITOR)
    post, records = _load(principal, post_id)
    waiting = _waiting(post_id, records, "reject")
    moves = [Move(r, State.DRAFT) for r in waiting]
    line = entry("rejected", principal.member_id, comment=comment)
    try:
        deliveries.move_together(moves, by=principal.member_id, also=_post_update(post, line))
    except LostRace as exc:
        raise _lost(principal, post_id, "rejected") from exc
    for move in moves:
        arming.cancel(DeliveryKey.of(move.record), attempt=0)  # a draft is not armed (a stray firing: nothing to do)
    # a draft holds no slot: the queue's next add may take it (added to the queue again, it takes the next free)
    queue.leave_slots(post.workspace_id, post_id, {r.channel_id: r.publish_at for r in waiting})
    emit(post.workspace_id, EventType.POST_REJECTED, _subject(post, 1), _event(post, line))


def miss(record: DeliveryRecord, *, due_at: datetime, by: str) -> bool:
    """The publish step found the delivery still waiting at its time: cancelled as `missed_approval` (True),
    or an approval won the race (False: the caller reads it again and publishes it)."""
    try:
        record = deliveries.miss_approval(record, due_at=due_at, by=by)
    except LostRace:
        return False
    # its time has come, so its slot has passed and keeps its claim (queue.leave_slots says why)
    queue.leave_slots(record.workspace_id, record.post_id, {record.channel_id: record.publish_at})
    line = entry(MISSED_APPROVAL, by, channel_id=record.channel_id)
    with contextlib.suppress(Exception):  # the history is news; the delivery's own history has the transition
        PostRecord(record.workspace_id, record.post_id).update(
            actions=[note(line)], condition=PostRecord.post_id.exists()
        )
    from parley.publishing import webhook_events  # it reads the post's other deliveries

    webhook_events.delivery_ended(record)
    if record.media_ids:
        from parley.media import post_media

        post_media.delivery_ended(record)
    return True


def _post_update(post: PostRecord, line: dict[str, str]) -> Any:
    def update(write: Any) -> None:
        write.update(post, actions=[note(line), PostRecord.updated_at.set(clock.now())])

    return update


def _lost(principal: Principal, post_id: str, doing: str) -> Conflict:
    _, records = _load(principal, post_id)
    if any(r.failure_reason == MISSED_APPROVAL for r in records):
        return Conflict(f"not {doing}: its time came first and it was cancelled ({MISSED_APPROVAL})")
    states = [{"channel_id": r.channel_id, "state": r.state} for r in records]
    return Conflict(f"not {doing}: the post changed meanwhile; read it again", {"deliveries": states})


def _subject(post: PostRecord, added: int = 0) -> str:
    """What an approval event is about: the post at this line of its history (`added`: lines written since
    `post` was read), so each submission, approval and rejection is its own event and a repeat is the same."""
    return f"{post.post_id}#{len(post.history or []) + added}"


def _event(post: PostRecord, line: dict[str, str]) -> dict[str, Any]:
    return {"post_id": post.post_id, "publish_at": _iso(post.publish_at), **line}


def _last_by(post: PostRecord) -> str:
    lines = list(post.history or [])
    last = lines[-1] if lines else None
    if last is None:
        return post.created_by
    return str(last.get("by") if isinstance(last, dict) else getattr(last, "by", post.created_by))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None
