"""Posts: queueing (idempotent by `Idempotency-Key`), listing, reading, editing, cancelling and publishing
now (parley.publishing.posts)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from parley.http.fields import Cursor, Limit, PathId, QueryTime
from parley.http.schemas import CreatePost, EditPost
from parley.publishing import post_requests, posts, queue_posts, series, series_edits
from parley.publishing.deliveries import State
from parley.scheduling.wiring import arming as _arming
from parley.shared import aws
from parley.shared.config import get_settings
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.shared.names import Table
from parley.team import members

router = Router()


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


draft_of = post_requests.draft_of  # kept here too: the API's other routes read a body the same way


def _idempotent_create(request: dict[str, Any]) -> dict[str, Any]:
    principal = members.Principal(request["workspace_id"], request["member_id"], members.Role(request["role"]))
    draft = draft_of(request["body"])
    if request["body"].get("repeat"):  # a recurring or evergreen post (docs/recurring.md)
        return series.create(principal, _arming(), draft, series.repeat_of(request["body"]["repeat"], draft))
    return post_requests.create(principal, _arming(), draft)


IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="[workspace_id, key]",  # keys are per workspace
    payload_validation_jmespath="body",  # the same key with another body is refused
    expires_after_seconds=24 * 3600,
)


def _create_once() -> Any:
    persistence = DynamoDBPersistenceLayer(
        table_name=get_settings().tables[Table.IDEMPOTENCY], boto3_client=aws.client("dynamodb")
    )
    return idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=IDEMPOTENCY)(
        _idempotent_create
    )


@router.post("/posts", summary="Queue a post on one or more channels, or store a draft (no publish_at)")
def create_post(
    body: CreatePost,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="Retries with the same key return the first answer"),
    ] = None,
) -> Response[dict[str, Any]]:
    principal = _caller()
    principal.require(members.Role.CONTRIBUTOR)  # a contributor's post waits for approval (docs/approval.md)
    request = {
        "workspace_id": principal.workspace_id,
        "member_id": principal.member_id,
        "role": principal.role.value,
        "key": idempotency_key,
        "body": body.model_dump(),
    }
    if idempotency_key:
        if len(idempotency_key) > 255:
            raise ValidationFailed(FieldProblem("Idempotency-Key", "at most 255 characters"))
        IDEMPOTENCY.register_lambda_context(router.lambda_context)
        created = _create_once()(request=request)
    else:
        created = _idempotent_create(request)
    return Response(201, "application/json", body=created, headers={"Location": f"/posts/{created['id']}"})


@router.get("/posts", summary="Posts by publish time, newest first (filter by status and time range)")
def list_posts(
    status: Annotated[
        State | Literal["missed_approval"] | None,
        Query(
            description="Posts with a delivery in this state; `missed_approval`: cancelled because its time came "
            "while it waited for approval (not published)"
        ),
    ] = None,
    since: QueryTime = None,  # publish_at >= since
    until: QueryTime = None,  # publish_at < until
    limit: Limit = 25,
    cursor: Cursor = None,
) -> dict[str, Any]:
    principal = _caller()
    query = posts.PostQuery(status=status, since=since, until=until, limit=limit, cursor=cursor)
    return posts.list_posts(principal, query)


@router.get("/posts/<post_id>", summary="A post and its deliveries")
def get_post(post_id: PathId) -> dict[str, Any]:
    return posts.get_post(_caller(), post_id)


@router.get("/posts/<post_id>/deliveries", summary="A post's deliveries, one per channel, with their states")
def get_deliveries(post_id: PathId) -> dict[str, Any]:
    return {"items": posts.get_post(_caller(), post_id)["deliveries"]}


@router.patch(
    "/posts/<post_id>", summary='Edit the deliveries that have not gone out (scope "future": a series\' to come)'
)
def edit_post(post_id: PathId, body: EditPost) -> dict[str, Any]:
    if body.scope == "future" or body.variants is not None:  # the series' occurrences to come
        return series_edits.edit_future_of_post(_caller(), _arming(), post_id, body.model_dump(exclude_none=True))
    changes = posts.PostChanges(
        text=body.text,
        publish_at=body.publish_at,
        time_zone=body.time_zone,
        campaign=body.campaign,
        overrides={network: o.text for network, o in (body.overrides or {}).items() if o.text is not None} or None,
    )
    return queue_posts.edit_post(_caller(), _arming(), post_id, changes)  # a new time frees its queue slots


@router.delete("/posts/<post_id>", summary="Cancel the deliveries that have not gone out")
def cancel_post(post_id: PathId) -> dict[str, Any]:
    # its slots in the queue are free again; an occurrence of a series: the next one is made and armed
    return series_edits.cancel_occurrence(_caller(), _arming(), post_id)


@router.post("/posts/<post_id>/publish-now", summary="Publish the still-scheduled deliveries now")
def publish_now(post_id: PathId) -> dict[str, Any]:
    return queue_posts.publish_now(_caller(), _arming(), post_id)  # its slots in the queue are free again
