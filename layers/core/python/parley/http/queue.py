"""The queue (parley.publishing.queue, .queue_posts): each channel's posting times and named groups of channels,
adding a post to the queue, reordering it, pausing a channel's queue, and the queue as a list. Editors change;
viewers read."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import AwareDatetime, BeforeValidator

from parley.http.fields import Cursor, PathId, iso_time
from parley.http.queue_schemas import MovePost, PutGroup, PutSlots, SwapPosts
from parley.publishing import queue, queue_posts
from parley.scheduling.wiring import arming as _arming
from parley.team import members

router = Router()

GroupName = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$", description="A group's name")]
From = Annotated[
    AwareDatetime | None,
    BeforeValidator(iso_time),
    Query(alias="from", description="Start here (ISO 8601 with its offset; default: now)"),
]
QueueLimit = Annotated[int, Query(ge=1, le=100, description="At most this many slots")]


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


def _rules(body: PutSlots | PutGroup) -> list[dict[str, Any]]:
    return [rule.model_dump() for rule in body.times]


@router.get("/channels/<channel_id>/slots", summary="A channel's weekly posting times (its own, or its group's)")
def get_slots(channel_id: PathId) -> dict[str, Any]:
    return queue.get_slots(_caller(), channel_id)


@router.put("/channels/<channel_id>/slots", summary="Set a channel's weekly posting times (queued posts keep theirs)")
def put_slots(channel_id: PathId, body: PutSlots) -> dict[str, Any]:
    return queue.set_slots(_caller(), channel_id, body.time_zone, _rules(body))


@router.get("/channel-groups", summary="Named groups of channels that share posting times")
def list_groups() -> dict[str, Any]:
    return queue.list_groups(_caller())


@router.get("/channel-groups/<name>", summary="A group of channels and its posting times")
def get_group(name: GroupName) -> dict[str, Any]:
    return queue.get_group(_caller(), name)


@router.put("/channel-groups/<name>", summary="Create or replace a group of channels sharing posting times")
def put_group(name: GroupName, body: PutGroup) -> dict[str, Any]:
    return queue.put_group(_caller(), name, body.channels, body.time_zone, _rules(body))


@router.delete("/channel-groups/<name>", summary="Remove a group (its channels keep their own times, if any)")
def delete_group(name: GroupName) -> dict[str, Any]:
    return queue.delete_group(_caller(), name)


@router.post("/posts/<post_id>/queue", summary="Move a post's still-scheduled deliveries to the next free slots")
def queue_post(post_id: PathId) -> dict[str, Any]:
    return queue_posts.queue_post(_caller(), _arming(), post_id)


@router.get("/channels/<channel_id>/queue", summary="A channel's upcoming slots in order, filled and free")
def get_queue(
    channel_id: PathId,
    from_: From = None,
    limit: QueueLimit = 20,
    cursor: Cursor = None,
) -> dict[str, Any]:
    return queue_posts.queue_view(_caller(), channel_id, from_, limit, cursor)


@router.post("/channels/<channel_id>/queue/swap", summary="Two queued posts trade their slots on this channel")
def swap(channel_id: PathId, body: SwapPosts) -> dict[str, Any]:
    return queue_posts.swap(_caller(), _arming(), channel_id, body.posts[0], body.posts[1])


@router.post("/channels/<channel_id>/queue/move", summary="Move a queued post up or down one place")
def move(channel_id: PathId, body: MovePost) -> dict[str, Any]:
    return queue_posts.move(_caller(), _arming(), channel_id, body.post_id, body.direction)


@router.post("/channels/<channel_id>/queue/pause", summary="Pause a channel's queue (its posts are held, none lost)")
def pause(channel_id: PathId) -> dict[str, Any]:
    return queue_posts.pause(_caller(), _arming(), channel_id)


@router.post("/channels/<channel_id>/queue/resume", summary="Resume a channel's queue (passed slots: the next free)")
def resume(channel_id: PathId) -> dict[str, Any]:
    return queue_posts.resume(_caller(), _arming(), channel_id)
