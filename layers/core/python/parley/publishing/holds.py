"""Holding a workspace's queued posts (by hand now; automatically on a listening spike later) and
resuming them. Each delivery still to go out (scheduled, or a retry waiting for its next attempt) moves
through `parley.publishing.deliveries` (a conditional write: one that starts publishing meanwhile is simply
not held), and its schedule goes with it: removed on hold, restored on resume (a retry back to retrying,
its attempts counted). A delivery whose time passed while held publishes at once or stays held, by the workspace's
`past_due_rule`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from parley.publishing import deliveries
from parley.publishing.deliveries import State, state_key
from parley.scheduling import Arming, PublishMessage
from parley.shared import clock
from parley.shared.errors import LostRace
from parley.store import ChannelRecord, DeliveryRecord, WorkspaceRecord
from parley.store.keys import DeliveryKey
from parley.team.members import Principal, Role

PUBLISH = "publish"
HOLDABLE = (State.SCHEDULED, State.RETRYING)

# A hold racing a post being queued at the same instant may miss that one post (its delivery is
# written after the hold's query); it then goes out on time. Holding again catches it.


def is_held(workspace_id: str) -> bool:
    try:
        return WorkspaceRecord.get(workspace_id, consistent_read=True).held_since is not None
    except WorkspaceRecord.DoesNotExist:
        return False


def hold_workspace(principal: Principal, arming: Arming) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    # First the flag (posts queued from now on are held), then what is still to go out: scheduled, and
    # retries waiting for their next attempt (an attempt under way, `publishing`, is not stopped).
    WorkspaceRecord(principal.workspace_id).update(actions=[WorkspaceRecord.held_since.set(clock.now())])
    return {"held": _hold(principal, arming)}


def pause_channel(principal: Principal, arming: Arming, channel_id: str) -> list[str]:
    """A workspace's hold, for one channel: the flag (posts queued on it meanwhile are held), then what is
    still to go out on it. Resumed by `unpause_channel`; the workspace's own hold and resume leave it alone."""
    principal.require(Role.EDITOR)
    ChannelRecord(principal.workspace_id, channel_id).update(
        actions=[ChannelRecord.paused_since.set(clock.now())], condition=ChannelRecord.channel_id.exists()
    )
    return _hold(principal, arming, channel_id)


def unpause_channel(principal: Principal, arming: Arming, channel_id: str) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    ChannelRecord(principal.workspace_id, channel_id).update(
        actions=[ChannelRecord.paused_since.remove()], condition=ChannelRecord.channel_id.exists()
    )
    if is_held(principal.workspace_id):  # still held by the workspace: its resume lets them go
        return {"resumed": [], "still_held": []}
    return _resume(principal, arming, lambda record: record.channel_id == channel_id)


def paused_channels(workspace_id: str) -> set[str]:
    return {c.channel_id for c in ChannelRecord.query(workspace_id) if c.paused_since is not None}


def _hold(principal: Principal, arming: Arming, channel_id: str | None = None) -> list[str]:
    held: list[str] = []
    # A Query per state on the workspace's `by_state` index, never a scan.
    for state in HOLDABLE:
        for record in DeliveryRecord.by_state.query(state_key(principal.workspace_id, state)):
            if channel_id is not None and record.channel_id != channel_id:
                continue
            try:
                deliveries.hold(record, by=principal.member_id)
            except LostRace:
                continue  # it started publishing (or was cancelled) meanwhile
            key = DeliveryKey.of(record)
            # its schedule is named by its attempt; a message already queued finds it held and stops
            arming.cancel(key, int(record.attempt or 0))
            held.append(key.id)
    return held


def resume_workspace(principal: Principal, arming: Arming) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    paused = paused_channels(principal.workspace_id)  # a paused channel's stay held until it is unpaused
    resumed = _resume(principal, arming, lambda record: record.channel_id not in paused)
    WorkspaceRecord(principal.workspace_id).update(actions=[WorkspaceRecord.held_since.remove()])
    return resumed


def _resume(principal: Principal, arming: Arming, which: Callable[[DeliveryRecord], bool]) -> dict[str, Any]:
    rule = WorkspaceRecord.get(principal.workspace_id).past_due_rule
    now = clock.now()
    resumed: list[str] = []
    refused: list[dict[str, str]] = []
    for record in DeliveryRecord.by_state.query(state_key(principal.workspace_id, State.HELD)):
        if not which(record):
            continue
        key = DeliveryKey.of(record)
        # a retry goes on at its next attempt's time (or a time set while held); a post at its own
        due = record.due_at if deliveries.was_tried(record) else record.publish_at
        if due <= now:
            if rule != PUBLISH:
                refused.append({"delivery": key.id, "reason": "its time passed while it was held; edit its time"})
                continue
            due = now + timedelta(seconds=1)
        try:
            deliveries.resume(record, due_at=due, by=principal.member_id)
        except LostRace:
            continue  # cancelled meanwhile
        arming.arm(PublishMessage(key, due), attempt=int(record.attempt or 0), minimum_delay=1)
        resumed.append(key.id)
    return {"resumed": resumed, "still_held": refused}
