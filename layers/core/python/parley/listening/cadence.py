"""How often a published post is looked at: often while it is young, rarely once it is old.

Replies come fastest in a post's first minutes and thin out over hours and days, so the interval
between polls grows with the post's age; after the watch window, it is not polled again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MINUTE = 60
HOUR = 3600
DAY = 86400

# (age at least, poll every): the first row that the age reaches from the bottom wins.
CADENCE: tuple[tuple[int, int], ...] = (
    (0, 2 * MINUTE),
    (30 * MINUTE, 5 * MINUTE),
    (2 * HOUR, 15 * MINUTE),
    (6 * HOUR, HOUR),
    (DAY, 6 * HOUR),
    (3 * DAY, DAY),
)


# A listener (hashtag, keyword, mentions) has no age: it is read at one pace while it exists.
LISTENER_EVERY = timedelta(minutes=5)


def interval(age: timedelta) -> timedelta:
    seconds = max(age.total_seconds(), 0)
    every = CADENCE[0][1]
    for at_least, step in CADENCE:
        if seconds >= at_least:
            every = step
    return timedelta(seconds=every)


def next_poll(published_at: datetime, now: datetime, watch_until: datetime) -> datetime | None:
    """When to look next after looking at `now`; None once the window is over (a last look at its end)."""
    if now >= watch_until:
        return None
    return min(now + interval(now - published_at), watch_until)


def polls_over_window(window: timedelta) -> int:
    """How many polls one post costs over its whole window (for the docs and the bench)."""
    start = datetime(2000, 1, 1)
    until = start + window
    count, at = 0, start + interval(timedelta(0))
    while at is not None:
        count += 1
        at = next_poll(start, at, until)  # type: ignore[assignment]
    return count
