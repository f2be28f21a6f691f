"""Weekly posting times, as pure arithmetic (no storage): reading and checking them, and the instants they
name in a time zone. docs/queue.md says the rules.

The one DST rule: a posting time that does not exist on a day (the clocks skip it, spring forward) is the
next valid instant, the moment the clocks jump (02:30 on America/New_York's spring-forward day is 03:00
local); a posting time that happens twice (the clocks fall back) is its first occurrence (fold=0). Two times
that land on the same instant (02:30 and 03:00 on that day) are one slot.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from parley.shared import timeparse
from parley.shared.errors import FieldProblem, ValidationFailed

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # datetime.weekday() order
AT_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_RULES = 14
MAX_TIMES_PER_DAY = 48
MAX_DAYS_AHEAD = 7 * 60  # how far the queue looks for a free slot (about 8 months of weeks)


@dataclass(frozen=True)
class Weekly:
    """Posting times in one zone: weekday (0 = Monday) -> the local times of that day, sorted."""

    time_zone: str
    days: dict[int, tuple[time, ...]]

    @property
    def empty(self) -> bool:
        return not any(self.days.values())

    def rules(self) -> list[dict[str, Any]]:
        """The canonical API shape: one rule per distinct set of times, days in week order."""
        by_times: dict[tuple[time, ...], list[str]] = {}
        for day in range(7):
            if self.days.get(day):
                by_times.setdefault(self.days[day], []).append(DAYS[day])
        return [{"days": days, "at": [t.strftime("%H:%M") for t in ats]} for ats, days in by_times.items()]


def parse(time_zone: str, rules: list[dict[str, Any]], field: str = "times") -> Weekly:
    """`[{"days": ["mon", ...], "at": ["09:00", ...]}, ...]` in `time_zone`, checked strictly: every problem
    is a 422 naming its field (`times[0].days[2]`) and why. An empty list is no posting times."""
    timeparse.zone(time_zone)
    problems: list[FieldProblem] = []
    if len(rules) > MAX_RULES:
        raise ValidationFailed(FieldProblem(field, f"at most {MAX_RULES} rules"))
    days: dict[int, set[time]] = {}
    for i, rule in enumerate(rules):
        where = f"{field}[{i}]"
        day_names, ats = rule.get("days"), rule.get("at")
        if not isinstance(day_names, list) or not day_names:
            problems.append(FieldProblem(f"{where}.days", "name at least one day (mon, tue, ..., sun)"))
            day_names = []
        if not isinstance(ats, list) or not ats:
            problems.append(FieldProblem(f"{where}.at", "name at least one time (HH:MM, 24-hour)"))
            ats = []
        if len(set(map(str, day_names))) != len(day_names):
            problems.append(FieldProblem(f"{where}.days", "a day is named twice"))
        if len(set(map(str, ats))) != len(ats):
            problems.append(FieldProblem(f"{where}.at", "a time is named twice"))
        times: list[time] = []
        for j, at in enumerate(ats):
            match = AT_PATTERN.match(at) if isinstance(at, str) else None
            if match is None:
                problems.append(FieldProblem(f"{where}.at[{j}]", f"{at!r} is not a time HH:MM (00:00 to 23:59)"))
                continue
            times.append(time(int(match.group(1)), int(match.group(2))))
        for j, name in enumerate(day_names):
            if name not in DAYS:
                problems.append(FieldProblem(f"{where}.days[{j}]", f"{name!r} is not a day ({', '.join(DAYS)})"))
                continue
            day = days.setdefault(DAYS.index(name), set())
            twice = day & set(times)
            if twice:
                first = min(twice).strftime("%H:%M")
                problems.append(FieldProblem(f"{where}.at", f"{name} {first} is already named by another rule"))
            day |= set(times)
    for weekday, ats_of_day in days.items():
        if len(ats_of_day) > MAX_TIMES_PER_DAY:
            problems.append(FieldProblem(field, f"{DAYS[weekday]}: at most {MAX_TIMES_PER_DAY} times a day"))
    if problems:
        raise ValidationFailed(problems)
    return Weekly(time_zone, {d: tuple(sorted(ts)) for d, ts in days.items() if ts})


def instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of local `at` on `day` by the one DST rule (module docstring)."""
    naive = datetime.combine(day, at)
    early, late = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() == late.utcoffset():
        return early.astimezone(UTC)
    if early.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive:
        return early.astimezone(UTC)  # an overlap: the first occurrence
    # A gap: zoneinfo reads fold=1 with the offset after the jump (an instant before it) and fold=0 with the
    # offset before (an instant after it). The jump lies between: the first instant with the later offset.
    after = late.utcoffset()
    low, high = late.astimezone(UTC), early.astimezone(UTC)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tz).utcoffset() == after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def upcoming(weekly: Weekly, not_before: datetime, *, days_ahead: int = MAX_DAYS_AHEAD) -> Iterator[datetime]:
    """The slots at or after `not_before`, in order, as UTC instants (each once), for `days_ahead` days."""
    if weekly.empty:
        return
    tz = ZoneInfo(weekly.time_zone)
    not_before = not_before.astimezone(UTC)
    day = not_before.astimezone(tz).date() - timedelta(days=1)  # a jump may move a slot across midnight
    last: datetime | None = None
    for _ in range(days_ahead + 2):
        for at in weekly.days.get(day.weekday(), ()):
            slot = instant(day, at, tz)
            if slot >= not_before and (last is None or slot > last):
                last = slot
                yield slot
        if day >= date(timeparse.LAST_YEAR, 12, 31):
            return  # the years a time may have end here
        day += timedelta(days=1)


def between(weekly: Weekly, start: datetime, end: datetime) -> list[datetime]:
    """The slots in [start, end)."""
    found = []
    days = (end - start).days + 2
    for slot in upcoming(weekly, start, days_ahead=days):
        if slot >= end:
            break
        found.append(slot)
    return found
