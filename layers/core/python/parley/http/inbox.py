"""Inbox routes: replies and mentions, claimed, answered or dismissed by the team (parley.listening.inbox)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from parley.http.fields import (
    ID_PATTERN,
    Cursor,
    Id,
    Limit,
    Omitted,
    PathId,
    PostText,
    QueryId,
    QueryTime,
    ShortText,
    not_null,
)
from parley.listening import inbox
from parley.shared import aws
from parley.shared.config import get_settings
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.shared.names import Table
from parley.team import members

router = Router()


Placeholder = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,49}$")]


class Answer(BaseModel):
    # text, or an approved answer (answer_id, with its values): exactly one of the two, neither null
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "oneOf": [{"required": ["text"]}, {"required": ["answer_id"]}],
            "examples": [
                {"text": "Thanks for telling us! A fix ships on Monday."},
                {"answer_id": "ans_01m8zh0v3n6q8s1t4w7y9b2c5e", "values": {"order": "A-1042"}},
            ],
        },
    )

    text: PostText | Omitted = Field(default=None, description="The answer (or give answer_id)")
    answer_id: Id | Omitted = Field(default=None, description="An approved answer to use instead")
    values: dict[Placeholder, ShortText] = Field(
        default_factory=dict,
        max_length=20,
        description="Values for the approved answer's placeholders",
        json_schema_extra={"additionalProperties": False},
    )

    _not_null = field_validator("text", "answer_id", mode="before")(not_null)

    @model_validator(mode="after")
    def text_or_approved_answer(self) -> Answer:
        if (self.text is None) == (self.answer_id is None):
            raise ValueError("give either text or answer_id")
        return self


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


@router.get("/inbox", summary="Replies and mentions, newest first")
def list_inbox(
    status: Annotated[Literal["new", "claimed", "answered", "dismissed"] | None, Query()] = None,
    sentiment: Annotated[Literal["positive", "neutral", "negative"] | None, Query()] = None,
    channel: QueryId = None,
    post: Annotated[str | None, Query(pattern=ID_PATTERN, description="a post id: replies in its threads")] = None,
    since: QueryTime = None,
    limit: Limit = 25,
    cursor: Cursor = None,
) -> dict[str, Any]:
    query = inbox.InboxQuery(
        status=status,
        sentiment=sentiment,
        channel_id=channel,
        post_id=post,
        since=since,
        limit=limit,
        cursor=cursor,
    )
    return inbox.list_items(_caller(), query)


@router.get("/inbox/<item_id>", summary="One inbox item")
def get_item(item_id: PathId) -> dict[str, Any]:
    return inbox.view(inbox.get(_caller(), item_id))


@router.post("/inbox/<item_id>/claim", summary="Claim an item (409 naming the holder if someone has it)")
def claim(item_id: PathId) -> dict[str, Any]:
    return inbox.claim(_caller(), item_id)


@router.post("/inbox/<item_id>/release", summary="Give a claimed item back")
def release(item_id: PathId) -> dict[str, Any]:
    return inbox.release(_caller(), item_id)


@router.post("/inbox/<item_id>/dismiss", summary="Nothing to answer")
def dismiss(item_id: PathId) -> dict[str, Any]:
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
    item_id: PathId,
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
