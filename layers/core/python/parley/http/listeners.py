"""Listeners: hashtags, keywords and mentions watched on a channel (parley.listening.listeners)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from parley.http.fields import Id, Omitted, PathId, not_null
from parley.listening import listeners
from parley.scheduling.wiring import polls
from parley.team import members

router = Router()


HASHTAG = r"^#?\w{1,64}$"  # \w as Python reads it: letters and digits of every script
KEYWORD = r"^[^\s\x00-\x1f\x7f]([^\x00-\x1f\x7f]{0,98}[^\s\x00-\x1f\x7f])?$"  # 1-100, trimmed


class NewListener(BaseModel):
    # mentions take no value; a hashtag and a keyword do, each of its own shape
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "oneOf": [
                {"properties": {"kind": {"const": "mentions"}}, "not": {"required": ["value"]}},
                {"properties": {"kind": {"const": "hashtag"}, "value": {"pattern": HASHTAG}}, "required": ["value"]},
                {"properties": {"kind": {"const": "keyword"}, "value": {"pattern": KEYWORD}}, "required": ["value"]},
            ],
            "examples": [
                {"channel_id": "ch_01m8zg3q7k2v9x4t6b8n0c5dre", "kind": "hashtag", "value": "#springsale"},
                {"channel_id": "ch_01m8zg3q7k2v9x4t6b8n0c5dre", "kind": "mentions"},
            ],
        },
    )

    channel_id: Id = Field(description="The channel to listen on")
    kind: Literal["hashtag", "keyword", "mentions"]
    value: Annotated[str, Field(max_length=100)] | Omitted = Field(
        default=None, description="The hashtag or keyword (not for mentions)"
    )

    _not_null = field_validator("value", mode="before")(not_null)

    @model_validator(mode="after")
    def value_fits_kind(self) -> NewListener:
        if self.kind == "mentions":
            if self.value is not None:
                raise ValueError("mentions take no value")
        elif self.value is None or not re.fullmatch(HASHTAG if self.kind == "hashtag" else KEYWORD, self.value):
            shape = (
                "letters, digits or _ (up to 64), with or without #"
                if self.kind == "hashtag"
                else "1 to 100 characters"
            )
            raise ValueError(f"a {self.kind} is {shape}")
        return self


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
def delete(listener_id: PathId) -> Response[str]:
    listeners.delete(_caller(), listener_id)
    return Response(204, "application/json", body="")
