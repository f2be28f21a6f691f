"""Reading the time a marketer asks for. Stored in UTC; a request's time must carry an offset or a
named IANA zone; local times in a DST gap or overlap are refused, never silently shifted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from parley.shared.errors import FieldProblem, ValidationFailed

PAST_GRACE = timedelta(seconds=60)  # a request that took a moment to arrive is still on time
MAX_AHEAD = timedelta(days=366 * 2)

# The zones this machine's tz database knows (the tzdata package pins it). A name is looked up here before
# ZoneInfo opens a file by it: `America` is a folder, a 256-character name is too long for the file system.
ZONES = frozenset(available_timezones())

# The years a time may have: datetime ends at 1 and 9999 (an offset or a day's arithmetic would cross them),
# and a key's year has four digits. Nothing parley keeps is older than 1970.
FIRST_YEAR, LAST_YEAR = 1970, 9998


def unknown_zone(name: str) -> str:
    return f"unknown time zone {name!r} (use an IANA name such as Europe/Paris)"


def zone(name: str, field: str = "time_zone") -> ZoneInfo:
    if name not in ZONES:
        raise ValidationFailed(FieldProblem(field, unknown_zone(name)))
    return ZoneInfo(name)


def in_range(value: datetime, field: str) -> datetime:
    """`value` itself, or a 422 naming `field` when its year is outside the years a time may have."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationFailed(FieldProblem(field, f"must be between the years {FIRST_YEAR} and {LAST_YEAR}"))
    return value


def utc(value: datetime, field: str) -> datetime:
    """An aware time as UTC (what every stored time and key is in), refused when it is out of range."""
    return in_range(value, field).astimezone(UTC)


def parse_publish_at(value: str, time_zone: str | None, now: datetime, field: str = "publish_at") -> datetime:
    """`2026-11-23T10:00:00+01:00`, `...Z`, `2026-11-23T10:00:00[Europe/Paris]`, or a local time with
    `time_zone`. Returns an aware UTC datetime not in the past (beyond a small grace)."""
    text = value.strip()
    bracket_zone = None
    if text.endswith("]") and "[" in text:
        text, bracket_zone = text[:-1].split("[", 1)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationFailed(FieldProblem(field, f"{value!r} is not an ISO 8601 date-time")) from exc
    in_range(parsed, field)

    zone_name = bracket_zone or time_zone
    if parsed.tzinfo is None:
        if not zone_name:
            raise ValidationFailed(
                FieldProblem(field, "needs an offset (e.g. 2026-11-23T10:00:00+01:00 or Z) or a time zone")
            )
        parsed = _localize(parsed, zone(zone_name, "time_zone" if not bracket_zone else field), field)
    elif bracket_zone:
        tz, naive = zone(bracket_zone, field), parsed.replace(tzinfo=None)
        if parsed.utcoffset() not in {naive.replace(tzinfo=tz, fold=f).utcoffset() for f in (0, 1)}:
            raise ValidationFailed(FieldProblem(field, f"offset {parsed.strftime('%z')} is not {bracket_zone}'s"))

    at = utc(parsed, field)
    if at < now - PAST_GRACE:
        raise ValidationFailed(FieldProblem(field, f"{at.isoformat()} is in the past"))
    if at > now + MAX_AHEAD:
        raise ValidationFailed(FieldProblem(field, "is more than two years ahead"))
    return at


def _localize(naive: datetime, tz: ZoneInfo, field: str) -> datetime:
    early, late = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() != late.utcoffset():
        # Either the clock jumps over this time (a gap) or passes it twice (an overlap).
        roundtrip = early.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if roundtrip != naive:
            raise ValidationFailed(
                FieldProblem(field, f"{naive.isoformat()} does not exist in {tz.key} (the clocks skip it for DST)")
            )
        raise ValidationFailed(
            FieldProblem(
                field,
                f"{naive.isoformat()} happens twice in {tz.key} (DST ends); give an offset to say which",
            )
        )
    return early


def network_time(value: object, *, naive_is_utc: bool = False) -> datetime | None:
    """A time as a network writes it (ISO 8601, often with `Z`), or None when it is not one. Mastodon and
    X write UTC without saying so sometimes (`naive_is_utc`); a Bluesky time without an offset is refused."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC) if naive_is_utc else None
    return parsed.astimezone(UTC)
