"""The spike rule of listening alerts: this hour against the workspace's own trailing baseline."""

from __future__ import annotations

from parley.listening.alerts import MENTIONS, NEGATIVE_SHARE, AlertSettings, Hour, spikes

QUIET_WEEK = [Hour(items=2, mentions=1, negative=0) if n % 3 else Hour() for n in range(7 * 24)]
SETTINGS = AlertSettings(k=3, min_items=5)


def test_an_ordinary_hour_raises_nothing() -> None:
    assert spikes(Hour(items=2, mentions=1), QUIET_WEEK, SETTINGS, "h") == []


def test_a_burst_of_mentions_far_above_the_baseline_is_a_spike() -> None:
    (alert,) = spikes(Hour(items=12, mentions=12), QUIET_WEEK, SETTINGS, "h")
    assert alert.kind == MENTIONS and alert.observed == 12 and alert.threshold < 12


def test_a_turn_to_negative_is_a_spike_even_without_more_mentions() -> None:
    kinds = {a.kind for a in spikes(Hour(items=6, mentions=1, negative=6), QUIET_WEEK, SETTINGS, "h")}
    assert kinds == {NEGATIVE_SHARE}


def test_an_hour_below_the_minimum_never_alerts() -> None:
    assert spikes(Hour(items=4, mentions=4, negative=4), [Hour()] * 168, SETTINGS, "h") == []


def test_a_noisy_baseline_needs_a_bigger_burst() -> None:
    noisy = [Hour(items=20, mentions=20) if n % 2 else Hour() for n in range(168)]
    assert spikes(Hour(items=12, mentions=12), noisy, SETTINGS, "h") == []
