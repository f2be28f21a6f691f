"""The one-line message a page shows after a save sent the browser to it (Post/Redirect/Get): the address
carries a fixed code (`?saved=scheduled`), never the words, so a link cannot make parley's page say anything else."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from parley.shared import clock

DRAFT, SUBMITTED, SCHEDULED, PUBLISHING = "draft", "submitted", "scheduled", "publishing"
MESSAGES = {
    DRAFT: "Saved as a draft.",
    SUBMITTED: "Submitted: the post waits for an editor's approval.",
    SCHEDULED: "Scheduled.",
    PUBLISHING: "Publishing now.",
}
CALENDAR = "/app/calendar"


def message(params: dict[str, str]) -> str | None:
    """The message a page's query asks for (an unknown code: none)."""
    return MESSAGES.get(params.get("saved") or "")


def calendar_after(post: dict[str, Any], zone: ZoneInfo, saved: str) -> str:
    """The calendar's week holding the post's time (a draft without one: this week), with the message."""
    at = post.get("publish_at")
    moment = datetime.fromisoformat(at.replace("Z", "+00:00")) if at else clock.now()
    day = moment.astimezone(zone).date().isoformat()
    return f"{CALENDAR}?{urlencode({'date': day, 'saved': saved})}"
