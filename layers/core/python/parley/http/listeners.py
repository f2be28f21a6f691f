"""Listeners: hashtags, keywords and mentions watched on a channel (parley.listening.listeners)."""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field

from parley.listening import listeners
from parley.scheduling.wiring import polls
from parley.team import members

router = Router()


class NewListener(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_id: str = Field(description="The channel to listen on")
    kind: Literal["hashtag", "keyword", "mentions"]
    value: str | None = Field(default=None, max_length=100, description="The hashtag or keyword (not for mentions)")


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


@router.post("/listeners", summary="Watch a hashtag, a keyword or the account's mentions")
def create(body: NewListener) -> Response[dict[str, Any]]:
    created = listeners.create(_caller(), polls(), body.channel_id, body.kind, body.value)
    return Response(201, "application/json", body=created)


@router.get("/listeners", summary="The workspace's listeners")
def list_all() -> dict[str, Any]:
    return {"items": listeners.list_listeners(_caller())}


@router.delete("/listeners/<listener_id>", summary="Stop listening")
def delete(listener_id: str) -> Response[str]:
    listeners.delete(_caller(), listener_id)
    return Response(204, "application/json", body="")
