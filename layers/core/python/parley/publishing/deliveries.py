"""The delivery state machine: the one module that changes a delivery's state.

Every transition is a single conditional UpdateItem on the current state (and, while publishing, on
the lease), so two racing actors — a duplicate event, a cancel during a publish, a retry after a
crash — have exactly one winner. The loser gets `LostRace` and does nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from parley.shared import clock
from parley.shared.errors import LostRace
from parley.shared.names import LEASE_SECONDS
from parley.store import Condition, DeliveryRecord, TransactWriteError, UpdateError, transaction
from parley.store.keys import DeliveryKey


class State(StrEnum):
    DRAFT = "draft"  # not armed: no time yet, or not submitted (parley.publishing.drafts)
    PENDING_APPROVAL = "pending_approval"  # armed: approved in time, or cancelled as missed (publishing.approval)
    SCHEDULED = "scheduled"
    HELD = "held"
    PUBLISHING = "publishing"
    RETRYING = "retrying"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PARTIAL = "partial"  # a thread of which some parts are out and the rest never will be (docs/threads.md)


FINAL = frozenset({State.PUBLISHED, State.FAILED, State.CANCELLED, State.PARTIAL})
EDITABLE = frozenset({State.SCHEDULED, State.HELD, State.PENDING_APPROVAL, State.DRAFT})
# What has not gone out and has no attempt under way: what a hold or a cancel acts on. A retry waiting
# for its next attempt is one (its schedule is named by its attempt: scheduling.arming.schedule_name);
# `publishing` is not: the attempt may be going out right now.
PENDING = frozenset({State.SCHEDULED, State.HELD, State.RETRYING, State.DRAFT, State.PENDING_APPROVAL})
# Why a delivery that waited for approval ended cancelled when its time came (docs/approval.md).
MISSED_APPROVAL = "missed_approval"

# DESIGN.md's table; each function below enforces its row with a condition.
TRANSITIONS: frozenset[tuple[State, State]] = frozenset(
    {
        (State.SCHEDULED, State.PUBLISHING),
        (State.SCHEDULED, State.CANCELLED),
        (State.HELD, State.CANCELLED),
        (State.RETRYING, State.CANCELLED),
        (State.SCHEDULED, State.HELD),
        (State.RETRYING, State.HELD),
        (State.HELD, State.SCHEDULED),
        (State.HELD, State.RETRYING),  # resuming a held retry: it keeps its attempts
        (State.PUBLISHING, State.PUBLISHED),
        (State.PUBLISHING, State.RETRYING),
        (State.RETRYING, State.PUBLISHING),
        (State.PUBLISHING, State.FAILED),
        (State.RETRYING, State.FAILED),
        (State.PUBLISHING, State.PUBLISHING),  # takeover of an expired lease
        # drafts and approval (docs/approval.md)
        (State.DRAFT, State.SCHEDULED),  # a time given by whoever may publish
        (State.DRAFT, State.HELD),  # ... while the workspace or the channel is held
        (State.DRAFT, State.PENDING_APPROVAL),  # a contributor submits it (armed for its time)
        (State.DRAFT, State.CANCELLED),
        (State.PENDING_APPROVAL, State.SCHEDULED),  # approved before its time
        (State.PENDING_APPROVAL, State.HELD),  # approved while held
        (State.PENDING_APPROVAL, State.DRAFT),  # rejected: back to its writer
        (State.PENDING_APPROVAL, State.CANCELLED),  # cancelled, or its time came first (missed_approval)
        (State.SCHEDULED, State.PENDING_APPROVAL),  # a contributor edited an approved post
        # threads (docs/threads.md): a part failed for good, or a cancel came, after the first part was out
        (State.PUBLISHING, State.PARTIAL),
        (State.RETRYING, State.PARTIAL),
    }
)


def state_key(workspace_id: str, state: State) -> str:
    return f"{workspace_id}#{state.value}"


def publish_key(publish_at: datetime, post_id: str) -> str:
    """The sort key of a post by its time: UTC, so that keys compare as times do."""
    return f"{publish_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{post_id}"


def new_delivery(
    key: DeliveryKey,
    *,
    network: str,
    text: str,
    publish_at: datetime | None,  # None: a draft without a time
    publish_key: str,
    state: State = State.SCHEDULED,
) -> DeliveryRecord:
    now = clock.now()
    return DeliveryRecord(
        key.post_id,
        key.channel_id,
        workspace_id=key.workspace_id,
        network=network,
        text=text,
        state=state.value,
        state_key=state_key(key.workspace_id, state),
        publish_at=publish_at,
        publish_key=publish_key,
        due_at=publish_at,
        attempt=0,
        updated_at=now,
        history=[{"at": now.isoformat(), "to": state.value, "by": "api"}],
        tallied=True,  # its clicks are added up per delivery from the start (docs/metrics.md)
    )


def get(key: DeliveryKey) -> DeliveryRecord | None:
    try:
        record = DeliveryRecord.get(key.post_id, key.channel_id, consistent_read=True)
    except DeliveryRecord.DoesNotExist:
        return None
    return record if record.workspace_id == key.workspace_id else None


def _transition(
    record: DeliveryRecord,
    to: State,
    condition: Condition,
    by: str,
    actions: list[object] | None = None,
) -> DeliveryRecord:
    now = clock.now()
    entry = {"at": now.isoformat(), "from": record.state, "to": to.value, "by": by}
    update = [
        DeliveryRecord.state.set(to.value),
        DeliveryRecord.state_key.set(state_key(record.workspace_id, to)),
        DeliveryRecord.updated_at.set(now),
        DeliveryRecord.history.set(DeliveryRecord.history.append([entry])),  # type: ignore[arg-type]
        *(actions or []),
    ]
    try:
        record.update(actions=update, condition=condition)  # type: ignore[arg-type]
    except UpdateError as exc:
        if _is_condition_failure(exc):
            raise LostRace(f"delivery {record.post_id}.{record.channel_id} is not {condition}") from exc
        raise
    return record


def _is_condition_failure(exc: UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def _in(*states: State) -> Condition:
    return DeliveryRecord.state.is_in(*(s.value for s in states))


def start_publishing(record: DeliveryRecord, *, due_at: datetime, by: str) -> DeliveryRecord:
    """Win the right to publish: a due attempt (scheduled/retrying at `due_at`) or an expired lease.

    Returns the record with a fresh lease (`lease_token` is the holder's proof)."""
    now = clock.now()
    due = _in(State.SCHEDULED, State.RETRYING) & (DeliveryRecord.due_at == due_at)
    expired = (DeliveryRecord.state == State.PUBLISHING.value) & (DeliveryRecord.lease_until < now)
    token = uuid.uuid4().hex
    return _transition(
        record,
        State.PUBLISHING,
        due | expired,
        by,
        [
            DeliveryRecord.lease_until.set(now + timedelta(seconds=LEASE_SECONDS)),
            DeliveryRecord.lease_token.set(token),
            DeliveryRecord.attempt.add(1),
        ],
    )


def _holding(record: DeliveryRecord) -> Condition:
    return (DeliveryRecord.state == State.PUBLISHING.value) & (DeliveryRecord.lease_token == record.lease_token)


def mark_published(
    record: DeliveryRecord, *, remote_id: str, url: str, published_at: datetime, by: str
) -> DeliveryRecord:
    lag_ms = int((published_at - record.publish_at).total_seconds() * 1000)
    return _transition(
        record,
        State.PUBLISHED,
        _holding(record),
        by,
        [
            DeliveryRecord.remote_id.set(remote_id),
            DeliveryRecord.url.set(url),
            DeliveryRecord.published_at.set(published_at),
            DeliveryRecord.lag_ms.set(lag_ms),
            DeliveryRecord.lease_until.remove(),
            DeliveryRecord.lease_token.remove(),
        ],
    )


def mark_retrying(record: DeliveryRecord, *, next_attempt_at: datetime, error: str, by: str) -> DeliveryRecord:
    return _transition(
        record,
        State.RETRYING,
        _holding(record),
        by,
        [
            DeliveryRecord.due_at.set(next_attempt_at),
            DeliveryRecord.last_error.set(error),
            DeliveryRecord.lease_until.remove(),
            DeliveryRecord.lease_token.remove(),
        ],
    )


def mark_failed(record: DeliveryRecord, *, reason: str, by: str) -> DeliveryRecord:
    """From publishing (by the lease holder) or from retrying (nobody holds it)."""
    retrying = (DeliveryRecord.state == State.RETRYING.value) & (DeliveryRecord.due_at == record.due_at)
    condition = _holding(record) if record.state == State.PUBLISHING.value else retrying
    return _transition(
        record,
        State.FAILED,
        condition,
        by,
        [
            DeliveryRecord.failure_reason.set(reason),
            DeliveryRecord.lease_until.remove(),
            DeliveryRecord.lease_token.remove(),
        ],
    )


def note_part(record: DeliveryRecord, part: dict[str, Any]) -> DeliveryRecord:
    """A thread's part is out: add it to `parts_out`, by the lease holder only (LostRace: the lease is gone,
    and whoever took over looks for this part before posting it)."""
    entry = DeliveryRecord.parts_out.append([part])  # type: ignore[list-item]
    actions = [
        DeliveryRecord.parts_out.set(entry if record.parts_out else [part]),  # type: ignore[list-item]
        DeliveryRecord.updated_at.set(clock.now()),
    ]
    try:
        record.update(actions=actions, condition=_holding(record))  # type: ignore[arg-type]
    except UpdateError as exc:
        if _is_condition_failure(exc):
            raise LostRace(f"delivery {record.post_id}.{record.channel_id}: its lease is gone") from exc
        raise
    return record


def request_stop(record: DeliveryRecord, *, by: str) -> DeliveryRecord:
    """A cancel while a thread goes out: it stops before its next part (parley.publishing.thread_steps)."""
    try:
        record.update(
            actions=[DeliveryRecord.stop_requested_by.set(by)],  # type: ignore[list-item]
            condition=DeliveryRecord.state == State.PUBLISHING.value,
        )
    except UpdateError as exc:
        if _is_condition_failure(exc):
            raise LostRace(f"delivery {record.post_id}.{record.channel_id} is no longer publishing") from exc
        raise
    return record


def mark_partial(record: DeliveryRecord, *, reason: str, by: str) -> DeliveryRecord:
    """A thread that will not go out whole: the parts out stay recorded, the first is the delivery's post."""
    retrying = (DeliveryRecord.state == State.RETRYING.value) & (DeliveryRecord.due_at == record.due_at)
    condition = _holding(record) if record.state == State.PUBLISHING.value else retrying
    parts = [p.as_dict() if hasattr(p, "as_dict") else dict(p) for p in record.parts_out or []]
    first = next((p for p in parts if int(p["index"]) == 0), None)
    actions: list[object] = [
        DeliveryRecord.failure_reason.set(reason),
        DeliveryRecord.lease_until.remove(),
        DeliveryRecord.lease_token.remove(),
    ]
    if first is not None:  # the delivery's post is out: its id, URL and time (so it is watched, and shown)
        actions += [DeliveryRecord.remote_id.set(str(first["remote_id"])), DeliveryRecord.url.set(str(first["url"]))]
        if first.get("at") and record.publish_at is not None:
            published_at = datetime.fromisoformat(str(first["at"]))
            lag_ms = int((published_at - record.publish_at).total_seconds() * 1000)
            actions += [DeliveryRecord.published_at.set(published_at), DeliveryRecord.lag_ms.set(lag_ms)]
    return _transition(record, State.PARTIAL, condition, by, actions)


def cancel(record: DeliveryRecord, *, by: str) -> DeliveryRecord:
    return _transition(record, State.CANCELLED, _in(*PENDING), by)


def hold(record: DeliveryRecord, *, by: str) -> DeliveryRecord:
    return _transition(record, State.HELD, _in(State.SCHEDULED, State.RETRYING), by)


def was_tried(record: DeliveryRecord) -> bool:
    """An attempt has been made (a held delivery that was retrying): `attempt` counts them, and a scheduled
    delivery has made none (it leaves `scheduled` only by starting one)."""
    return int(record.attempt or 0) > 0


def resume(record: DeliveryRecord, *, due_at: datetime, by: str) -> DeliveryRecord:
    """Back to what it was before the hold: scheduled, or retrying with its attempts counted (so the next
    one looks first and the limit holds), due at `due_at`."""
    to = State.RETRYING if was_tried(record) else State.SCHEDULED  # a held delivery's attempts cannot change
    return _transition(record, to, _in(State.HELD), by, [DeliveryRecord.due_at.set(due_at)])


def edit(
    record: DeliveryRecord,
    *,
    by: str,
    text: str | None = None,
    publish_at: datetime | None = None,
    publish_key: str | None = None,
    link_card: dict[str, Any] | Literal[False] | None = False,
    back_to_approval: bool = False,
) -> DeliveryRecord:
    """Change the text, the time or the link card (None: no card; False: keep it) of a delivery that has
    not gone out; its state stays what it was, but for a scheduled one a contributor changed
    (`back_to_approval`): it goes back to `pending_approval` in the same write."""
    state = State(record.state)
    if state not in EDITABLE:
        raise LostRace(f"delivery {record.post_id}.{record.channel_id} is {state}")
    if back_to_approval and state == State.SCHEDULED:
        changes = _edits(text, publish_at, publish_key, link_card)
        return _transition(record, State.PENDING_APPROVAL, DeliveryRecord.state == state.value, by, changes)
    actions = [DeliveryRecord.updated_at.set(clock.now()), *_edits(text, publish_at, publish_key, link_card)]
    try:
        record.update(actions=actions, condition=DeliveryRecord.state == state.value)  # type: ignore[arg-type]
    except UpdateError as exc:
        if _is_condition_failure(exc):
            raise LostRace(f"delivery {record.post_id}.{record.channel_id} is no longer {state}") from exc
        raise
    return record


def _edits(
    text: str | None,
    publish_at: datetime | None,
    publish_key: str | None,
    link_card: dict[str, Any] | Literal[False] | None,
) -> list[object]:
    actions: list[object] = []
    if text is not None:
        actions.append(DeliveryRecord.text.set(text))
    if link_card is not False:
        actions.append(DeliveryRecord.link_card.set(link_card) if link_card else DeliveryRecord.link_card.remove())
    if publish_at is not None and publish_key is not None:
        actions += [
            DeliveryRecord.publish_at.set(publish_at),
            DeliveryRecord.publish_key.set(publish_key),
            DeliveryRecord.due_at.set(publish_at),
        ]
    return actions


@dataclass
class Move:
    """One delivery's part of `move_together`: to a state, with what else changes (its time, its text)."""

    record: DeliveryRecord
    to: State
    actions: list[Any] = field(default_factory=list)


def move_together(moves: list[Move], *, by: str, also: Callable[[Any], None] | None = None) -> None:
    """The deliveries of one post leave a draft or an approval together: one transaction, each write
    conditional on the state (and due time) the caller read, so that of two racing actors (two editors
    approving, an approval and the firing of its time) exactly one wins and the other gets `LostRace`.
    `also` adds the post's own update to the same transaction."""
    now = clock.now()
    try:
        with transaction() as write:
            for move in moves:
                record, frm = move.record, State(move.record.state)
                if (frm, move.to) not in TRANSITIONS:
                    raise ValueError(f"no transition {frm} -> {move.to}")
                condition = DeliveryRecord.state == frm.value
                if frm == State.PENDING_APPROVAL:
                    condition &= DeliveryRecord.due_at == record.due_at  # the time it was approved for
                entry = {"at": now.isoformat(), "from": frm.value, "to": move.to.value, "by": by}
                actions = [
                    DeliveryRecord.state.set(move.to.value),
                    DeliveryRecord.state_key.set(state_key(record.workspace_id, move.to)),
                    DeliveryRecord.updated_at.set(now),
                    DeliveryRecord.history.set(DeliveryRecord.history.append([entry])),  # type: ignore[arg-type]
                    *move.actions,
                ]
                write.update(record, actions=actions, condition=condition)
            if also is not None:
                also(write)
    except TransactWriteError as exc:
        raise LostRace(f"post {moves[0].record.post_id} changed meanwhile") from exc


def miss_approval(record: DeliveryRecord, *, due_at: datetime, by: str) -> DeliveryRecord:
    """Its time came while it waited for approval: cancelled, never published. Conditional on still waiting
    for this very time, so an approval that lands first wins and this loses (and the other way round)."""
    condition = (DeliveryRecord.state == State.PENDING_APPROVAL.value) & (DeliveryRecord.due_at == due_at)
    return _transition(record, State.CANCELLED, condition, by, [DeliveryRecord.failure_reason.set(MISSED_APPROVAL)])


def lease_expired(record: DeliveryRecord, now: datetime) -> bool:
    return record.state == State.PUBLISHING.value and (record.lease_until is None or record.lease_until < now)
