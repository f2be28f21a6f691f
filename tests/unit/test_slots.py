"""Weekly posting times (parley.publishing.slots): the shape, and the one DST rule on America/New_York and
Europe/Berlin, with the manual clock as the reference time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from parley.publishing import slots
from parley.shared import clock
from parley.shared.clock import ManualClock
from parley.shared.errors import ValidationFailed

NY, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin")


@pytest.fixture
def manual() -> Iterator[ManualClock]:
    previous = clock.get_clock()
    manual = ManualClock(datetime(2026, 3, 2, 12, 0, tzinfo=UTC))  # a Monday
    clock.set_clock(manual)
    yield manual
    clock.set_clock(previous)


def problems(rules: list[dict[str, Any]], zone: str = "UTC") -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        slots.parse(zone, rules)
    return {p.field: p.reason for p in caught.value.problems}


def test_weekdays_at_three_times_read_back_in_canonical_form() -> None:
    weekly = slots.parse("Europe/Berlin", [{"days": ["fri", "mon"], "at": ["17:00", "09:00"]}])
    assert weekly.days == {0: (time(9), time(17)), 4: (time(9), time(17))}
    assert weekly.rules() == [{"days": ["mon", "fri"], "at": ["09:00", "17:00"]}]


def test_bad_shapes_are_refused_with_the_field_and_the_reason() -> None:
    assert "is not a day" in problems([{"days": ["monday"], "at": ["09:00"]}])["times[0].days[0]"]
    assert "HH:MM" in problems([{"days": ["mon"], "at": ["9:00"]}])["times[0].at[0]"]
    assert "HH:MM" in problems([{"days": ["mon"], "at": ["24:00"]}])["times[0].at[0]"]
    assert "at least one day" in problems([{"days": [], "at": ["09:00"]}])["times[0].days"]
    assert "twice" in problems([{"days": ["mon", "mon"], "at": ["09:00"]}])["times[0].days"]
    assert "twice" in problems([{"days": ["mon"], "at": ["09:00", "09:00"]}])["times[0].at"]
    both = [{"days": ["mon"], "at": ["09:00"]}, {"days": ["mon", "tue"], "at": ["09:00"]}]
    assert "another rule" in problems(both)["times[1].at"]
    assert "unknown time zone" in problems([], zone="Mars/Olympus")["time_zone"]


def test_no_times_is_an_empty_week_with_no_slots(manual: ManualClock) -> None:
    weekly = slots.parse("UTC", [])
    assert weekly.empty
    assert list(slots.upcoming(weekly, clock.now())) == []


def test_upcoming_slots_start_at_the_reference_time_and_skip_other_days(manual: ManualClock) -> None:
    weekly = slots.parse("Europe/Berlin", [{"days": ["mon", "wed"], "at": ["09:00", "17:00"]}])
    found = list(slots.upcoming(weekly, clock.now(), days_ahead=3))
    # Monday 12:00 UTC is 13:00 in Berlin (CET, +1): Monday 17:00 is next, then Wednesday's
    assert found == [
        datetime(2026, 3, 2, 16, 0, tzinfo=UTC),
        datetime(2026, 3, 4, 8, 0, tzinfo=UTC),
        datetime(2026, 3, 4, 16, 0, tzinfo=UTC),
    ]


def test_a_time_in_new_yorks_spring_gap_is_the_moment_the_clocks_jump(manual: ManualClock) -> None:
    # 2026-03-08: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist
    slot = slots.instant(date(2026, 3, 8), time(2, 30), NY)
    assert slot == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert slot.astimezone(NY).strftime("%H:%M %Z") == "03:00 EDT"


def test_a_time_in_new_yorks_fall_overlap_is_its_first_occurrence() -> None:
    # 2026-11-01: 01:30 happens in EDT (-4) and again in EST (-5); the first is 05:30 UTC
    assert slots.instant(date(2026, 11, 1), time(1, 30), NY) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def test_berlins_gap_and_overlap_follow_the_same_rule() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 2026-10-25: 02:30 happens twice, first in CEST
    assert slots.instant(date(2026, 3, 29), time(2, 15), BERLIN) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert slots.instant(date(2026, 10, 25), time(2, 30), BERLIN) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_two_times_landing_on_one_instant_are_one_slot(manual: ManualClock) -> None:
    manual.set(datetime(2026, 3, 7, 12, 0, tzinfo=UTC))
    weekly = slots.parse("America/New_York", [{"days": ["sun"], "at": ["02:30", "03:00", "09:00"]}])
    found = list(slots.upcoming(weekly, clock.now(), days_ahead=2))
    assert found == [datetime(2026, 3, 8, 7, 0, tzinfo=UTC), datetime(2026, 3, 8, 13, 0, tzinfo=UTC)]


def test_slots_keep_their_local_time_across_a_dst_change(manual: ManualClock) -> None:
    manual.set(datetime(2026, 3, 27, 0, 0, tzinfo=UTC))
    weekly = slots.parse("Europe/Berlin", [{"days": list(slots.DAYS), "at": ["09:00"]}])
    found = slots.between(weekly, clock.now(), datetime(2026, 3, 31, tzinfo=UTC))
    assert [s.astimezone(BERLIN).strftime("%d %H:%M") for s in found] == [
        "27 09:00",
        "28 09:00",
        "29 09:00",
        "30 09:00",
    ]
    assert [s.hour for s in found] == [8, 8, 7, 7]  # CET, then CEST


def test_upcoming_stops_at_the_last_year_a_time_may_have() -> None:
    weekly = slots.parse("UTC", [{"days": list(slots.DAYS), "at": ["09:00"]}])
    found = list(slots.upcoming(weekly, datetime(9998, 12, 30, tzinfo=UTC)))
    assert found == [datetime(9998, 12, 30, 9, tzinfo=UTC), datetime(9998, 12, 31, 9, tzinfo=UTC)]
