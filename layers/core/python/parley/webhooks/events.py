"""The events parley tells webhooks of, and how one is emitted: once per endpoint and event (a repeat of the
same event is recognised by its id), handed to the webhook queue; nothing is polled."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta
from enum import StrEnum
from typing import Any

from parley.shared import aws, clock
from parley.shared.config import get_settings
from parley.shared.observability import logger
from parley.store import PutError, WebhookDeliveryRecord, WebhookRecord

LOG_DAYS = 30


class EventType(StrEnum):
    POST_PUBLISHED = "post.published"  # one delivery went out: per channel, with its URL
    POST_FAILED = "post.failed"  # every delivery of a post ended and none went out
    DELIVERY_FAILED = "delivery.failed"  # one delivery failed for good, with the reason
    DELIVERY_PARTIAL = "delivery.partial"  # a thread ended with only some parts out: which, and why
    INBOX_ITEM = "inbox.item"  # a reply or a mention reached the inbox
    ALERT_SPIKE = "alert.spike"  # listening saw a spike (mentions, or the negative share)
    CHANNEL_NEEDS_REAUTH = "channel.needs_reauth"  # a channel's network refused its credentials
    APPROVAL_REQUESTED = "post.approval_requested"  # a contributor's post waits for an editor
    POST_APPROVED = "post.approved"  # an editor approved it: scheduled for its time
    POST_REJECTED = "post.rejected"  # an editor rejected it, with a comment: back to its writer as a draft
    POST_MISSED_APPROVAL = "post.missed_approval"  # its time came while it waited: not published


EVENT_DESCRIPTIONS = {
    EventType.POST_PUBLISHED: "a delivery went out on one channel (its URL and network id)",
    EventType.POST_FAILED: "every delivery of a post ended and none went out",
    EventType.DELIVERY_FAILED: "a delivery failed for good (the reason)",
    EventType.DELIVERY_PARTIAL: "a thread ended with only some of its parts out (their URLs, and why)",
    EventType.INBOX_ITEM: "a reply or a mention reached the inbox",
    EventType.ALERT_SPIKE: "listening saw a spike of mentions or of negative replies",
    EventType.CHANNEL_NEEDS_REAUTH: "a channel must be connected again",
    EventType.APPROVAL_REQUESTED: "a contributor's post waits for an editor's approval",
    EventType.POST_APPROVED: "an editor approved a post: it is scheduled for its time",
    EventType.POST_REJECTED: "an editor rejected a post (the comment): it is a draft again",
    EventType.POST_MISSED_APPROVAL: "a post's time came while it waited for approval: it was not published",
}


def event_id(event_type: EventType, subject: str) -> str:
    """The same event (type and what it is about) has the same id wherever and however often it is emitted."""
    digest = hashlib.sha256(f"{event_type}:{subject}".encode()).digest()
    return "msg_" + base64.b32encode(digest).decode().rstrip("=").lower()[:32]


def emit(workspace_id: str, event_type: EventType, subject: str, data: dict[str, Any]) -> int:
    """Tell every enabled endpoint of the workspace that takes this event; returns how many. Never raises:
    a webhook must not fail the publish, the poll or the refresh that emits it (it logs)."""
    if not get_settings().webhook_queue_url:
        return 0
    try:
        return _emit(workspace_id, event_type, subject, data)
    except Exception:  # a webhook is news, not part of the work that makes it
        logger.exception("webhook event not emitted", extra={"event_type": str(event_type), "subject": subject})
        return 0


def _emit(workspace_id: str, event_type: EventType, subject: str, data: dict[str, Any]) -> int:
    endpoints = [w for w in WebhookRecord.query(workspace_id) if w.status == "enabled" and event_type.value in w.events]
    if not endpoints:
        return 0
    now = clock.now()
    message_id = event_id(event_type, subject)
    payload = json.dumps({"type": event_type.value, "timestamp": now.isoformat(), "data": data}, sort_keys=True)
    for endpoint in endpoints:
        record = WebhookDeliveryRecord(
            endpoint.webhook_id,
            message_id,
            time_key=f"{now.isoformat()}#{message_id}",
            workspace_id=workspace_id,
            event_type=event_type.value,
            payload=payload,
            created_at=now,
            expires_at=now + timedelta(days=LOG_DAYS),
        )
        try:
            record.save(condition=WebhookDeliveryRecord.event_id.does_not_exist())
        except PutError:  # emitted before: send again only if it was never sent (a crash in between)
            record = WebhookDeliveryRecord.get(endpoint.webhook_id, message_id, consistent_read=True)
            if record.status != "pending" or record.attempts:
                continue
        enqueue(workspace_id, endpoint.webhook_id, message_id)
    return len(endpoints)


def enqueue(workspace_id: str, webhook_id: str, message_id: str, delay_seconds: int = 0) -> None:
    aws.client("sqs").send_message(
        QueueUrl=get_settings().webhook_queue_url,
        MessageBody=json.dumps({"workspace_id": workspace_id, "webhook_id": webhook_id, "event_id": message_id}),
        DelaySeconds=delay_seconds,
    )
