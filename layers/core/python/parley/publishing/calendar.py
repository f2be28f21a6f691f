"""The calendar: a workspace's deliveries in a window, one entry per delivery, grouped by local day in a time
zone, for one channel or all, in pages (docs/calendar.md).

Each delivery is read at its own time (a delivery may have a time of its own: queue slots), from the
deliveries' `by_state` index, one Query per state (its partition is `<workspace>#<state>`, its range the
delivery's `publish_key`): no scan, and the cost of a page does not grow with the posts stored outside the
window. The states' time-ordered streams are merged into one, so that pages come in time order; a page's
cursor holds where each stream stopped (signed, bound to the window and the channel: shared.pagination).
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from parley.connect.channels import get_channel, list_channels
from parley.publishing import queue
from parley.publishing.deliveries import State, state_key
from parley.shared import clock, timeparse
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.shared.pagination import Listing, decode_cursor, encode_cursor
from parley.store import DeliveryRecord
from parley.team.members import Principal, Role

MAX_DAYS = 62  # a window longer than two months is refused (ask for it in two)
DEFAULT_DAYS = 7  # `to` left out: a week from `from`
MAX_PAGE = 1000  # a month of 1,000 posts in one page (about 400 KB of JSON; one DynamoDB Query is at most 1 MB)
DEFAULT_PAGE = 100
# A page reads each state's deliveries in parts of a quarter page: a part more than it shows at most per state.
CHUNKS_PER_PAGE = 4
PREVIEW_CHARS = 100
# Every state a delivery can be in (a state added to the machine is read too).
STREAMS: tuple[State, ...] = tuple(State)
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# What a calendar entry and a feed event show, and the keys a cursor is made of: a delivery's history, media and
# counters are not read (a third of the bytes).
READ = [
    "post_id",
    "channel_id",
    "publish_key",
    "network",
    "state",
    "publish_at",
    "text",
    "url",
    "published_at",
    "updated_at",
    "failure_reason",
]


@dataclass(frozen=True)
class CalendarQuery:
    start: str | None = None  # a date (that local day's start in `tz`) or an ISO time with its offset
    end: str | None = None  # the same; exclusive
    tz: str | None = None  # the days' zone: the channel's when one is asked for, else UTC
    channel_id: str | None = None
    limit: int = DEFAULT_PAGE
    cursor: str | None = None


def free_slots(workspace_id: str, channel_id: str | None, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The free posting times in [start, end) of one channel, or of every channel when None (the queue's slots
    that no post holds: parley.publishing.queue), in time order."""
    channel_ids = [channel_id] if channel_id else [c.channel_id for c in list_channels(workspace_id)]
    by_channel = queue.free_slots_of(workspace_id, channel_ids, start, end)
    found = [(at, cid) for cid, free in by_channel.items() for at in free]
    return [{"channel_id": cid, "at": _iso(at)} for at, cid in sorted(found)]


def _free_by_day(free: list[dict[str, Any]]) -> Callable[[datetime, datetime], list[dict[str, Any]]]:
    """The page's free slots, read once, handed to each day."""
    timed = [(datetime.fromisoformat(f["at"]), f) for f in free]
    return lambda start, end: [f for at, f in timed if start <= at < end]


def bound(value: str, zone: ZoneInfo, field: str) -> datetime:
    """`2026-03-01` (that day's first instant in `zone`) or `2026-03-01T00:00:00+01:00`, as UTC."""
    if DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationFailed(FieldProblem(field, f"{value!r} is not a date")) from exc
        return timeparse.utc(day_start(day, zone), field)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(FieldProblem(field, f"{value!r} is not a date or an ISO 8601 date-time")) from exc
    if parsed.tzinfo is None:
        raise ValidationFailed(FieldProblem(field, "needs an offset (e.g. 2026-03-01T00:00:00+01:00 or Z)"))
    return timeparse.utc(parsed, field)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """A local day's first instant (where midnight falls in a DST gap, the instant the clocks jump)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC).astimezone(zone)


def local_day(at: datetime, zone: ZoneInfo) -> date:
    return at.astimezone(zone).date()


def group_by_day(
    entries: Iterable[tuple[datetime, dict[str, Any]]],
    zone: ZoneInfo,
    first: date,
    last: date,
    free: Callable[[datetime, datetime], list[dict[str, Any]]] = lambda start, end: [],
) -> list[dict[str, Any]]:
    """Every local day from `first` to `last` (empty ones too), each with its entries in time order and its free
    slots; an entry's day is the date of its time in `zone` (so a 23:30 UTC post is on the next day in Berlin).
    Days are counted on the calendar, not in 24-hour steps: a DST day of 23 or 25 hours is one day."""
    days: dict[date, list[dict[str, Any]]] = {}
    day = first
    while day <= last:
        days[day] = []
        day += timedelta(days=1)
    for at, entry in sorted(entries, key=lambda pair: pair[0]):
        days.setdefault(local_day(at, zone), []).append(entry)
    out = []
    for day, items in sorted(days.items()):
        # as UTC instants: subtracting two times of one ZoneInfo gives wall-clock hours, not elapsed ones
        start, end = day_start(day, zone).astimezone(UTC), day_start(day + timedelta(days=1), zone).astimezone(UTC)
        out.append({"date": day.isoformat(), "entries": items, "free_slots": free(start, end)})
    return out


def entry_view(record: DeliveryRecord, zone: ZoneInfo) -> dict[str, Any]:
    local = record.publish_at.astimezone(zone)
    return {
        "post_id": record.post_id,
        "channel_id": record.channel_id,
        "network": record.network,
        "state": record.state,
        "publish_at": _iso(record.publish_at),
        "local_time": local.isoformat(),
        "text": preview(record.text),
        "url": record.url if record.state in (State.PUBLISHED.value, State.PARTIAL.value) else None,
        "published_at": _iso(record.published_at) if record.published_at else None,
    }


def preview(text: str, length: int = PREVIEW_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


def calendar(principal: Principal, query: CalendarQuery) -> dict[str, Any]:
    """One page of the calendar: the days it covers, their entries, and the next page's cursor."""
    principal.require(Role.VIEWER)
    ws = principal.workspace_id
    channel = get_channel(ws, query.channel_id) if query.channel_id else None  # 404 for an unknown one
    zone = timeparse.zone(query.tz or (channel.time_zone if channel else "UTC"), "tz")
    if not 1 <= query.limit <= MAX_PAGE:
        raise ValidationFailed(FieldProblem("limit", f"must be between 1 and {MAX_PAGE}"))
    start = bound(query.start, zone, "from") if query.start else day_start(local_day(clock.now(), zone), zone)
    end = bound(query.end, zone, "to") if query.end else start + timedelta(days=DEFAULT_DAYS)
    if end <= start:
        raise ValidationFailed(FieldProblem("to", "must be after from"))
    if end - start > timedelta(days=MAX_DAYS):
        raise ValidationFailed(FieldProblem("to", f"at most {MAX_DAYS} days after from: ask for the rest separately"))
    listing = Listing(ws, "calendar", {"from": _iso(start), "to": _iso(end), "channel": query.channel_id})
    resumed = decode_cursor(query.cursor, listing)
    positions: dict[str, Any] = dict(resumed["at"]) if resumed else {}
    records, after = page(ws, (start, end), query.channel_id, query.limit, positions)

    first = local_day(datetime.fromisoformat(resumed["last"]), zone) if resumed else local_day(start, zone)
    more = bool(records) and any(after.get(s.value) != 0 for s in STREAMS)  # absent: a stream not yet read to its end
    last = local_day(records[-1].publish_at if more else end - timedelta(microseconds=1), zone)
    entries = [(r.publish_at, entry_view(r, zone)) for r in records]
    until = day_start(max(first, last) + timedelta(days=1), zone)
    free = free_slots(ws, query.channel_id, max(day_start(first, zone), start, clock.now()), min(until, end))
    days = group_by_day(entries, zone, first, max(first, last), _free_by_day(free))
    cursor = encode_cursor({"at": after, "last": _iso(records[-1].publish_at)}, listing) if more else None
    return {
        "from": _iso(start),
        "to": _iso(end),
        "tz": zone.key,
        "channel": query.channel_id,
        "days": days,
        "next_cursor": cursor,
    }


def page(
    workspace_id: str,
    window: tuple[datetime, datetime],
    channel_id: str | None,
    limit: int,
    positions: dict[str, Any],
) -> tuple[list[DeliveryRecord], dict[str, Any]]:
    """The first `limit` deliveries of the window in time order, after `positions` (state -> where its stream
    stopped: [publish_key, channel_id] of the last one taken, 0 when it has no more, absent: from the start),
    and the positions after them. Each state's stream is read lazily, a part of a page at a time, as the merge
    needs it: a page reads about what it shows, not a page of every state."""
    chunk = max(1, -(-limit // CHUNKS_PER_PAGE))
    streams: dict[str, Iterator[DeliveryRecord]] = {}
    for state in STREAMS:
        position = positions.get(state.value)
        if position == 0:
            continue
        start = _start_key(workspace_id, state, position) if position else None
        streams[state.value] = iter(_stream(workspace_id, state, window, channel_id, limit, start, chunk))
    heads: list[tuple[str, str, str, DeliveryRecord]] = []  # each stream's next delivery, in time order
    ended: set[str] = set()

    def advance(state_name: str) -> None:
        record = next(streams[state_name], None)
        if record is None:
            ended.add(state_name)
        else:
            heapq.heappush(heads, (record.publish_key, record.channel_id, state_name, record))

    for state_name in streams:
        advance(state_name)
    taken: list[DeliveryRecord] = []
    last: dict[str, DeliveryRecord] = {}
    while heads:
        _, _, state_name, record = heapq.heappop(heads)
        taken.append(record)
        last[state_name] = record
        if len(taken) == limit:
            break  # not read past: a stream's end is only ever its last Query's (not the `limit` it was read with)
        advance(state_name)
    held = {head[2] for head in heads}  # read but not taken: their streams go on from their last taken
    after: dict[str, Any] = {s.value: 0 for s in STREAMS if positions.get(s.value) == 0}
    for state_name in streams:
        if state_name in ended and state_name not in held:
            after[state_name] = 0  # all it had: done
        elif state_name in last:
            after[state_name] = [last[state_name].publish_key, last[state_name].channel_id]
        elif state_name in positions:
            after[state_name] = positions[state_name]
    return taken, after


def every_delivery(workspace_id: str, window: tuple[datetime, datetime], limit: int) -> list[DeliveryRecord]:
    """Up to `limit` deliveries of the window, in time order (the iCalendar feed: one read, no pages)."""
    records, _ = page(workspace_id, window, None, limit, {})
    return records


def _stream(
    workspace_id: str,
    state: State,
    window: tuple[datetime, datetime],
    channel_id: str | None,
    limit: int,
    start: dict[str, Any] | None,
    chunk: int,
) -> Iterator[DeliveryRecord]:
    low, high = _key(window[0]), _key(window[1])  # "<time>#": before every post at that time
    return DeliveryRecord.by_state.query(
        state_key(workspace_id, state),
        DeliveryRecord.publish_key.between(low, high),
        filter_condition=(DeliveryRecord.channel_id == channel_id) if channel_id else None,
        limit=limit,
        page_size=chunk,
        last_evaluated_key=start,
        attributes_to_get=READ,
    )


def _start_key(workspace_id: str, state: State, position: Any) -> dict[str, Any]:
    """DynamoDB's key to start after: the index's keys and the table's, of the last delivery taken."""
    if not (isinstance(position, list) and len(position) == 2 and all(isinstance(p, str) for p in position)):
        raise ValueError("a signed cursor with a position this code never writes")
    publish_key, channel_id = position
    post_id = publish_key.rsplit("#", 1)[-1]
    return {
        "state_key": {"S": state_key(workspace_id, state)},
        "publish_key": {"S": publish_key},
        "post_id": {"S": post_id},
        "channel_id": {"S": channel_id},
    }


def _key(at: datetime) -> str:
    return f"{at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#"


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
