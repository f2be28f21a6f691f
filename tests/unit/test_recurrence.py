"""A repeating post's rules (parley.publishing.recurrence): occurrences in the series' zone across DST, the
bounds of a series, the rotation of texts and the same-text rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.publishing import recurrence
from parley.shared.clock import ManualClock
from parley.shared.errors import ValidationFailed


def _fields(exc: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [p.field for p in exc.value.problems]


@pytest.mark.parametrize(
    ("zone", "first_day"),
    [("America/New_York", datetime(2027, 3, 9)), ("Europe/Berlin", datetime(2027, 3, 23))],
)
def test_three_weekly_occurrences_across_the_march_change_stay_at_nine_local(zone: str, first_day: datetime) -> None:
    """New York springs forward on 14 March 2027, Berlin on 28 March: the Tuesdays around it stay 09:00 local,
    so their UTC times move by an hour."""
    tz = ZoneInfo(zone)
    clock = ManualClock(datetime(2027, 3, 1, tzinfo=UTC))
    first = first_day.replace(hour=9, tzinfo=tz)
    assert first > clock.now()
    found = recurrence.occurrences("FREQ=WEEKLY;BYDAY=TU;COUNT=3", zone, first)
    assert len(found) == 3
    assert [at.astimezone(tz).hour for at in found] == [9, 9, 9]
    assert [at.astimezone(tz).weekday() for at in found] == [1, 1, 1]
    assert [at.tzinfo for at in found] == [UTC, UTC, UTC]
    offsets = [at.astimezone(tz).utcoffset() for at in found]
    assert offsets[0] != offsets[-1]  # the change is between them
    assert found[1] - found[0] + found[2] - found[1] == timedelta(days=14) - timedelta(hours=1)


def test_the_autumn_change_moves_utc_the_other_way() -> None:
    tz = ZoneInfo("Europe/Berlin")
    found = recurrence.occurrences("FREQ=WEEKLY;COUNT=2", "Europe/Berlin", datetime(2027, 10, 26, 9, tzinfo=tz))
    assert [at.astimezone(tz).hour for at in found] == [9, 9]
    assert found[1] - found[0] == timedelta(days=7, hours=1)


def test_until_in_utc_and_in_local_time_both_end_the_series() -> None:
    tz = ZoneInfo("America/New_York")
    first = datetime(2027, 3, 2, 9, tzinfo=tz)
    assert len(recurrence.occurrences("FREQ=WEEKLY;UNTIL=20270401T000000Z", "America/New_York", first)) == 5
    assert len(recurrence.occurrences("RRULE:FREQ=WEEKLY;UNTIL=20270316T090000", "America/New_York", first)) == 3


def test_the_first_occurrence_is_the_first_the_rule_allows_from_publish_at() -> None:
    monday = datetime(2027, 3, 1, 9, tzinfo=UTC)
    found = recurrence.occurrences("FREQ=WEEKLY;BYDAY=TU;COUNT=2", "UTC", monday)
    assert found[0] == monday + timedelta(days=1)


@pytest.mark.parametrize(
    ("rule", "says"),
    [
        ("FREQ=WEEKLY", "give COUNT or UNTIL"),
        ("FREQ=WEEKLY;COUNT=101", "more than 100"),
        ("FREQ=HOURLY;COUNT=3", "FREQ must be"),
        ("FREQ=FOO;COUNT=3", "FREQ must be"),
        ("garbage", "FREQ must be"),
        ("FREQ=WEEKLY;BYDAY=XX;COUNT=3", "not an RFC 5545 RRULE"),
        ("FREQ=WEEKLY;COUNT=abc", "not an RFC 5545 RRULE"),
        ("FREQ=WEEKLY;COUNT=0", "has no occurrence"),
        ("FREQ=DAILY;BYHOUR=9,17;COUNT=4", "BYHOUR is not taken"),
        ("DTSTART:20270101T090000\nRRULE:FREQ=DAILY;COUNT=2", "one RRULE line"),
        ("FREQ=DAILY;UNTIL=20200101", "has no occurrence"),
        ("FREQ=YEARLY;COUNT=5", "more than two years after"),
        ("FREQ=DAILY;UNTIL=20991231T000000", "UNTIL is more than two years"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30;COUNT=3", "has no occurrence"),
        ("FREQ=DAILY;UNTIL=20280101T000000Z", "more than 100 occurrences"),
        ("FREQ=MONTHLY;INTERVAL=-1;COUNT=2", "INTERVAL must be"),
        ("FREQ=MONTHLY;COUNT=3;COUNT=5", "named twice"),
        ("FREQ=MONTHLY;COUNT=3;UNTIL=20280101T000000Z", "not both"),
        ("FREQ=WEEKLY;BYMONTH=3;COUNT=3", "go with FREQ=MONTHLY"),
        ("FREQ=DAILY;BYYEARDAY=100;COUNT=3", "BYYEARDAY: not taken"),
        ("FREQ=MONTHLY;BYMONTHDAY=32;COUNT=3", "BYMONTHDAY takes 1 to 31"),
        ("FREQ=YEARLY;BYMONTH=-1;COUNT=3", "BYMONTH takes 1 to 12"),
        ("FREQ=MONTHLY;INTERVAL=5;BYDAY=53MO;COUNT=3;BYSETPOS=-1", "not an RFC 5545 RRULE"),
    ],
)
def test_a_rule_parley_does_not_take_is_a_422_naming_repeat_rrule(rule: str, says: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        recurrence.occurrences(rule, "UTC", datetime(2027, 3, 1, 9, tzinfo=UTC))
    assert _fields(exc) == ["repeat.rrule"]
    assert says in exc.value.problems[0].reason


def test_an_occurrence_in_a_dst_gap_is_refused_never_shifted() -> None:
    tz = ZoneInfo("America/New_York")
    with pytest.raises(ValidationFailed) as exc:
        recurrence.occurrences("FREQ=DAILY;COUNT=10", "America/New_York", datetime(2027, 3, 10, 2, 30, tzinfo=tz))
    assert "2027-03-14" in exc.value.problems[0].reason and "skip" in exc.value.problems[0].reason


def test_an_unknown_zone_names_repeat_tz() -> None:
    with pytest.raises(ValidationFailed) as exc:
        recurrence.occurrences("FREQ=DAILY;COUNT=2", "Mars/Olympus", datetime(2027, 3, 1, tzinfo=UTC))
    assert _fields(exc) == ["repeat.tz"]


def test_texts_rotate_per_occurrence() -> None:
    texts = recurrence.rotation("A", ["B", "C"])
    assert [recurrence.text_for(texts, i) for i in range(5)] == ["A", "B", "C", "A", "B"]


def test_x_refuses_a_repeat_of_the_same_words_and_the_others_are_warned() -> None:
    found = recurrence.repeated_texts(["Same  text"], {}, {"x", "bluesky"}, occurrences=3)
    assert [p.field for p in found.refused] == ["repeat.variants"]
    assert "duplicate content" in found.refused[0].reason
    assert [p.field for p in found.warnings] == ["repeat.variants"]
    assert found.warnings[0].reason.startswith("bluesky:")


def test_variants_that_differ_from_the_one_before_pass() -> None:
    found = recurrence.repeated_texts(["A", "B"], {}, {"x", "bluesky"}, occurrences=6)
    assert found.refused == [] and found.warnings == []


def test_a_variant_equal_to_the_text_spacing_aside_is_still_a_repeat() -> None:
    found = recurrence.repeated_texts(["Hello world", "Hello  world "], {}, {"x"}, occurrences=2)
    assert found.refused


def test_an_override_is_the_same_every_occurrence() -> None:
    found = recurrence.repeated_texts(["A", "B"], {"x": "X text"}, {"x"}, occurrences=2)
    assert [p.field for p in found.refused] == ["overrides.x.text"]


def test_one_occurrence_repeats_nothing() -> None:
    assert recurrence.repeated_texts(["A"], {}, {"x"}, occurrences=1).refused == []


def test_evergreen_needs_a_period_and_an_end() -> None:
    first = datetime(2027, 3, 1, 9, tzinfo=UTC)
    with pytest.raises(ValidationFailed) as exc:
        recurrence.check_evergreen(recurrence.Repeat(every_days=0), first)
    assert _fields(exc) == ["repeat.every_days", "repeat.until"]
    with pytest.raises(ValidationFailed) as exc:
        recurrence.check_evergreen(recurrence.Repeat(every_days=30, until=first - timedelta(days=1)), first)
    assert _fields(exc) == ["repeat.until"]
    recurrence.check_evergreen(recurrence.Repeat(every_days=30, until=first + timedelta(days=90)), first)
    assert recurrence.next_evergreen(first, 30) == first + timedelta(days=30)


def test_an_edit_is_compared_with_what_the_occurrence_before_got() -> None:
    # occurrences 3 and 4 to come; occurrence 2 got "B": a new rotation starting with "B" repeats it
    found = recurrence.repeated_texts(["B", "C"], {}, {"x"}, 2, start=2, before={"x": "B"})
    assert [p.field for p in found.refused] == ["repeat.variants"]
    assert recurrence.repeated_texts(["A", "B"], {}, {"x"}, 2, start=2, before={"x": "B"}).refused == []
    last = recurrence.repeated_texts(["Same"], {}, {"x"}, 1, start=5, before={"x": "Same"})
    assert [p.field for p in last.refused] == ["text"]  # the last one: its text repeats the one before


_PARTS = st.sampled_from(["INTERVAL", "BYDAY", "BYMONTH", "BYMONTHDAY", "BYSETPOS", "WKST", "COUNT", "UNTIL", "X"])
_VALUES = st.sampled_from(
    ["1", "-1", "0", "5", "31", "-31", "13", "MO", "2TU,-1FR", "abc", "", "9" * 20, "+1MO", "53MO", "20280101T000000Z"]
)


@settings(max_examples=150, deadline=None)
@given(
    freq=st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY", "HOURLY", ""]),
    end=st.sampled_from(["COUNT=3", "COUNT=100", "UNTIL=20280101T000000Z", "UNTIL=20270601", ""]),
    more=st.lists(st.tuples(_PARTS, _VALUES), max_size=3),
    zone=st.sampled_from(["UTC", "America/New_York", "Europe/Berlin"]),
)
def test_any_rule_is_occurrences_or_a_422_never_an_error(
    freq: str, end: str, more: list[tuple[str, str]], zone: str
) -> None:
    rule = ";".join([f"FREQ={freq}", end, *(f"{k}={v}" for k, v in more)])
    try:
        found = recurrence.occurrences(rule, zone, datetime(2027, 3, 1, 9, tzinfo=UTC))
    except ValidationFailed as exc:
        assert {p.field for p in exc.problems} <= {"repeat.rrule"}
        return
    assert 1 <= len(found) <= recurrence.MAX_OCCURRENCES
    assert found == sorted(found)
