"""SQS messages kept across a restart: read from and put back into moto's queues in this process (a
receive would consume them), as the snapshot and the journal write them.

A message keeps its id, so that one in both the snapshot and the journal is put back once, and one the
journal says was deleted is found by id (receipt handles are not kept). Its delay and its invisibility end
at their own time on the runtime clock, as on SQS, which keeps time while nobody looks: a message due
while the runtime was down is visible at once. But never later than it had left when it was written
down, should the clock have gone back (a test's clock started anew).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from parley.shared import clock as parley_clock


def now_ms() -> float:
    return parley_clock.now().timestamp() * 1000.0


def backend_queue(name: str, account: str, region: str) -> Any | None:
    from moto.sqs.models import sqs_backends

    return sqs_backends[account][region].queues.get(name)


def to_json(message: Any, at_ms: float) -> dict[str, Any]:
    """What is kept of a moto message (`at_ms`: now, on the runtime clock)."""
    return {
        "id": message.id,
        "body": message.body,
        "message_attributes": message.message_attributes,
        "system_attributes": message.system_attributes,
        "sender_id": message.sender_id,
        "sent_timestamp": message.sent_timestamp,
        "approximate_first_receive_timestamp": message.approximate_first_receive_timestamp,
        "approximate_receive_count": message.approximate_receive_count,
        "deduplication_id": message.deduplication_id,
        "group_id": message.group_id,
        "sequence_number": message.sequence_number,
        "delayed_until_ms": message.delayed_until,
        "visible_at_ms": message.visible_at,
        "delay_remaining_ms": max(0.0, message.delayed_until - at_ms),
        "invisible_remaining_ms": max(0.0, message.visible_at - at_ms),
    }


def _ends_at(data: dict[str, Any], absolute: str, remaining: str, at_ms: float) -> float:
    left = float(data.get(remaining) or 0)
    if data.get(absolute) is not None:
        left = min(left, float(data[absolute]) - at_ms)
    # Over: 0, as moto marks a message never delayed or received (moto's `visible` is `now > visible_at`:
    # a message visible at exactly now would wait for a manual clock to move).
    return at_ms + left if left > 0 else 0.0


def from_json(data: dict[str, Any], at_ms: float) -> Any:
    """A moto message again (`at_ms`: now, on the runtime clock)."""
    from moto.sqs.models import Message

    message = Message(data["id"], data["body"], data.get("system_attributes") or {})
    message.message_attributes = data.get("message_attributes") or {}
    message.sender_id = data.get("sender_id") or message.sender_id
    message.sent_timestamp = data.get("sent_timestamp")
    message.approximate_first_receive_timestamp = data.get("approximate_first_receive_timestamp")
    message.approximate_receive_count = int(data.get("approximate_receive_count") or 0)
    message.deduplication_id = data.get("deduplication_id")
    message.group_id = data.get("group_id")
    message.sequence_number = data.get("sequence_number")
    message.delayed_until = _ends_at(data, "delayed_until_ms", "delay_remaining_ms", at_ms)
    message.visible_at = _ends_at(data, "visible_at_ms", "invisible_remaining_ms", at_ms)
    return message


def put_back(queue: Any, messages: Iterable[dict[str, Any]], at_ms: float) -> int:
    """Add the messages a queue does not hold yet (by id); returns how many were added."""
    with queue._messages_lock:
        present = {m.id for m in queue._messages}
        added = [from_json(data, at_ms) for data in messages if data["id"] not in present]
        queue._messages.extend(added)
        queue._messages_lock.notify_all()
    return len(added)


def remove(queue: Any, message_ids: Iterable[str]) -> int:
    """Delete messages by id (those already gone are fine); returns how many were removed."""
    ids = set(message_ids)
    with queue._messages_lock:
        kept = [m for m in queue._messages if m.id not in ids]
        removed = len(queue._messages) - len(kept)
        for message in queue._messages:
            if message.id in ids:
                queue.pending_messages.discard(message)
        queue._messages[:] = kept
    return removed


def ids_of(queue: Any, receipt_handles: Iterable[str]) -> dict[str, str]:
    """The message id behind each receipt handle still in the queue."""
    handles = set(receipt_handles)
    found: dict[str, str] = {}
    for message in list(queue._messages):
        for handle in message.all_receipt_handles:
            if handle in handles:
                found[handle] = message.id
    return found


def find(queue: Any, message_id: str) -> Any | None:
    return next((m for m in list(queue._messages) if m.id == message_id), None)
