"""The calendar's days: an entry's day is the date of its time in the asked zone, days are calendar days (23 or
25 hours across DST), and a window's bounds are local days' first instants (parley.publishing.calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from parley.publishing.calendar import bound, day_start, group_by_day, preview
from parley.shared.errors import ValidationFailed

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def entries(*times: str) -> list[tuple[datetime, dict[str, Any]]]:
    return [(at(t), {"id": t}) for t in times]


def ids(day: dict[str, Any]) -> list[str]:
    return [e["id"] for e in day["entries"]]


def test_entries_fall_on_their_local_day_across_the_spring_change_in_berlin() -> None:
    # 2026-03-29: at 01:00Z Berlin jumps from 02:00 CET to 03:00 CEST; the day has 23 hours
    times = entries(
        "2026-03-28T22:59:00+00:00",  # 23:59 CET on the 28th
        "2026-03-28T23:30:00+00:00",  # 00:30 CET on the 29th (UTC says the 28th)
        "2026-03-29T01:30:00+00:00",  # 03:30 CEST on the 29th
        "2026-03-29T21:59:00+00:00",  # 23:59 CEST on the 29th
        "2026-03-29T22:30:00+00:00",  # 00:30 CEST on the 30th (UTC says the 29th)
    )
    seen: list[tuple[datetime, datetime]] = []

    def free(start: datetime, end: datetime) -> list[dict[str, Any]]:
        seen.append((start, end))
        return []

    days = group_by_day(times, BERLIN, date(2026, 3, 28), date(2026, 3, 30), free)
    assert [d["date"] for d in days] == ["2026-03-28", "2026-03-29", "2026-03-30"]
    assert ids(days[0]) == ["2026-03-28T22:59:00+00:00"]
    assert ids(days[1]) == ["2026-03-28T23:30:00+00:00", "2026-03-29T01:30:00+00:00", "2026-03-29T21:59:00+00:00"]
    assert ids(days[2]) == ["2026-03-29T22:30:00+00:00"]
    assert [end - start for start, end in seen] == [timedelta(hours=24), timedelta(hours=23), timedelta(hours=24)]
    assert all(d["free_slots"] == [] for d in days)


def test_the_autumn_change_in_new_york_makes_a_25_hour_day() -> None:
    # 2026-11-01: at 06:00Z New York falls back from 02:00 EDT to 01:00 EST
    times = entries(
        "2026-11-01T05:30:00+00:00",  # 01:30 EDT, the first time
        "2026-11-01T06:30:00+00:00",  # 01:30 EST, the second time
        "2026-11-02T04:30:00+00:00",  # 23:30 EST on the 1st (at EDT's offset it would be the 2nd)
        "2026-11-02T05:00:00+00:00",  # 00:00 EST on the 2nd
    )
    seen: list[timedelta] = []

    def free(start: datetime, end: datetime) -> list[dict[str, Any]]:
        seen.append(end - start)
        return []

    days = group_by_day(times, NEW_YORK, date(2026, 11, 1), date(2026, 11, 2), free)
    assert ids(days[0]) == ["2026-11-01T05:30:00+00:00", "2026-11-01T06:30:00+00:00", "2026-11-02T04:30:00+00:00"]
    assert ids(days[1]) == ["2026-11-02T05:00:00+00:00"]
    assert seen == [timedelta(hours=25), timedelta(hours=24)]


def test_days_without_entries_are_listed_and_entries_are_in_time_order() -> None:
    times = entries("2026-06-03T12:00:00+00:00", "2026-06-03T08:00:00+00:00")
    days = group_by_day(times, ZoneInfo("UTC"), date(2026, 6, 1), date(2026, 6, 4))
    assert [(d["date"], len(d["entries"])) for d in days] == [
        ("2026-06-01", 0),
        ("2026-06-02", 0),
        ("2026-06-03", 2),
        ("2026-06-04", 0),
    ]
    assert ids(days[2]) == ["2026-06-03T08:00:00+00:00", "2026-06-03T12:00:00+00:00"]


def test_a_date_bound_is_that_local_days_first_instant() -> None:
    assert bound("2026-03-29", BERLIN, "from") == at("2026-03-28T23:00:00+00:00")
    assert bound("2026-03-30", BERLIN, "to") == at("2026-03-29T22:00:00+00:00")
    assert bound("2026-03-29T00:00:00+05:00", BERLIN, "from") == at("2026-03-28T19:00:00+00:00")


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump() -> None:
    # Chile moves its clocks from 00:00 to 01:00 on 2026-09-06: that day starts at 01:00 (-03:00)
    santiago = ZoneInfo("America/Santiago")
    start = day_start(date(2026, 9, 6), santiago)
    assert start.isoformat() == "2026-09-06T01:00:00-03:00"
    assert start.astimezone(UTC) == day_start(date(2026, 9, 5), santiago).astimezone(UTC) + timedelta(hours=24)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-03-29T09:00:00", "needs an offset"),
        ("2026-02-30", "is not a date"),
        ("next week", "is not a date or an ISO 8601 date-time"),
    ],
)
def test_a_bound_without_an_offset_or_not_a_date_is_refused_naming_its_field(value: str, reason: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        bound(value, BERLIN, "from")
    assert refused.value.problems[0].field == "from"
    assert reason in refused.value.problems[0].reason


def test_a_preview_is_one_line_and_cut_with_an_ellipsis() -> None:
    assert preview("Hello\n\nworld") == "Hello world"
    long = preview("word " * 50, 20)
    assert len(long) <= 20 and long.endswith("…")
