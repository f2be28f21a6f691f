"""The queue's slots: each channel's weekly posting times (its own, or its group's), and taking the next free
slot by a conditional put of a claim item per (channel, slot instant), so two posts added at the same
instant never share one. docs/queue.md says the rules.

What an add costs does not grow with the posts stored: one read of the channel's config (and of its group's
times, when it has none of its own), one conditional put per slot tried from the queue's hint (`free_from`:
every slot before it is taken), one update of the hint. The hint is only ever a lower bound: a claim moves
it on only when nothing was released since it was read (`version`), and a release moves it back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from parley.connect.channels import get_channel
from parley.publishing import slots
from parley.shared import clock
from parley.shared.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from parley.store import DeleteError, PutError, QueueRecord, TransactWriteError, UpdateError
from parley.store import transaction as store_transaction
from parley.store.slot_models import CONFIG, SLOT_PREFIX, as_maps, channel_key, groups_key
from parley.team.members import Principal, Role

GROUP_MAX_CHANNELS = 50
HINT_SLACK = timedelta(minutes=1)


# --- keys ---------------------------------------------------------------------------------------------------


def slot_item(at: datetime) -> str:
    return SLOT_PREFIX + at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slot_time(item: str) -> datetime:
    return datetime.strptime(item.removeprefix(SLOT_PREFIX), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _condition_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


# --- posting times ------------------------------------------------------------------------------------------


def _get(key: str, item: str) -> QueueRecord | None:
    try:
        return QueueRecord.get(key, item, consistent_read=True)
    except QueueRecord.DoesNotExist:
        return None


def _weekly(record: QueueRecord | None) -> slots.Weekly | None:
    if record is None or not record.times or not record.time_zone:
        return None
    rules = [r.as_dict() if hasattr(r, "as_dict") else dict(r) for r in record.times]
    return slots.parse(record.time_zone, rules)


def weekly_for(
    workspace_id: str, channel_id: str, config: QueueRecord | None = None
) -> tuple[slots.Weekly | None, str]:
    """The channel's posting times and where they come from: its own win over its group's."""
    config = config if config is not None else _get(channel_key(workspace_id, channel_id), CONFIG)
    own = _weekly(config)
    if own is not None:
        return own, "channel"
    if config is not None and config.group:
        group = _weekly(_get(groups_key(workspace_id), config.group))
        if group is not None:
            return group, f"group:{config.group}"
    return None, "none"


def _times_view(weekly: slots.Weekly | None, source: str) -> dict[str, Any]:
    if weekly is None:
        return {"time_zone": None, "times": [], "source": "none", "group": None}
    group = source.removeprefix("group:") if source.startswith("group:") else None
    return {"time_zone": weekly.time_zone, "times": weekly.rules(), "source": source.split(":")[0], "group": group}


def get_slots(principal: Principal, channel_id: str) -> dict[str, Any]:
    get_channel(principal.workspace_id, channel_id)
    config = _get(channel_key(principal.workspace_id, channel_id), CONFIG)
    weekly, source = weekly_for(principal.workspace_id, channel_id, config)
    view = _times_view(weekly, source)
    view["channel_id"] = channel_id
    view["member_of"] = config.group if config is not None else None
    return view


def set_slots(
    principal: Principal, channel_id: str, time_zone: str | None, rules: list[dict[str, Any]]
) -> dict[str, Any]:
    """The channel's own posting times (an empty list: none of its own, its group's apply). Posts already in
    the queue keep their times; the hint starts again from now."""
    principal.require(Role.EDITOR)
    channel = get_channel(principal.workspace_id, channel_id)
    weekly = slots.parse(time_zone or channel.time_zone, rules)
    key = channel_key(principal.workspace_id, channel_id)
    actions = [
        QueueRecord.workspace_id.set(principal.workspace_id),
        QueueRecord.updated_at.set(clock.now()),
        QueueRecord.updated_by.set(principal.member_id),
        QueueRecord.free_from.remove(),
        QueueRecord.version.add(1),
    ]
    if weekly.empty:
        actions += [QueueRecord.times.remove(), QueueRecord.time_zone.remove()]
    else:
        actions += [QueueRecord.times.set(as_maps(weekly.rules())), QueueRecord.time_zone.set(weekly.time_zone)]
    QueueRecord(key, CONFIG).update(actions=actions)  # type: ignore[arg-type]
    return get_slots(principal, channel_id)


# --- groups -------------------------------------------------------------------------------------------------


def _group_view(record: QueueRecord) -> dict[str, Any]:
    weekly = _weekly(record)
    return {
        "name": record.item,
        "channels": list(record.channel_ids or []),
        "time_zone": record.time_zone,
        "times": weekly.rules() if weekly else [],
    }


def get_group(principal: Principal, name: str) -> dict[str, Any]:
    record = _get(groups_key(principal.workspace_id), name)
    if record is None:
        raise NotFound(f"no channel group {name!r}")
    return _group_view(record)


def list_groups(principal: Principal) -> dict[str, Any]:
    records = QueueRecord.query(groups_key(principal.workspace_id), consistent_read=True)
    return {"items": [_group_view(r) for r in records]}


def put_group(
    principal: Principal, name: str, channel_ids: list[str], time_zone: str, rules: list[dict[str, Any]]
) -> dict[str, Any]:
    """A named group of channels sharing one set of posting times. A channel is in one group at most; its
    own times, when it has some, win over the group's."""
    principal.require(Role.EDITOR)
    ws = principal.workspace_id
    if len(set(channel_ids)) != len(channel_ids):
        raise ValidationFailed(FieldProblem("channels", "a channel is named twice"))
    if len(channel_ids) > GROUP_MAX_CHANNELS:
        raise ValidationFailed(FieldProblem("channels", f"at most {GROUP_MAX_CHANNELS} channels in a group"))
    weekly = slots.parse(time_zone, rules)
    for channel_id in channel_ids:
        get_channel(ws, channel_id)
    before = _get(groups_key(ws), name)
    leaving = {str(c) for c in before.channel_ids or []} - set(channel_ids) if before else set()
    now = clock.now()
    try:
        with store_transaction() as transaction:
            group = QueueRecord(
                groups_key(ws),
                name,
                workspace_id=ws,
                time_zone=weekly.time_zone,
                times=as_maps(weekly.rules()),
                channel_ids=channel_ids,
                updated_at=now,
                updated_by=principal.member_id,
            )
            transaction.save(group)
            for channel_id in channel_ids:
                free = QueueRecord.group.does_not_exist() | (QueueRecord.group == name)
                transaction.update(
                    QueueRecord(channel_key(ws, channel_id), CONFIG),
                    actions=[
                        QueueRecord.workspace_id.set(ws),
                        QueueRecord.group.set(name),
                        QueueRecord.free_from.remove(),
                        QueueRecord.version.add(1),
                    ],
                    condition=free,
                )
            for channel_id in sorted(leaving):
                transaction.update(
                    QueueRecord(channel_key(ws, channel_id), CONFIG),
                    actions=[QueueRecord.group.remove()],
                    condition=QueueRecord.group == name,
                )
    except TransactWriteError as exc:  # a channel is in another group (or a race)
        if exc.cause_response_code != "TransactionCanceledException":
            raise
        raise Conflict("a channel of this group is in another group: take it out of that one first") from exc
    return _group_view(group)


def delete_group(principal: Principal, name: str) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    ws = principal.workspace_id
    record = _get(groups_key(ws), name)
    if record is None:
        raise NotFound(f"no channel group {name!r}")
    for channel_id in [str(c) for c in record.channel_ids or []]:
        try:
            QueueRecord(channel_key(ws, channel_id), CONFIG).update(
                actions=[QueueRecord.group.remove()], condition=QueueRecord.group == name
            )
        except UpdateError as exc:
            if not _condition_failed(exc):
                raise
    record.delete()
    return {"deleted": name, "channels": list(record.channel_ids or [])}


# --- claims (the seam the other parts of the queue use) ---------------------------------------------------


def _no_times(channel_id: str) -> ValidationFailed:
    return ValidationFailed(
        FieldProblem(
            "publish_at", f"channel {channel_id} has no posting times: set them (PUT /channels/{channel_id}/slots)"
        )
    )


def _claim_one(workspace_id: str, channel_id: str, post_id: str, not_before: datetime) -> datetime:
    key = channel_key(workspace_id, channel_id)
    config = _get(key, CONFIG)
    weekly, _ = weekly_for(workspace_id, channel_id, config)
    if weekly is None or weekly.empty:
        raise _no_times(channel_id)
    hint = config.free_from if config is not None else None
    version = config.version if config is not None else None
    start = max(not_before, hint) if hint is not None else not_before
    now = clock.now()
    for slot in slots.upcoming(weekly, start):
        claim = QueueRecord(key, slot_item(slot), workspace_id=workspace_id, post_id=post_id, claimed_at=now)
        try:
            claim.save(condition=QueueRecord.item.does_not_exist())
        except PutError as exc:
            if _condition_failed(exc):
                continue  # taken: the next one
            raise
        # Every slot from the hint (or now) to this one is taken (or past): the hint may move past it.
        if not_before <= max(hint or now, now) + HINT_SLACK:
            _advance_hint(key, workspace_id, hint, version, slot + timedelta(seconds=1))
        return slot
    raise ValidationFailed(FieldProblem("publish_at", f"channel {channel_id} has no free slot in the coming months"))


def _advance_hint(key: str, workspace_id: str, hint: datetime | None, version: Any, to: datetime) -> None:
    same_version = QueueRecord.version.does_not_exist() if version is None else QueueRecord.version == version
    same_hint = QueueRecord.free_from.does_not_exist() if hint is None else QueueRecord.free_from == hint
    try:
        QueueRecord(key, CONFIG).update(
            actions=[QueueRecord.workspace_id.set(workspace_id), QueueRecord.free_from.set(to)],
            condition=same_version & same_hint,
        )
    except UpdateError as exc:
        if not _condition_failed(exc):
            raise  # else: a release or another claim moved it meanwhile; it stays a lower bound


def claim_next_slots(
    workspace_id: str, channel_ids: list[str], post_id: str, *, not_before: datetime
) -> dict[str, datetime]:
    """Take the next free slot at or after `not_before` on each channel for `post_id` (a conditional put per
    slot: one holder). All or none: what was taken is given back when a channel has no posting times."""
    taken: dict[str, datetime] = {}
    try:
        for channel_id in channel_ids:
            taken[channel_id] = _claim_one(workspace_id, channel_id, post_id, not_before)
    except BaseException:
        release_slots(workspace_id, post_id, taken)
        raise
    return taken


def release_slots(workspace_id: str, post_id: str, slots_held: dict[str, datetime]) -> None:
    """Give back the slots `post_id` holds (a claim another post holds is left alone)."""
    for channel_id, at in slots_held.items():
        key = channel_key(workspace_id, channel_id)
        try:
            QueueRecord(key, slot_item(at)).delete(condition=QueueRecord.post_id == post_id)
        except DeleteError as exc:
            if _condition_failed(exc):
                continue
            raise
        _lower_hint(key, workspace_id, at)


def leave_slots(workspace_id: str, post_id: str, slots_held: dict[str, datetime]) -> None:
    """Deliveries of `post_id` left the queue (cancelled, rejected back to a draft, missed while waiting for
    approval, given a time of their own): the slots they held that are still to come are free for the next
    add. A slot already passed keeps its claim: no add can take it (adds, the queue and the calendar start
    from now), so freeing it would only move the hint back to a passed instant and change `version` (which
    stops a racing add from moving the hint on) for nothing; the claim still says who held it."""
    now = clock.now()
    release_slots(workspace_id, post_id, {c: at for c, at in slots_held.items() if at is not None and at > now})


def _lower_hint(key: str, workspace_id: str, at: datetime) -> None:
    try:
        QueueRecord(key, CONFIG).update(
            actions=[
                QueueRecord.workspace_id.set(workspace_id),
                QueueRecord.free_from.set(at),
                QueueRecord.version.add(1),
            ],
            condition=QueueRecord.free_from > at,
        )
    except UpdateError as exc:
        if not _condition_failed(exc):
            raise
        # the hint is at or before it already (or unset): a claim that read the hint before still must not
        # move it past this slot
        QueueRecord(key, CONFIG).update(
            actions=[QueueRecord.workspace_id.set(workspace_id), QueueRecord.version.add(1)]
        )


def holder(workspace_id: str, channel_id: str, at: datetime) -> str | None:
    """The post holding the slot at `at` on the channel, if any."""
    record = _get(channel_key(workspace_id, channel_id), slot_item(at))
    return record.post_id if record is not None else None


def claims(
    workspace_id: str, channel_id: str, start: datetime, end: datetime | None, limit: int | None = None
) -> dict[datetime, str]:
    """The taken slots in [start, end) (end None: open), in order: instant -> post id. One Query."""
    key = channel_key(workspace_id, channel_id)
    if end is None:
        condition = QueueRecord.item.between(slot_item(start), SLOT_PREFIX + "9")
    else:
        condition = QueueRecord.item.between(slot_item(start), slot_item(end - timedelta(seconds=1)))
    found: dict[datetime, str] = {}
    for record in QueueRecord.query(key, condition, consistent_read=True, limit=limit):
        found[slot_time(record.item)] = str(record.post_id)
        if limit is not None and len(found) >= limit:
            break
    return found


def free_slots(workspace_id: str, channel_id: str, start: datetime, end: datetime) -> list[datetime]:
    """The channel's slots in [start, end) that no post holds."""
    weekly, _ = weekly_for(workspace_id, channel_id)
    if weekly is None:
        return []
    taken = claims(workspace_id, channel_id, start, end)
    return [s for s in slots.between(weekly, start, end) if s not in taken]


def free_slots_of(
    workspace_id: str, channel_ids: list[str], start: datetime, end: datetime
) -> dict[str, list[datetime]]:
    """`free_slots` of many channels (the calendar's): their posting times in one BatchGetItem (their groups'
    in one more), then one Query of claims per channel that has posting times."""
    configs = _batch_get([(channel_key(workspace_id, c), CONFIG) for c in channel_ids])
    groups = _batch_get(sorted({(groups_key(workspace_id), str(r.group)) for r in configs.values() if r.group}))
    free: dict[str, list[datetime]] = {}
    for channel_id in channel_ids:
        config = configs.get((channel_key(workspace_id, channel_id), CONFIG))
        weekly = _weekly(config)
        if weekly is None and config is not None and config.group:  # its own times win over its group's
            weekly = _weekly(groups.get((groups_key(workspace_id), str(config.group))))
        taken = claims(workspace_id, channel_id, start, end) if weekly else {}
        free[channel_id] = [s for s in slots.between(weekly, start, end) if s not in taken] if weekly else []
    return free


def _batch_get(keys: list[tuple[str, str]]) -> dict[tuple[str, str], QueueRecord]:
    if not keys:
        return {}
    return {(str(r.queue_key), str(r.item)): r for r in QueueRecord.batch_get(keys, consistent_read=True)}
