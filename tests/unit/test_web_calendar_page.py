"""The calendar page's own rules (parley.web.calendar_page): its query, the week (Monday first) or month shown
and the ones before and after, the workspace's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest

from parley.shared.errors import ValidationFailed
from parley.web import calendar_page


def test_an_empty_query_is_this_week_of_everything() -> None:
    assert calendar_page.parse({}) == calendar_page.CalendarFilter("week", None, None, None)
    blank = {"view": "", "date": "", "channel": "", "status": ""}  # what the filter form sends for "all"
    assert calendar_page.parse(blank) == calendar_page.CalendarFilter("week", None, None, None)


def test_a_full_query_is_kept() -> None:
    wanted = calendar_page.parse({"view": "month", "date": "2026-03-29", "channel": "ch_1", "status": "failed"})
    assert wanted == calendar_page.CalendarFilter("month", date(2026, 3, 29), "ch_1", "failed")


def test_every_bad_value_is_named_at_once() -> None:
    with pytest.raises(ValidationFailed) as refused:
        calendar_page.parse({"view": "day", "date": "29/03/2026", "status": "lost"})
    assert [p.field for p in refused.value.problems] == ["view", "date", "status"]


@pytest.mark.parametrize(
    ("view", "anchor", "expected"),
    [
        ("week", date(2026, 3, 29), (date(2026, 3, 23), date(2026, 3, 30), date(2026, 3, 16), date(2026, 3, 30))),
        ("week", date(2026, 3, 30), (date(2026, 3, 30), date(2026, 4, 6), date(2026, 3, 23), date(2026, 4, 6))),
        ("month", date(2026, 3, 31), (date(2026, 3, 1), date(2026, 4, 1), date(2026, 2, 1), date(2026, 4, 1))),
        ("month", date(2026, 12, 5), (date(2026, 12, 1), date(2027, 1, 1), date(2026, 11, 1), date(2027, 1, 1))),
        ("month", date(2028, 2, 29), (date(2028, 2, 1), date(2028, 3, 1), date(2028, 1, 1), date(2028, 3, 1))),
    ],
)
def test_the_window_and_its_neighbours(view: str, anchor: date, expected: tuple[date, ...]) -> None:
    assert calendar_page.window(view, anchor) == expected


def test_the_workspace_zone_is_its_first_channels_else_utc() -> None:
    first = SimpleNamespace(time_zone="Europe/Berlin", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    later = SimpleNamespace(time_zone="America/New_York", created_at=datetime(2026, 2, 1, tzinfo=UTC))
    assert calendar_page.workspace_zone([later, first]).key == "Europe/Berlin"
    assert calendar_page.workspace_zone([]).key == "UTC"
