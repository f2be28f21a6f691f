"""The calendar: deliveries by local day (JSON, paged), the same as an iCalendar feed for calendar apps, and the
member's feed token (parley.publishing.calendar, .calendar_ics, parley.team.feeds)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from parley.http.fields import ZONES, Cursor, QueryId
from parley.publishing import calendar, calendar_ics
from parley.team import feeds, members

router = Router()

# A day (its first instant in `tz`) or a time with its offset.
BOUND_PATTERN = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$"
Bound = Annotated[
    str | None,
    Query(pattern=BOUND_PATTERN, description="A date (that day's start in `tz`) or an ISO 8601 time with its offset"),
]
FEED_TOKEN_PATTERN = r"^[A-Za-z0-9_-]{1,200}$"
ICALENDAR = "text/calendar"


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


@router.get(
    "/calendar",
    summary="Deliveries by local day (one entry each, with its post, channel, state, time and text), in pages",
)
def get_calendar(
    start: Annotated[
        str | None,
        Query(
            alias="from",
            pattern=BOUND_PATTERN,
            description="Where the window starts: a date"
            " (that day's start in `tz`) or an ISO 8601 time with its offset; default: today's start",
        ),
    ] = None,
    end: Annotated[
        str | None,
        Query(
            alias="to",
            pattern=BOUND_PATTERN,
            description="Where it ends (exclusive), at most"
            f" {calendar.MAX_DAYS} days after `from`; default: {calendar.DEFAULT_DAYS} days after it",
        ),
    ] = None,
    tz: Annotated[
        str | None,
        Query(
            json_schema_extra={"enum": ZONES}, description="The days' IANA time zone; default: the channel's, else UTC"
        ),
    ] = None,
    channel: QueryId = None,
    limit: Annotated[
        int, Query(ge=1, le=calendar.MAX_PAGE, description="At most this many entries")
    ] = calendar.DEFAULT_PAGE,
    cursor: Cursor = None,
) -> dict[str, Any]:
    query = calendar.CalendarQuery(start=start, end=end, tz=tz, channel_id=channel, limit=limit, cursor=cursor)
    return calendar.calendar(_caller(), query)


@router.get(
    "/calendar.ics",
    summary="The calendar as an iCalendar feed for a calendar app (public: its feed token is the proof)",
    responses={
        200: {
            "description": "One event per delivery from 30 days back to 180 ahead; cancelled ones as STATUS:CANCELLED",
            "content": {ICALENDAR: {"schema": {"type": "string"}}},
        }
    },
)
def calendar_feed(
    token: Annotated[
        str, Query(pattern=FEED_TOKEN_PATTERN, description="The member's feed token (POST /me/calendar-feed)")
    ],
) -> Response[str]:
    principal = feeds.principal_for(token)
    body = calendar_ics.feed(principal).decode()
    headers = {"Cache-Control": "private, max-age=300"}
    return Response(200, f"{ICALENDAR}; charset=utf-8", body=body, headers=headers)


def _feed_view(issued: feeds.IssuedFeed) -> dict[str, Any]:
    return {"active": True, "created_at": issued.created_at.isoformat(), "url": issued.url}


@router.get("/me/calendar-feed", summary="Whether you have a calendar feed, and since when (never its URL)")
def feed_status() -> dict[str, Any]:
    return feeds.status(_caller())


@router.post(
    "/me/calendar-feed",
    summary="Make your calendar feed, or a new URL for it (the old one stops): its URL is shown once",
)
def make_feed() -> Response[dict[str, Any]]:
    return Response(201, "application/json", body=_feed_view(feeds.issue(_caller())))


@router.delete("/me/calendar-feed", summary="Stop your calendar feed: its URL answers 404 from now on")
def revoke_feed() -> Response[str]:
    feeds.revoke(_caller())
    return Response(204, "application/json", body="")
