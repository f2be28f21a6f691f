"""Posts in the queue: adding one (`"publish_at": "next_slot"`, or an existing post moved to the next free
slots), reordering (swap two posts' slots; move one up or down past its neighbour), pausing and resuming a
channel's queue, and the queue as a list of upcoming slots, filled and free. The slots themselves and their
claims are parley.publishing.queue's; schedules are armed through parley.scheduling's arming only.
docs/queue.md says the rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from parley.connect.channels import get_channel
from parley.publishing import approval, deliveries, drafts, holds, posts, queue, quotas, slots
from parley.publishing.deliveries import EDITABLE, State, state_key
from parley.scheduling import Arming, PublishMessage
from parley.shared import clock, ids, timeparse
from parley.shared.errors import Conflict, FieldProblem, LostRace, NotFound, ValidationFailed
from parley.shared.pagination import Listing, decode_cursor, encode_cursor
from parley.store import DeliveryRecord, PostRecord, QueueRecord, TransactWriteError
from parley.store import transaction as store_transaction
from parley.store.keys import DeliveryKey
from parley.store.slot_models import channel_key
from parley.team.members import Principal, Role

NEXT_SLOT = "next_slot"
MAX_PAGE = 100
PREVIEW_CHARS = 80


def _check_channel_ids(channel_ids: list[str]) -> None:
    if not channel_ids:
        raise ValidationFailed(FieldProblem("channels", "name at least one channel"))
    if len(set(channel_ids)) != len(channel_ids):
        raise ValidationFailed(FieldProblem("channels", "a channel is named twice"))
    if len(channel_ids) > posts.MAX_CHANNELS:
        raise ValidationFailed(FieldProblem("channels", f"at most {posts.MAX_CHANNELS} channels per post"))


def create_queued(principal: Principal, arming: Arming, draft: posts.PostDraft) -> dict[str, Any]:
    """`POST /posts` with `"publish_at": "next_slot"`: the next free slot on each channel, then the post is
    queued exactly as a timed one (posts.create_post), each delivery at its own slot (a contributor's, with
    approval on: waiting for approval at those slots). Refused: its slots are given back."""
    principal.require(Role.CONTRIBUTOR)
    ws = principal.workspace_id
    _check_channel_ids(draft.channel_ids)
    for channel_id in draft.channel_ids:
        get_channel(ws, channel_id)  # 404 before anything is taken
    post_id = draft.post_id or "p_" + ids.new_id()  # given: an evergreen post's first round (publishing.series)
    taken = queue.claim_next_slots(ws, draft.channel_ids, post_id, not_before=clock.now())
    timed = replace(
        draft, publish_at=queue.iso(min(taken.values())), time_zone=None, post_id=post_id, delivery_times=taken
    )
    try:
        return posts.create_post(principal, arming, timed)
    except BaseException:
        queue.release_slots(ws, post_id, taken)
        raise


def _load(principal: Principal, post_id: str) -> tuple[PostRecord, list[DeliveryRecord]]:
    try:
        post = PostRecord.get(principal.workspace_id, post_id, consistent_read=True)
    except PostRecord.DoesNotExist as exc:
        raise NotFound(f"no post {post_id}") from exc
    records = [r for r in DeliveryRecord.query(post_id, consistent_read=True) if r.workspace_id == post.workspace_id]
    return post, records


def _sync_post_time(workspace_id: str, post_id: str) -> None:
    """The post's publish_at is the earliest of its deliveries'."""
    records = list(DeliveryRecord.query(post_id, consistent_read=True))
    if not records:
        return
    earliest = min(r.publish_at for r in records)
    PostRecord(workspace_id, post_id).update(
        actions=[
            PostRecord.publish_at.set(earliest),
            PostRecord.publish_key.set(posts.publish_key(earliest, post_id)),
            PostRecord.updated_at.set(clock.now()),
        ]
    )


def _rearm(arming: Arming, record: DeliveryRecord, at: datetime) -> None:
    if record.state in approval.ARMED:  # scheduled, or waiting for approval at its time
        arming.arm(PublishMessage(DeliveryKey.of(record), at), attempt=0, replacing=True)


def queue_post(principal: Principal, arming: Arming, post_id: str) -> dict[str, Any]:
    """`POST /posts/{id}/queue`: its deliveries still scheduled or held move to the next free slots (the
    slots they held are given back); the others are left as they are and said why."""
    principal.require(Role.CONTRIBUTOR)
    ws = principal.workspace_id
    post, records = _load(principal, post_id)
    if drafts.is_draft(records):
        return _queue_draft(principal, arming, post, records)
    principal.require(Role.EDITOR)
    editable = [r for r in records if State(r.state) in EDITABLE and r.state != State.DRAFT.value]
    if not editable:
        raise Conflict(
            "nothing to queue: every delivery has gone out or ended",
            {"deliveries": [{"channel_id": r.channel_id, "state": r.state} for r in records]},
        )
    taken = queue.claim_next_slots(ws, [r.channel_id for r in editable], post_id, not_before=clock.now())
    over = quotas.check(ws, [get_channel(ws, c) for c in taken], min(taken.values()), post_id, taken)
    if over:  # each channel's quota at its new slot: refused, the slots just taken are given back
        queue.release_slots(ws, post_id, taken)
        raise ValidationFailed(over)
    changed, unchanged = [], []
    for record in records:
        if record.channel_id not in taken:
            unchanged.append(
                {"channel_id": record.channel_id, "state": record.state, "reason": "already " + record.state}
            )
            continue
        old, new = record.publish_at, taken[record.channel_id]
        try:
            deliveries.edit(record, by=principal.member_id, publish_at=new, publish_key=posts.publish_key(new, post_id))
        except LostRace:
            queue.release_slots(ws, post_id, {record.channel_id: new})
            fresh = deliveries.get(DeliveryKey.of(record)) or record
            unchanged.append(
                {"channel_id": record.channel_id, "state": fresh.state, "reason": "already " + fresh.state}
            )
            continue
        if old != new:
            queue.leave_slots(ws, post_id, {record.channel_id: old})
        _rearm(arming, record, new)
        changed.append(record.channel_id)
    if changed:
        _sync_post_time(ws, post_id)
    return {"post": posts.get_post(principal, post_id), "changed": changed, "unchanged": unchanged}


def _queue_draft(
    principal: Principal, arming: Arming, post: PostRecord, records: list[DeliveryRecord]
) -> dict[str, Any]:
    """A draft added to the queue: the next free slot on each of its channels, then scheduled as a PATCH of
    its time would (a contributor's, with approval on: submitted for approval at those slots)."""
    ws, post_id = principal.workspace_id, post.post_id
    waiting = [r for r in records if r.state == State.DRAFT.value]
    taken = queue.claim_next_slots(ws, [r.channel_id for r in waiting], post_id, not_before=clock.now())
    first = posts.PostChanges(publish_at=queue.iso(min(taken.values())))
    try:
        changed = drafts.schedule(principal, arming, post, waiting, first, delivery_times=taken)
    except BaseException:
        queue.release_slots(ws, post_id, taken)
        raise
    unchanged = [{"channel_id": r.channel_id, "state": r.state, "reason": "already " + r.state} for r in records]
    unchanged = [u for u in unchanged if u["channel_id"] not in set(changed)]
    return {"post": posts.get_post(principal, post_id), "changed": changed, "unchanged": unchanged}


def _leaving(principal: Principal, post_id: str, act: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """`act` on the post, then the deliveries it changed leave the slots they held (queue.leave_slots)."""
    _, before = _load(principal, post_id)
    outcome = act()
    times = {r.channel_id: r.publish_at for r in before if r.channel_id in set(outcome["changed"]) and r.publish_at}
    queue.leave_slots(principal.workspace_id, post_id, times)
    return outcome


def cancel_post(principal: Principal, arming: Arming, post_id: str) -> dict[str, Any]:
    """posts.cancel_post, and the slots still to come of the deliveries it cancelled are free again."""
    return _leaving(principal, post_id, lambda: posts.cancel_post(principal, arming, post_id))


def publish_now(principal: Principal, arming: Arming, post_id: str) -> dict[str, Any]:
    """posts.publish_now: the deliveries it sends now leave the slots they held (free again, still to come)."""
    return _leaving(principal, post_id, lambda: posts.publish_now(principal, arming, post_id))


def edit_post(principal: Principal, arming: Arming, post_id: str, changes: posts.PostChanges) -> dict[str, Any]:
    """posts.edit_post; a delivery given a time of its own leaves its slot in the queue (free again, when it
    is still to come). Given its own slot's time again, it keeps the slot (else a later add would share it)."""
    if changes.publish_at is None:
        return posts.edit_post(principal, arming, post_id, changes)
    _, before = _load(principal, post_id)
    outcome = posts.edit_post(principal, arming, post_id, changes)
    deliveries_now = outcome["post"]["deliveries"]
    after = {d["channel_id"]: datetime.fromisoformat(d["publish_at"]) for d in deliveries_now if d["publish_at"]}
    changed = set(outcome["changed"])
    times = {r.channel_id: r.publish_at for r in before if r.channel_id in changed and r.publish_at}
    times = {channel_id: at for channel_id, at in times.items() if after.get(channel_id) != at}
    queue.leave_slots(principal.workspace_id, post_id, times)
    return outcome


# --- reordering ---------------------------------------------------------------------------------------------


def _queued(principal: Principal, channel_id: str, post_id: str, field: str) -> DeliveryRecord:
    record = deliveries.get(DeliveryKey(principal.workspace_id, post_id, channel_id))
    if record is None:
        raise NotFound(f"post {post_id} has no delivery on channel {channel_id}")
    if State(record.state) not in EDITABLE:
        raise Conflict(f"post {post_id} is {record.state} on this channel: it cannot move", {"state": record.state})
    if queue.holder(principal.workspace_id, channel_id, record.publish_at) != post_id:
        raise ValidationFailed(
            FieldProblem(field, f"post {post_id} is not in this channel's queue (it has a set time)")
        )
    if record.publish_at <= clock.now():
        raise Conflict(f"post {post_id} is due now: it cannot move", {"state": record.state})
    return record


def swap(principal: Principal, arming: Arming, channel_id: str, first: str, second: str) -> dict[str, Any]:
    """Two queued posts trade their slots on the channel, in one transaction conditioned on both deliveries
    still being where they were (a publish or a cancel meanwhile wins: 409, nothing changed)."""
    principal.require(Role.EDITOR)
    ws = principal.workspace_id
    get_channel(ws, channel_id)
    if first == second:
        raise ValidationFailed(FieldProblem("posts", "name two different posts"))
    a, b = _queued(principal, channel_id, first, "posts[0]"), _queued(principal, channel_id, second, "posts[1]")
    at_a, at_b = a.publish_at, b.publish_at
    key = channel_key(ws, channel_id)
    now = clock.now()
    try:
        with store_transaction() as transaction:
            for record, to, held_by, new_holder in ((a, at_b, first, second), (b, at_a, second, first)):
                transaction.update(
                    QueueRecord(key, queue.slot_item(record.publish_at)),
                    actions=[QueueRecord.post_id.set(new_holder), QueueRecord.claimed_at.set(now)],
                    condition=QueueRecord.post_id == held_by,
                )
                transaction.update(
                    record,
                    actions=[
                        DeliveryRecord.publish_at.set(to),
                        DeliveryRecord.publish_key.set(posts.publish_key(to, record.post_id)),
                        DeliveryRecord.due_at.set(to),
                        DeliveryRecord.updated_at.set(now),
                    ],
                    condition=(DeliveryRecord.state == record.state) & (DeliveryRecord.publish_at == record.publish_at),
                )
    except TransactWriteError as exc:  # one of them moved, went out or was cancelled meanwhile
        if exc.cause_response_code != "TransactionCanceledException":
            raise
        raise Conflict(
            "one of the two posts changed meanwhile (published, cancelled or moved): nothing swapped"
        ) from exc
    _rearm(arming, a, at_b)
    _rearm(arming, b, at_a)
    for post_id in (first, second):
        _sync_post_time(ws, post_id)
    return {"channel_id": channel_id, "slots": {first: queue.iso(at_b), second: queue.iso(at_a)}}


def move(principal: Principal, arming: Arming, channel_id: str, post_id: str, direction: str) -> dict[str, Any]:
    """A queued post trades slots with its neighbour in the channel's queue: `up` the one before it (not a
    past one), `down` the one after it."""
    principal.require(Role.EDITOR)
    ws = principal.workspace_id
    get_channel(ws, channel_id)
    record = _queued(principal, channel_id, post_id, "post_id")
    now = clock.now()
    key = channel_key(ws, channel_id)
    here = queue.slot_item(record.publish_at)
    if direction == "up":
        low = queue.slot_item(now + timedelta(seconds=1))
        if low >= here:
            raise Conflict(f"post {post_id} is already first in the queue")
        found = QueueRecord.query(
            key, QueueRecord.item.between(low, here), scan_index_forward=False, consistent_read=True, limit=2
        )
    else:
        found = QueueRecord.query(key, QueueRecord.item > here, consistent_read=True, limit=1)
    neighbour = next((r for r in found if r.item != here), None)
    if neighbour is None:
        raise Conflict(f"post {post_id} is already {'first' if direction == 'up' else 'last'} in the queue")
    return swap(principal, arming, channel_id, post_id, str(neighbour.post_id))


# --- pause and resume ---------------------------------------------------------------------------------------


def pause(principal: Principal, arming: Arming, channel_id: str) -> dict[str, Any]:
    """The channel is paused (parley.publishing.holds): what is queued on it is held, posts added meanwhile
    take their slots and are held too; slots that pass while paused are skipped."""
    principal.require(Role.EDITOR)
    get_channel(principal.workspace_id, channel_id)  # 404 for a channel that is not the workspace's
    held = holds.pause_channel(principal, arming, channel_id)
    return {"channel_id": channel_id, "paused": True, "held": held}


def resume(principal: Principal, arming: Arming, channel_id: str) -> dict[str, Any]:
    """Queued posts whose slot passed while paused take the next free slots from now (in their old order);
    the others keep their times; then the channel resumes (holds.unpause_channel re-arms them)."""
    principal.require(Role.EDITOR)
    ws = principal.workspace_id
    get_channel(ws, channel_id)
    now = clock.now()
    passed = [
        r
        for r in DeliveryRecord.by_state.query(state_key(ws, State.HELD))
        if r.channel_id == channel_id and r.publish_at <= now and not deliveries.was_tried(r)
    ]
    moved: dict[str, str] = {}
    for record in sorted(passed, key=lambda r: r.publish_at):
        if queue.holder(ws, channel_id, record.publish_at) != record.post_id:
            continue  # a post with a set time: the workspace's past-due rule decides
        new = queue.claim_next_slots(ws, [channel_id], record.post_id, not_before=now)[channel_id]
        old = record.publish_at
        try:
            deliveries.edit(
                record, by=principal.member_id, publish_at=new, publish_key=posts.publish_key(new, record.post_id)
            )
        except LostRace:
            queue.release_slots(ws, record.post_id, {channel_id: new})
            continue
        queue.leave_slots(ws, record.post_id, {channel_id: old})  # passed: its claim stays
        _sync_post_time(ws, record.post_id)
        moved[record.post_id] = queue.iso(new)
    outcome = holds.unpause_channel(principal, arming, channel_id)
    return {"channel_id": channel_id, "paused": False, "moved": moved, **outcome}


# --- the queue as a list ------------------------------------------------------------------------------------


def queue_view(
    principal: Principal, channel_id: str, start: datetime | None, limit: int, cursor: str | None
) -> dict[str, Any]:
    """Upcoming slots in order from `start` (default now), filled (the post, a preview, its state) and free,
    and posts queued at a time that is no longer a slot (the times changed: they keep theirs)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(FieldProblem("limit", f"must be between 1 and {MAX_PAGE}"))
    ws = principal.workspace_id
    channel = get_channel(ws, channel_id)
    begin = timeparse.utc(start, "from") if start else clock.now()
    listing = Listing(ws, f"channels/{channel_id}/queue", {"from": queue.iso(start) if start else None})
    after = decode_cursor(cursor, listing)
    if after is not None:
        begin = datetime.fromisoformat(str(after["after"])).astimezone(UTC) + timedelta(seconds=1)
    weekly, source = queue.weekly_for(ws, channel_id)
    instants: list[datetime] = []
    if weekly is not None:
        for slot in slots.upcoming(weekly, begin):
            instants.append(slot)
            if len(instants) >= limit:
                break
    end = instants[-1] + timedelta(seconds=1) if len(instants) >= limit else None
    taken = queue.claims(ws, channel_id, begin, end, limit=None if end else limit)
    entries = sorted(set(instants) | set(taken))[:limit]
    found = {
        r.post_id: r
        for r in DeliveryRecord.batch_get(sorted({(taken[at], channel_id) for at in entries if at in taken}))
        if r.workspace_id == ws
    }
    zone = ZoneInfo(weekly.time_zone if weekly else channel.time_zone)
    items = []
    for at in entries:
        post_id = taken.get(at)
        record = found.get(post_id) if post_id else None
        items.append(
            {
                "at": queue.iso(at),
                "local": at.astimezone(zone).isoformat(),
                "slot": at in instants,
                "post": None
                if post_id is None
                else {
                    "id": post_id,
                    "text": (record.text[:PREVIEW_CHARS] if record else None),
                    "state": record.state if record else None,
                },
            }
        )
    more = len(entries) >= limit
    return {
        "channel_id": channel_id,
        "paused": channel.paused_since is not None,
        "source": source.split(":")[0],
        "items": items,
        "next_cursor": encode_cursor({"after": queue.iso(entries[-1])}, listing) if more and entries else None,
    }
