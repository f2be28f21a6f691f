"""Inbox routes: replies and mentions, claimed, answered or dismissed by the team (parley.listening.inbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from pydantic import BaseModel, ConfigDict, Field, model_validator

from parley.listening import inbox
from parley.shared import aws
from parley.shared.config import get_settings
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.shared.names import Table
from parley.team import members

router = Router()


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = Field(default=None, max_length=10_000, description="The answer (or give answer_id)")
    answer_id: str | None = Field(default=None, description="An approved answer to use instead of text")
    values: dict[str, str] = Field(default_factory=dict, description="Values for the approved answer's placeholders")

    @model_validator(mode="after")
    def text_or_approved_answer(self) -> Answer:
        if (self.text is None) == (self.answer_id is None):
            raise ValueError("give either text or answer_id")
        return self


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(FieldProblem("since", "is not an ISO 8601 date-time")) from exc
    if parsed.tzinfo is None:
        raise ValidationFailed(FieldProblem("since", "needs an offset, e.g. Z or +01:00"))
    return parsed


@router.get("/inbox", summary="Replies and mentions, newest first")
def list_inbox(
    status: Annotated[str | None, Query(description="new, claimed, answered or dismissed")] = None,
    sentiment: Annotated[str | None, Query(description="positive, neutral or negative")] = None,
    channel: Annotated[str | None, Query(description="a channel id")] = None,
    post: Annotated[str | None, Query(description="a post id: replies in its threads")] = None,
    since: Annotated[str | None, Query(description="arrived at or after (ISO 8601 with offset)")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 25,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
) -> dict[str, Any]:
    query = inbox.InboxQuery(
        status=status,
        sentiment=sentiment,
        channel_id=channel,
        post_id=post,
        since=_since(since),
        limit=limit,
        cursor=cursor,
    )
    return inbox.list_items(_caller(), query)


@router.get("/inbox/<item_id>", summary="One inbox item")
def get_item(item_id: str) -> dict[str, Any]:
    return inbox.view(inbox.get(_caller(), item_id))


@router.post("/inbox/<item_id>/claim", summary="Claim an item (409 naming the holder if someone has it)")
def claim(item_id: str) -> dict[str, Any]:
    return inbox.claim(_caller(), item_id)


@router.post("/inbox/<item_id>/release", summary="Give a claimed item back")
def release(item_id: str) -> dict[str, Any]:
    return inbox.release(_caller(), item_id)


@router.post("/inbox/<item_id>/dismiss", summary="Nothing to answer")
def dismiss(item_id: str) -> dict[str, Any]:
    return inbox.dismiss(_caller(), item_id)


def _idempotent_reply(request: dict[str, Any]) -> dict[str, Any]:
    principal = members.Principal(request["workspace_id"], request["member_id"], members.Role(request["role"]))
    body = request["body"]
    return inbox.reply(principal, request["item_id"], body["text"], body["answer_id"], body["values"])


REPLY_IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="[workspace_id, item_id, key]",
    payload_validation_jmespath="body",
    expires_after_seconds=24 * 3600,
)


def _reply_once() -> Any:
    persistence = DynamoDBPersistenceLayer(
        table_name=get_settings().tables[Table.IDEMPOTENCY], boto3_client=aws.client("dynamodb")
    )
    return idempotent_function(
        data_keyword_argument="request", persistence_store=persistence, config=REPLY_IDEMPOTENCY
    )(_idempotent_reply)


@router.post("/inbox/<item_id>/reply", summary="Answer on the network, threaded, exactly once")
def reply(
    item_id: str,
    body: Answer,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="Retries with the same key return the first answer"),
    ] = None,
) -> dict[str, Any]:
    principal = _caller()
    request = {
        "workspace_id": principal.workspace_id,
        "member_id": principal.member_id,
        "role": principal.role.value,
        "item_id": item_id,
        "key": idempotency_key,
        "body": body.model_dump(),
    }
    if not idempotency_key:
        return _idempotent_reply(request)
    if len(idempotency_key) > 255:
        raise ValidationFailed(FieldProblem("Idempotency-Key", "at most 255 characters"))
    REPLY_IDEMPOTENCY.register_lambda_context(router.lambda_context)
    result: dict[str, Any] = _reply_once()(request=request)
    return result
