"""The rolling 24-hour window behind queue-time posting quotas (parley.publishing.quotas)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from parley.publishing.quotas import WINDOW, busiest_window

T0 = datetime(2026, 11, 23, tzinfo=UTC)


def _brute_force(times: list[datetime], at: datetime) -> int:
    """Every window (start, start + 24 h] with start on a minute grid from 24 h before `at` to `at`."""
    best = 0
    for minutes in range(0, 24 * 60 + 1):
        start = at - WINDOW + timedelta(minutes=minutes) - timedelta(seconds=30)
        if start < at <= start + WINDOW:
            best = max(best, sum(1 for t in times if start < t <= start + WINDOW))
    return best


@given(st.lists(st.integers(min_value=0, max_value=72 * 60), max_size=12), st.integers(min_value=0, max_value=72 * 60))
def test_the_busiest_window_is_what_trying_every_window_finds(minutes: list[int], at_minute: int) -> None:
    at = T0 + timedelta(minutes=at_minute)
    times = sorted([T0 + timedelta(minutes=m) for m in minutes] + [at])
    assert busiest_window(times, at) == _brute_force(times, at)


def test_posts_a_day_apart_never_share_a_window() -> None:
    at = T0 + WINDOW
    assert busiest_window([T0, at, at + WINDOW], at) == 1
    assert busiest_window([T0 + timedelta(seconds=1), at, at + WINDOW - timedelta(seconds=1)], at) == 2
