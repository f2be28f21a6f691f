"""The calendar as an iCalendar feed (RFC 5545, built with the `icalendar` library), for a calendar app that
subscribes to `/calendar.ics?token=...` (parley.team.feeds): one event per delivery from 30 days back to 180
ahead, so that the app shows what goes out when, on which network.

Calendar apps match events by UID and keep the newest by SEQUENCE (then DTSTAMP / LAST-MODIFIED): each delivery
keeps one UID (`<post_id>-<channel_id>@parley`) for its whole life, and its SEQUENCE is the delivery's last
change in seconds since 2020, which grows with every change (a reschedule, a state change); a cancelled
delivery stays in the feed as `STATUS:CANCELLED`, so an app that has it removes it (docs/calendar.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from parley.publishing.calendar import every_delivery, preview
from parley.publishing.deliveries import State
from parley.shared import clock
from parley.shared.config import get_settings
from parley.store import DeliveryRecord, WorkspaceRecord
from parley.team.members import Principal, Role

BACK = timedelta(days=30)
AHEAD = timedelta(days=180)
MAX_EVENTS = 5000  # the earliest ones in the window; a feed past this is cut (the JSON calendar pages)
DURATION = timedelta(minutes=15)  # a post is an instant: shown as a short event
SEQUENCE_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)  # seconds since then fit RFC 5545's integer until 2088
REFRESH = "PT15M"  # how often an app should read the feed again (a hint: Google reads it when it likes)
NETWORKS = {"bluesky": "Bluesky", "mastodon": "Mastodon", "x": "X", "linkedin": "LinkedIn", "facebook": "Facebook"}
NETWORKS |= {"instagram": "Instagram", "threads": "Threads"}
# held, a draft with a time and a post waiting for approval may still not go out then: tentative
STATUS = {
    State.CANCELLED.value: "CANCELLED",
    State.HELD.value: "TENTATIVE",
    State.DRAFT.value: "TENTATIVE",
    State.PENDING_APPROVAL.value: "TENTATIVE",
}  # else CONFIRMED


def feed(principal: Principal) -> bytes:
    """The member's workspace's deliveries as an iCalendar document."""
    principal.require(Role.VIEWER)
    now = clock.now()
    workspace = WorkspaceRecord.get(principal.workspace_id)
    calendar = Calendar()
    calendar.add("prodid", "-//parley//calendar feed//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"parley: {workspace.name}")
    calendar.add("x-wr-caldesc", "What goes out when, on which network (parley)")
    calendar.add("x-published-ttl", REFRESH)
    for record in every_delivery(principal.workspace_id, (now - BACK, now + AHEAD), MAX_EVENTS):
        calendar.add_component(event(record))
    return calendar.to_ical()


def uid(record: DeliveryRecord) -> str:
    return f"{record.post_id}-{record.channel_id}@parley"


def sequence(record: DeliveryRecord) -> int:
    return max(0, int((record.updated_at - SEQUENCE_EPOCH).total_seconds()))


def event(record: DeliveryRecord) -> Event:
    network = NETWORKS.get(record.network, record.network)
    state = "" if record.state in (State.SCHEDULED.value, State.PUBLISHED.value) else f" ({record.state})"
    item = Event()
    item.add("uid", uid(record))
    item.add("dtstamp", record.updated_at.astimezone(UTC))
    item.add("last-modified", record.updated_at.astimezone(UTC))
    item.add("sequence", sequence(record))
    item.add("dtstart", record.publish_at.astimezone(UTC))
    item.add("dtend", record.publish_at.astimezone(UTC) + DURATION)
    item.add("summary", f"{network}{state}: {preview(record.text, 60)}")
    item.add("description", _description(record, network))
    item.add("status", STATUS.get(record.state, "CONFIRMED"))
    item.add("transp", "TRANSPARENT")  # a post does not make anyone busy
    item.add("categories", [network, record.state])
    if record.url and record.state in (State.PUBLISHED.value, State.PARTIAL.value):
        item.add("url", record.url)
    return item


def _description(record: DeliveryRecord, network: str) -> str:
    lines = [record.text, "", f"State: {record.state}", f"In parley: {_post_url(record.post_id)}"]
    if record.url and record.state in (State.PUBLISHED.value, State.PARTIAL.value):
        lines.append(f"On {network}: {record.url}")
    if record.failure_reason:
        lines.append(f"Why it failed: {record.failure_reason}")
    return "\n".join(lines)


def _post_url(post_id: str) -> str:
    return f"{get_settings().public_base_url}/posts/{post_id}"
