"""Outbound webhooks: endpoints, their health and their delivery log (parley.webhooks)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator, model_validator

from parley.http.fields import Cursor, Limit, Name, Omitted, PathId, Url, not_null
from parley.shared.config import get_settings
from parley.team import members
from parley.webhooks import endpoints
from parley.webhooks.events import EVENT_DESCRIPTIONS, EventType

router = Router()

# an event's name is a string in a body: strict models take only EventType() instances for the enum itself
EventName = Annotated[EventType, Strict(False)]
Events = Annotated[
    list[EventName], Field(min_length=1, max_length=len(EventType), json_schema_extra={"uniqueItems": True})
]
EVENTS = "; ".join(f"{event}: {what}" for event, what in EVENT_DESCRIPTIONS.items())


def _unique(events: list[EventType] | None) -> list[EventType] | None:
    if events is not None and len(set(events)) != len(events):
        raise ValueError("each event once")
    return events


class NewWebhook(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.com/parley",
                    "events": ["post.published", "post.failed", "inbox.item"],
                    "description": "CRM sync",
                }
            ]
        },
    )

    url: Url = Field(description="Where events are POSTed: a public https (or http) URL")
    events: Events = Field(description=f"What it is told of ({EVENTS})")
    description: Name | Omitted = Field(default=None, description="What it is for")

    _not_null = field_validator("description", mode="before")(not_null)
    _each_once = field_validator("events")(_unique)


class EditWebhook(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "anyOf": [{"required": [n]} for n in ("url", "events", "description", "enabled")],
            "examples": [{"enabled": False}, {"events": ["post.published", "delivery.failed"]}],
        },
    )

    url: Url | Omitted = None
    events: Events | Omitted = None
    description: Name | Omitted = None
    enabled: bool | Omitted = Field(default=None, description="false switches it off; true on again (a fresh start)")

    _not_null = field_validator("url", "events", "description", "enabled", mode="before")(not_null)
    _each_once = field_validator("events")(_unique)

    @model_validator(mode="after")
    def something_to_change(self) -> EditWebhook:
        if self.url is None and self.events is None and self.description is None and self.enabled is None:
            raise ValueError("give at least one of url, events, description, enabled")
        return self


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


@router.post("/webhooks", summary="Register an endpoint (admins): its signing secret is in the answer, shown once")
def create(body: NewWebhook) -> Response[dict[str, Any]]:
    record, secret = endpoints.create(
        _caller(), get_settings().parameter_prefix, body.url, list(body.events), body.description
    )
    return Response(201, "application/json", body=endpoints.endpoint_view(record) | {"secret": secret})


@router.get("/webhooks", summary="The workspace's endpoints and their health")
def list_all() -> dict[str, Any]:
    return {"items": [endpoints.endpoint_view(w) for w in endpoints.list_endpoints(_caller().workspace_id)]}


@router.get("/webhooks/<webhook_id>", summary="One endpoint and its health")
def get(webhook_id: PathId) -> dict[str, Any]:
    return endpoints.endpoint_view(endpoints.get(_caller().workspace_id, webhook_id))


@router.patch("/webhooks/<webhook_id>", summary="Change an endpoint, or switch it off or on again (admins)")
def edit(webhook_id: PathId, body: EditWebhook) -> dict[str, Any]:
    events = list(body.events) if body.events is not None else None
    record = endpoints.change(
        _caller(), webhook_id, url=body.url, events=events, description=body.description, enabled=body.enabled
    )
    return endpoints.endpoint_view(endpoints.get(record.workspace_id, webhook_id))


@router.delete("/webhooks/<webhook_id>", summary="Delete an endpoint and its secret (admins)")
def delete(webhook_id: PathId) -> Response[str]:
    endpoints.delete(_caller(), webhook_id)
    return Response(204, "application/json", body="")


@router.get("/webhooks/<webhook_id>/deliveries", summary="The endpoint's log, newest first: status, attempts, error")
def deliveries(webhook_id: PathId, limit: Limit = 25, cursor: Cursor = None) -> dict[str, Any]:
    return endpoints.deliveries(_caller().workspace_id, webhook_id, limit, cursor)
