"""A workspace's webhook endpoints (admins): registered with the events they take and a signing secret shown
once, listed with their health, changed, re-enabled, deleted; and each endpoint's delivery log."""

from __future__ import annotations

import base64
import contextlib
import secrets
from typing import Any

from parley.shared import aws, clock, ids, outbound
from parley.shared.errors import FieldProblem, NotFound, OutboundFailed, OutboundRefused, ValidationFailed
from parley.shared.pagination import Listing, decode_cursor, encode_cursor
from parley.store import WebhookDeliveryRecord, WebhookRecord
from parley.team.members import Principal, Role
from parley.webhooks.events import EventType

MAX_ENDPOINTS = 10  # per workspace


def secret_parameter(prefix: str, workspace_id: str, webhook_id: str) -> str:
    return f"{prefix}/workspaces/{workspace_id}/webhooks/{webhook_id}"  # beside its channels' credentials


def check_endpoint_url(url: str) -> None:
    """The same rules the sender connects by (parley.shared.outbound): refused now rather than at each event."""
    try:
        outbound.check_url(url)
    except (OutboundRefused, OutboundFailed) as exc:
        raise ValidationFailed(FieldProblem("url", str(exc))) from exc


def create(
    principal: Principal, parameter_prefix: str, url: str, events: list[EventType], description: str | None
) -> tuple[WebhookRecord, str]:
    """A new endpoint and its secret (`whsec_...`, Standard Webhooks' form), which is shown this once."""
    principal.require(Role.ADMIN)
    check_endpoint_url(url)
    if sum(1 for _ in WebhookRecord.query(principal.workspace_id)) >= MAX_ENDPOINTS:
        raise ValidationFailed(FieldProblem("url", f"a workspace has at most {MAX_ENDPOINTS} webhook endpoints"))
    webhook_id = "wh_" + ids.new_id()
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    parameter = secret_parameter(parameter_prefix, principal.workspace_id, webhook_id)
    aws.client("ssm").put_parameter(Name=parameter, Value=secret, Type="SecureString", Overwrite=False)
    record = WebhookRecord(
        principal.workspace_id,
        webhook_id,
        url=url,
        events=[e.value for e in events],
        description=description,
        secret_parameter=parameter,
        created_at=clock.now(),
        created_by=principal.member_id,
    )
    record.save(condition=WebhookRecord.webhook_id.does_not_exist())
    return record, secret


def list_endpoints(workspace_id: str) -> list[WebhookRecord]:
    return sorted(WebhookRecord.query(workspace_id), key=lambda w: w.webhook_id)


def get(workspace_id: str, webhook_id: str) -> WebhookRecord:
    try:
        return WebhookRecord.get(workspace_id, webhook_id, consistent_read=True)
    except WebhookRecord.DoesNotExist as exc:
        raise NotFound(f"no webhook {webhook_id}") from exc


def change(
    principal: Principal,
    webhook_id: str,
    *,
    url: str | None = None,
    events: list[EventType] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookRecord:
    """Change what an endpoint is sent, or switch it off and on (on again: its failure count starts anew)."""
    principal.require(Role.ADMIN)
    record = get(principal.workspace_id, webhook_id)
    actions: list[Any] = []
    if url is not None:
        check_endpoint_url(url)
        actions.append(WebhookRecord.url.set(url))
    if events is not None:
        actions.append(WebhookRecord.events.set([e.value for e in events]))  # type: ignore[misc]
    if description is not None:
        actions.append(WebhookRecord.description.set(description))
    if enabled is True:
        actions += [
            WebhookRecord.status.set("enabled"),
            WebhookRecord.status_reason.remove(),
            WebhookRecord.failing_since.remove(),
        ]
    elif enabled is False:
        actions += [WebhookRecord.status.set("disabled"), WebhookRecord.status_reason.set("disabled by a person")]
    if actions:
        record.update(actions=actions, condition=WebhookRecord.webhook_id.exists())
    return record


def delete(principal: Principal, webhook_id: str) -> None:
    """Delete an endpoint and its secret; events still waiting for it are dropped when they come up."""
    principal.require(Role.ADMIN)
    record = get(principal.workspace_id, webhook_id)
    record.delete()
    ssm = aws.client("ssm")
    with contextlib.suppress(ssm.exceptions.ParameterNotFound):
        ssm.delete_parameter(Name=record.secret_parameter)


def deliveries(workspace_id: str, webhook_id: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """The endpoint's log, newest first: each event's status, attempts and last error."""
    get(workspace_id, webhook_id)
    listing = Listing(workspace_id, f"webhooks/{webhook_id}/deliveries")
    start = decode_cursor(cursor, listing)
    page = WebhookDeliveryRecord.by_time.query(
        webhook_id, scan_index_forward=False, limit=limit, last_evaluated_key=start
    )
    items = [delivery_view(d) for d in page]
    return {"items": items, "next_cursor": encode_cursor(page.last_evaluated_key, listing)}


def endpoint_view(record: WebhookRecord) -> dict[str, Any]:
    return {
        "id": record.webhook_id,
        "url": record.url,
        "events": list(record.events),
        "description": record.description,
        "status": record.status,
        "status_reason": record.status_reason,
        "health": {
            "failing_since": _iso(record.failing_since),
            "last_success_at": _iso(record.last_success_at),
            "last_failure_at": _iso(record.last_failure_at),
            "last_error": record.last_error,
        },
        "created_at": record.created_at.isoformat(),
    }


def delivery_view(record: WebhookDeliveryRecord) -> dict[str, Any]:
    return {
        "id": record.event_id,
        "event_type": record.event_type,
        "status": record.status,
        "attempts": record.attempts or 0,
        "last_status": record.last_status,
        "last_error": record.last_error,
        "created_at": record.created_at.isoformat(),
        "last_attempt_at": _iso(record.last_attempt_at),
        "next_attempt_at": _iso(record.next_attempt_at),
        "delivered_at": _iso(record.delivered_at),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None
