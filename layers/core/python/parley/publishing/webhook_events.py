"""What a delivery's end tells the workspace's webhooks (parley.webhooks): post.published per channel,
delivery.failed per channel, post.failed once every delivery of a post has ended without one going out, and
post.missed_approval once when a post's time came while it waited for approval (parley.publishing.approval).
Emitted after the state change, and again whenever a repeat of the publish message finds the delivery ended
(so a crash between the two loses nothing; the event's id makes the repeat the same event)."""

from __future__ import annotations

from parley.publishing.deliveries import FINAL, MISSED_APPROVAL, State
from parley.store import DeliveryRecord
from parley.store.keys import DeliveryKey
from parley.webhooks.events import EventType, emit


def delivery_ended(record: DeliveryRecord) -> None:
    key = DeliveryKey.of(record)
    common = {"post_id": key.post_id, "channel_id": key.channel_id, "network": record.network}
    if record.state == State.PUBLISHED.value:
        published_at = record.published_at.isoformat() if record.published_at else None
        data = common | {"url": record.url, "remote_id": record.remote_id, "published_at": published_at}
        emit(key.workspace_id, EventType.POST_PUBLISHED, key.id, data)
    elif record.state == State.PARTIAL.value:
        parts = [
            {"index": int(p["index"]), "url": p["url"], "remote_id": p["remote_id"]} for p in record.parts_out or []
        ]
        emit(
            key.workspace_id,
            EventType.DELIVERY_PARTIAL,
            key.id,
            common | {"reason": record.failure_reason, "parts": parts},
        )
    elif record.state == State.FAILED.value:
        emit(key.workspace_id, EventType.DELIVERY_FAILED, key.id, common | {"reason": record.failure_reason})
        _post_failed(record)
    elif record.state == State.CANCELLED.value and record.failure_reason == MISSED_APPROVAL:
        # once per post (the event's id is the post's), whichever of its deliveries is cancelled first
        at = record.publish_at.isoformat() if record.publish_at else None
        emit(key.workspace_id, EventType.POST_MISSED_APPROVAL, key.post_id, {"post_id": key.post_id, "publish_at": at})


def _post_failed(record: DeliveryRecord) -> None:
    siblings = list(DeliveryRecord.query(record.post_id, consistent_read=True))
    out = (State.PUBLISHED.value, State.PARTIAL.value)  # a partial thread's first parts went out
    if not all(d.state in FINAL for d in siblings) or any(d.state in out for d in siblings):
        return
    failed = [
        {"channel_id": d.channel_id, "network": d.network, "reason": d.failure_reason or d.state} for d in siblings
    ]
    emit(record.workspace_id, EventType.POST_FAILED, record.post_id, {"post_id": record.post_id, "deliveries": failed})
