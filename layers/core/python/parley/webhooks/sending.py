"""Sending one event to one endpoint: signed by the Standard Webhooks scheme (`webhook-id`, `webhook-timestamp`,
`webhook-signature`), through the outbound fetcher (public addresses only, the address it checked), and, when
the endpoint does not answer 2xx, again after a backoff for 24 hours. The wait is the SQS message's own
visibility timeout: nothing runs while an event waits. An endpoint failing for a day is disabled."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from standardwebhooks.webhooks import Webhook

from parley.shared import aws, clock, outbound
from parley.shared.config import get_settings
from parley.shared.errors import OutboundFailed, OutboundRefused
from parley.shared.names import WEBHOOK_SEND_SECONDS
from parley.shared.observability import logger
from parley.store import Action, WebhookDeliveryRecord, WebhookRecord

# Standard Webhooks' schedule after each failed attempt; the last wait is cut so that it ends at 24 hours.
BACKOFF = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
GIVE_UP_AFTER = timedelta(hours=24)
DISABLE_AFTER = timedelta(hours=24)  # of failing with no success in between
MAX_VISIBILITY = timedelta(hours=12)  # SQS's limit
ANSWER_BYTES = 1_000_000  # what we read of an endpoint's answer (its status is what counts)


@dataclass(frozen=True)
class Outcome:
    done: bool  # False: the message comes back after `retry_in`
    retry_in: timedelta | None = None


def handle_batch(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The webhook queue's records -> the ones to see again (SQS partial batch response)."""
    failures = []
    for record in records:
        message = json.loads(record["body"])
        try:
            outcome = send(message["webhook_id"], message["event_id"])
        except Exception:  # a bug or an AWS hiccup of ours: the message comes back after its visibility
            logger.exception("webhook send failed", extra={"event_id": message.get("event_id")})
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        if not outcome.done:
            _wait(record["receiptHandle"], outcome.retry_in or BACKOFF[0])
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def send(webhook_id: str, message_id: str) -> Outcome:
    try:
        delivery = WebhookDeliveryRecord.get(webhook_id, message_id, consistent_read=True)
    except WebhookDeliveryRecord.DoesNotExist:
        return Outcome(done=True)  # expired from the log, or its endpoint was deleted
    if delivery.status != "pending":
        return Outcome(done=True)  # a repeat of the message: already settled
    try:
        endpoint = WebhookRecord.get(delivery.workspace_id, webhook_id, consistent_read=True)
    except WebhookRecord.DoesNotExist:
        _settle(delivery, "failed", error="the endpoint was deleted")
        return Outcome(done=True)
    if endpoint.status != "enabled":
        _settle(delivery, "failed", error=f"the endpoint is disabled ({endpoint.status_reason or 'by a person'})")
        return Outcome(done=True)

    now = clock.now()
    status, error = _post(endpoint, delivery, now)
    attempts = int(delivery.attempts or 0) + 1
    if error is None:
        _settle(delivery, "delivered", attempts=attempts, status_code=status, at=now)
        _endpoint_succeeded(endpoint, now)
        return Outcome(done=True)

    retry_in = next_wait(attempts, delivery.created_at, now)
    _settle(
        delivery,
        "pending" if retry_in else "failed",
        attempts=attempts,
        status_code=status,
        error=error,
        at=now,
        next_at=now + retry_in if retry_in else None,
    )
    _endpoint_failed(endpoint, error, now)
    return Outcome(done=retry_in is None, retry_in=retry_in)


def next_wait(attempts: int, created_at: datetime, now: datetime) -> timedelta | None:
    """How long after a failed attempt the next one is due; None: given up (the schedule ran out, or 24 hours
    have passed since the event)."""
    if attempts > len(BACKOFF):
        return None
    left = created_at + GIVE_UP_AFTER - now
    wait = min(BACKOFF[attempts - 1], left)
    return wait if wait > timedelta(0) else None


def signed_headers(secret: str, message_id: str, payload: str, at: datetime) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, payload),
    }


def _post(endpoint: WebhookRecord, delivery: WebhookDeliveryRecord, now: datetime) -> tuple[int | None, str | None]:
    """(the endpoint's status, why it failed or None)."""
    secret = aws.client("ssm").get_parameter(Name=endpoint.secret_parameter, WithDecryption=True)["Parameter"]["Value"]
    headers = signed_headers(secret, delivery.event_id, delivery.payload, now)
    try:
        answer = outbound.fetch(
            "POST",
            endpoint.url,
            headers=headers,
            body=delivery.payload.encode(),
            budget=outbound.Budget(seconds=WEBHOOK_SEND_SECONDS, max_bytes=ANSWER_BYTES),
        )
    except OutboundRefused as exc:
        return None, f"refused: {exc}"
    except OutboundFailed as exc:
        return None, str(exc)
    if answer.ok:
        return answer.status, None
    return answer.status, f"the endpoint answered {answer.status}"


def _settle(
    delivery: WebhookDeliveryRecord,
    status: str,
    *,
    attempts: int | None = None,
    status_code: int | None = None,
    error: str | None = None,
    at: datetime | None = None,
    next_at: datetime | None = None,
) -> None:
    actions: list[Action] = [WebhookDeliveryRecord.status.set(status)]
    if attempts is not None:
        actions.append(WebhookDeliveryRecord.attempts.set(attempts))
    if status_code is not None:
        actions.append(WebhookDeliveryRecord.last_status.set(status_code))
    if error is not None:
        actions.append(WebhookDeliveryRecord.last_error.set(error[:500]))
    if at is not None:
        actions.append(WebhookDeliveryRecord.last_attempt_at.set(at))
        if status == "delivered":
            actions.append(WebhookDeliveryRecord.delivered_at.set(at))
    actions.append(
        WebhookDeliveryRecord.next_attempt_at.set(next_at)
        if next_at
        else WebhookDeliveryRecord.next_attempt_at.remove()
    )
    delivery.update(actions=actions)


def _endpoint_succeeded(endpoint: WebhookRecord, now: datetime) -> None:
    endpoint.update(
        actions=[
            WebhookRecord.last_success_at.set(now),
            WebhookRecord.failing_since.remove(),
            WebhookRecord.last_error.remove(),
        ]
    )


def _endpoint_failed(endpoint: WebhookRecord, error: str, now: datetime) -> None:
    since = endpoint.failing_since or now
    actions: list[Action] = [
        WebhookRecord.last_failure_at.set(now),
        WebhookRecord.last_error.set(error[:500]),
        WebhookRecord.failing_since.set(since),
    ]
    if now - since >= DISABLE_AFTER:
        reason = f"failing since {since.isoformat()} with no success: {error[:200]}"
        actions += [WebhookRecord.status.set("disabled"), WebhookRecord.status_reason.set(reason)]
        logger.warning("webhook endpoint disabled", extra={"webhook_id": endpoint.webhook_id, "reason": reason})
    endpoint.update(actions=actions)


def _wait(receipt_handle: str, wait: timedelta) -> None:
    aws.client("sqs").change_message_visibility(
        QueueUrl=get_settings().webhook_queue_url,
        ReceiptHandle=receipt_handle,
        VisibilityTimeout=int(min(wait, MAX_VISIBILITY).total_seconds()),
    )
