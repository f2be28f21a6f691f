"""Holding a workspace's queued posts (by hand now; automatically on a listening spike later) and
resuming them. Each delivery still to go out (scheduled, or a retry waiting for its next attempt) moves
through `parley.publishing.deliveries` (a conditional write: one that starts publishing meanwhile is simply
not held), and its schedule goes with it: removed on hold, restored on resume (a retry back to retrying,
its attempts counted). A delivery whose time passed while held publishes at once or stays held, by the workspace's
`past_due_rule`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from parley.publishing import deliveries
from parley.publishing.deliveries import State, state_key
from parley.scheduling import Arming, PublishMessage
from parley.shared import clock
from parley.shared.errors import LostRace
from parley.store import DeliveryRecord, WorkspaceRecord
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
    held: list[str] = []
    # A Query per state on the workspace's `by_state` index, never a scan.
    for state in HOLDABLE:
        for record in DeliveryRecord.by_state.query(state_key(principal.workspace_id, state)):
            try:
                deliveries.hold(record, by=principal.member_id)
            except LostRace:
                continue  # it started publishing (or was cancelled) meanwhile
            key = DeliveryKey.of(record)
            # its schedule is named by its attempt; a message already queued finds it held and stops
            arming.cancel(key, int(record.attempt or 0))
            held.append(key.id)
    return {"held": held}


def resume_workspace(principal: Principal, arming: Arming) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    rule = WorkspaceRecord.get(principal.workspace_id).past_due_rule
    now = clock.now()
    resumed: list[str] = []
    refused: list[dict[str, str]] = []
    for record in DeliveryRecord.by_state.query(state_key(principal.workspace_id, State.HELD)):
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
    WorkspaceRecord(principal.workspace_id).update(actions=[WorkspaceRecord.held_since.remove()])
    return {"resumed": resumed, "still_held": refused}
