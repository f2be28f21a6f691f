"""The calendar page (GET /app/calendar) and what it shows: a week or a month of the workspace's deliveries by
local day, from the same core call as `GET /calendar` (parley.publishing.calendar), with each channel's name, the
deliveries' states and the free queue slots; filtered by channel (the core's filter) and by state (here: the
core's calendar has no state filter, and a month is read whole anyway)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from parley.connect.channels import list_channels
from parley.publishing import calendar
from parley.publishing.deliveries import State
from parley.shared import clock
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.team.members import Principal
from parley.web import flash, requests
from parley.web.render import page

router = Router()
PATH = "/app/calendar"

VIEWS = ("week", "month")
STATES = tuple(s.value for s in State)
STATE_LABELS = {s.value: s.value.replace("_", " ") for s in State}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_PAGES = 20  # 20 pages of 500: a month of 10,000 deliveries; past that the page says it stopped


@router.get(PATH)
def calendar_page() -> Response[str]:
    session = requests.session(router.current_event)
    params = dict(router.current_event.query_string_parameters or {})
    wanted = parse(params)
    shown = build(session.principal, wanted)
    return page("calendar.html", session=session, here=PATH, flash=flash.message(params), **shown)


@dataclass(frozen=True)
class CalendarFilter:
    view: str = "week"
    anchor: date | None = None  # a day in the week or month shown; None: today
    channel_id: str | None = None
    status: str | None = None


def parse(params: dict[str, str]) -> CalendarFilter:
    """The page's query (`view`, `date`, `channel`, `status`; empty means "all"), or 422 naming the field."""
    problems = []
    view = params.get("view") or "week"
    if view not in VIEWS:
        problems.append(FieldProblem("view", "must be week or month"))
    anchor = None
    if params.get("date"):
        try:
            anchor = date.fromisoformat(params["date"])
        except ValueError:
            problems.append(FieldProblem("date", "must be a date like 2026-03-01"))
    status = params.get("status") or None
    if status is not None and status not in STATES:
        problems.append(FieldProblem("status", f"must be one of {', '.join(STATES)}"))
    if problems:
        raise ValidationFailed(problems)
    return CalendarFilter(view, anchor, params.get("channel") or None, status)


def workspace_zone(channels: list[Any]) -> ZoneInfo:
    """The workspace's time zone: its first channel's (workspaces have no zone of their own yet), else UTC."""
    zones = [c.time_zone for c in sorted(channels, key=lambda c: c.created_at) if c.time_zone]
    return ZoneInfo(zones[0] if zones else "UTC")


def window(view: str, anchor: date) -> tuple[date, date, date, date]:
    """[start, end) of the week (Monday first) or month holding `anchor`, and the previous and next one's start."""
    if view == "week":
        start = anchor - timedelta(days=anchor.weekday())
        return start, start + timedelta(days=7), start - timedelta(days=7), start + timedelta(days=7)
    start = anchor.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end, (start - timedelta(days=1)).replace(day=1), end


def build(principal: Principal, wanted: CalendarFilter) -> dict[str, Any]:
    """The template's context: the days of the window, each with its entries and free slots."""
    channels = list_channels(principal.workspace_id)
    names = {c.channel_id: f"{c.handle} ({c.network})" for c in channels}
    zone = workspace_zone(channels)
    today = clock.now().astimezone(zone).date()
    start, end, before, after = window(wanted.view, wanted.anchor or today)
    days, complete = _read(principal, wanted.channel_id, zone, start, end)
    shown = []
    for day in days:
        entries = [e for e in day["entries"] if wanted.status in (None, e["state"])]
        shown.append(
            {
                "date": date.fromisoformat(day["date"]),
                "today": day["date"] == today.isoformat(),
                "entries": [_entry(e, names) for e in entries],
                "free_slots": [_free(f, names, zone) for f in day["free_slots"]],
            }
        )
    return {
        "filter": wanted,
        "zone": zone.key,
        "start": start,
        "end": end - timedelta(days=1),
        "before": before,
        "after": after,
        "today": today,
        "days": shown,
        "leading_blanks": start.weekday() if wanted.view == "month" else 0,
        "channels": sorted(names.items(), key=lambda item: item[1]),
        "states": STATE_LABELS,
        "weekdays": WEEKDAYS,
        "complete": complete,
    }


def _read(
    principal: Principal, channel_id: str | None, zone: ZoneInfo, start: date, end: date
) -> tuple[list[dict[str, Any]], bool]:
    """Every page of the window from the core, merged by day (a day two pages share comes in both)."""
    by_day: dict[str, dict[str, Any]] = {}
    cursor = None
    for _ in range(MAX_PAGES):
        query = calendar.CalendarQuery(
            start=start.isoformat(),
            end=end.isoformat(),
            tz=zone.key,
            channel_id=channel_id,
            limit=calendar.MAX_PAGE,
            cursor=cursor,
        )
        answer = calendar.calendar(principal, query)
        for day in answer["days"]:
            kept = by_day.setdefault(day["date"], {"date": day["date"], "entries": [], "free_slots": []})
            kept["entries"] += day["entries"]
            kept["free_slots"] += [f for f in day["free_slots"] if f not in kept["free_slots"]]
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    every = [start + timedelta(days=n) for n in range((end - start).days)]
    days = [by_day.get(d.isoformat(), {"date": d.isoformat(), "entries": [], "free_slots": []}) for d in every]
    return days, cursor is None


def _entry(entry: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    local = datetime.fromisoformat(entry["local_time"])
    return entry | {
        "time": local.strftime("%H:%M"),
        "channel": names.get(entry["channel_id"], entry["channel_id"]),
        "state_label": STATE_LABELS.get(entry["state"], entry["state"]),
    }


def _free(slot: dict[str, Any], names: dict[str, str], zone: ZoneInfo) -> dict[str, Any]:
    at = datetime.fromisoformat(slot["at"].replace("Z", "+00:00")).astimezone(zone)
    return {"time": at.strftime("%H:%M"), "channel": names.get(slot["channel_id"], slot["channel_id"])}
