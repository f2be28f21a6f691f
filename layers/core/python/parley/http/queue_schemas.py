"""Request bodies of the queue's routes (parley.http.queue): posting times, channel groups, reordering."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from parley.http.fields import Id, Zone
from parley.publishing import slots

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
At = Annotated[str, StringConstraints(pattern=slots.AT_PATTERN.pattern)]


class SlotRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[Day] = Field(
        min_length=1, max_length=7, json_schema_extra={"uniqueItems": True}, description="The days these times apply to"
    )
    at: list[At] = Field(
        min_length=1,
        max_length=slots.MAX_TIMES_PER_DAY,
        json_schema_extra={"uniqueItems": True},
        description="Local times, HH:MM (24-hour), e.g. 09:00",
    )


Rules = Annotated[list[SlotRule], Field(max_length=slots.MAX_RULES)]


class PutSlots(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "time_zone": "Europe/Berlin",
                    "times": [{"days": ["mon", "tue", "wed", "thu", "fri"], "at": ["09:00", "12:30", "17:00"]}],
                }
            ]
        },
    )

    time_zone: Zone | None = Field(default=None, description="The zone the times are in (default: the channel's)")
    times: Rules = Field(description="Weekly posting times; [] removes the channel's own (its group's apply)")


class PutGroup(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channels": ["ch_01m8zgb2xw5c0r7y3k9d4f6hta"],
                    "time_zone": "America/New_York",
                    "times": [{"days": ["sat", "sun"], "at": ["10:00"]}],
                }
            ]
        },
    )

    channels: list[Id] = Field(max_length=50, json_schema_extra={"uniqueItems": True}, description="Its channels")
    time_zone: Zone = Field(description="The zone the times are in")
    times: Rules = Field(description="Weekly posting times the channels share (a channel's own win)")


class SwapPosts(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"posts": ["p_01m8zfz4eh0xe9b6728nrcrqad", "p_01m8zq2w4y6a8c0e2g4j6l8n0q"]}]},
    )

    posts: list[Id] = Field(min_length=2, max_length=2, description="Two queued posts that trade their slots")


class MovePost(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"post_id": "p_01m8zfz4eh0xe9b6728nrcrqad", "direction": "up"}]}
    )

    post_id: Id = Field(description="A queued post on this channel")
    direction: Literal["up", "down"] = Field(description="up: trade with the one before it; down: the one after")
