"""The listening cadence's trade-off: how long a reply waits for the inbox, by the post's age when it was
written, against how many network calls a post costs over its watch window.

Run: .venv/bin/python bench/listening_cadence.py [--replies 20000] [--seed 0]
This evaluates the cadence itself (parley/listening/cadence.py), with replies at seeded random moments:
the wait is from a reply's creation to the first poll after it (Scheduler's up-to-a-minute lateness
and the AppView's indexing, ~0.5 s, come on top). Calls: one getPostThread per poll of a post; the
mentions read (listNotifications) is shared by every post of the channel polled in the same run.
"""

from __future__ import annotations

import argparse
import random
import statistics
from datetime import UTC, datetime, timedelta

from parley.listening import cadence
from parley.shared.names import WATCH_WINDOW_SECONDS

AGES = (
    ("0-30 min", 0, 30 * 60),
    ("30 min-2 h", 30 * 60, 2 * 3600),
    ("2-6 h", 2 * 3600, 6 * 3600),
    ("6-24 h", 6 * 3600, 86400),
    ("1-3 days", 86400, 3 * 86400),
    ("3-7 days", 3 * 86400, 7 * 86400),
)


def poll_times(published: datetime, until: datetime) -> list[datetime]:
    times: list[datetime] = []
    at: datetime | None = published + cadence.interval(timedelta(0))
    while at is not None:
        times.append(at)
        at = cadence.next_poll(published, at, until)
    return times


def wait_seconds(polls: list[datetime], written: datetime) -> float:
    for at in polls:
        if at >= written:
            return (at - written).total_seconds()
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replies", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    published = datetime(2026, 1, 1, tzinfo=UTC)
    polls = poll_times(published, published + timedelta(seconds=WATCH_WINDOW_SECONDS))
    print(f"watch window {WATCH_WINDOW_SECONDS // 86400} days: {len(polls)} polls = getPostThread calls per post")
    print(f"{'reply written at post age':<28}{'median wait':>14}{'p95 wait':>12}")
    for label, low, high in AGES:
        waits = sorted(
            wait_seconds(polls, published + timedelta(seconds=rng.uniform(low, high))) for _ in range(args.replies)
        )
        p95 = waits[int(0.95 * (len(waits) - 1))]
        print(f"{label:<28}{_fmt(statistics.median(waits)):>14}{_fmt(p95):>12}")


def _fmt(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


if __name__ == "__main__":
    main()
