"""The rules of a repeating post, without storage: when a series' occurrences fall (an RFC 5545 RRULE read by
`dateutil.rrule` in the series' IANA zone, so 09:00 local stays 09:00 local across a DST change), which text
each occurrence gets (the post's text and its variants, in turn), and the repeat of the same text on one
channel (X refuses it, the others rank it down). docs/recurring.md says the rules; parley.publishing.series
keeps the series."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice, pairwise
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

from parley.shared.errors import FieldProblem, ValidationFailed
from parley.shared.timeparse import MAX_AHEAD, zone

RULE = "repeat.rrule"
MAX_OCCURRENCES = 100  # a series is bounded: COUNT or UNTIL, and at most this many occurrences
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")  # the time of day is publish_at's
NOT_TAKEN = ("DTSTART", "BYHOUR", "BYMINUTE", "BYSECOND", "RDATE", "EXDATE", "EXRULE")
# The parts parley takes. dateutil walks a rule period by period until one matches, to the year 9999 if none
# does (a daily rule on 30 February: seconds of work): so the parts that can make a rule match rarely or never
# (BYMONTH, BYMONTHDAY, BYSETPOS) are taken by monthly and yearly rules only (a walk of at most ~100k periods),
# and BYYEARDAY, BYWEEKNO and BYEASTER not at all.
PARTS = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTH", "BYMONTHDAY", "BYSETPOS", "WKST"})
SPARSE = frozenset({"BYMONTH", "BYMONTHDAY", "BYSETPOS"})
MAX_EVERY_DAYS = 365
MAX_VARIANTS = 10
# Networks that refuse a post repeating a recent one word for word (X: 403 "duplicate content"); the others
# take it and rank it down, so a repeat there is warned of.
REFUSES_REPEATS = frozenset({"x"})


@dataclass(frozen=True)
class Repeat:
    """What `repeat` asks: an RRULE in a zone (a series), or every N days until a time (evergreen)."""

    rrule: str | None = None
    tz: str | None = None
    every_days: int | None = None
    until: datetime | None = None  # evergreen: aware
    variants: list[str] = field(default_factory=list)

    @property
    def evergreen(self) -> bool:
        return self.every_days is not None


def _rule(text: str, start_local: datetime, tz: ZoneInfo) -> rrule:
    """The rule as dateutil reads it, from `start_local` (naive, in `tz`); 422 naming repeat.rrule when it is
    not one parley takes."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[len("RRULE:") :]
    upper = body.upper()
    if "\n" in body or "\r" in body or ":" in body:
        one_line = "one RRULE line only (no DTSTART, RDATE or EXDATE: publish_at starts it)"
        raise ValidationFailed(FieldProblem(RULE, one_line))
    for word in NOT_TAKEN:
        if word in upper:
            name = word.rstrip("=")
            raise ValidationFailed(
                FieldProblem(RULE, f"{name} is not taken: the first occurrence and the time of day are publish_at's")
            )
    pairs = [p.split("=", 1) for p in upper.split(";") if "=" in p]
    parts = dict(pairs)
    if len(parts) != len(pairs):
        raise ValidationFailed(FieldProblem(RULE, "a part is named twice"))
    for part, high, signed in (("BYMONTH", 12, False), ("BYMONTHDAY", 31, True)):
        if part in parts and not all(_within(v, high, signed) for v in parts[part].split(",")):
            also = f" (or -{high} to -1 from the end)" if signed else ""
            raise ValidationFailed(FieldProblem(RULE, f"{part} takes 1 to {high}{also}"))
    if "INTERVAL" in parts and not (parts["INTERVAL"].isdigit() and 1 <= int(parts["INTERVAL"]) <= 1000):
        raise ValidationFailed(FieldProblem(RULE, "INTERVAL must be a whole number from 1 to 1000"))
    if parts.get("FREQ") not in FREQUENCIES:
        raise ValidationFailed(FieldProblem(RULE, f"FREQ must be one of {', '.join(FREQUENCIES)}"))
    unknown = sorted(set(parts) - PARTS)
    if unknown:
        raise ValidationFailed(
            FieldProblem(RULE, f"{', '.join(unknown)}: not taken (parley takes {', '.join(sorted(PARTS))})")
        )
    sparse = sorted(SPARSE & set(parts))
    if sparse and parts["FREQ"] in ("DAILY", "WEEKLY"):
        reason = f"{', '.join(sparse)} go with FREQ=MONTHLY or YEARLY (e.g. FREQ=MONTHLY;BYMONTH=3;BYDAY=TU)"
        raise ValidationFailed(FieldProblem(RULE, reason))
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValidationFailed(FieldProblem(RULE, "give COUNT or UNTIL, not both (RFC 5545)"))
    if "COUNT" not in parts and "UNTIL" not in parts:
        raise ValidationFailed(
            FieldProblem(RULE, f"give COUNT or UNTIL: a series ends (at most {MAX_OCCURRENCES} occurrences)")
        )
    utc_until = parts.get("UNTIL", "").endswith("Z")  # RFC 5545: a UTC UNTIL goes with a zoned start
    start = start_local.replace(tzinfo=tz) if utc_until else start_local
    try:
        parsed = rrulestr(body, dtstart=start)
    except (ValueError, TypeError, OverflowError, IndexError, KeyError) as exc:
        raise ValidationFailed(FieldProblem(RULE, f"not an RFC 5545 RRULE: {exc}")) from exc
    if not isinstance(parsed, rrule):
        raise ValidationFailed(FieldProblem(RULE, "one RRULE only"))
    return parsed


def _within(value: str, high: int, signed: bool) -> bool:
    number = value.removeprefix("+").removeprefix("-") if signed else value
    return number.isdigit() and 1 <= int(number) <= high


def occurrences(text: str, tz_name: str, first: datetime, *, tz_field: str = "repeat.tz") -> list[datetime]:
    """Every occurrence of the rule `text` that starts at `first` (an aware time: its wall time in `tz_name` is
    the series' time of day), in UTC. Refused (422): a rule parley does not take, one with no occurrence or more
    than MAX_OCCURRENCES, or an occurrence whose local time the clocks skip or pass twice (DST)."""
    tz = zone(tz_name, tz_field)
    start_local = first.astimezone(tz).replace(tzinfo=None)
    rule = _rule(text, start_local, tz)
    # Searched within two years of the start only: a rule that rarely or never matches (Feb 30th, daily) would
    # otherwise be walked day by day to the year 9999. COUNT is then the first COUNT of the bounded rule.
    horizon = (start_local + MAX_AHEAD).replace(tzinfo=rule._dtstart.tzinfo)
    count, until = rule._count, rule._until
    if until is not None and until > horizon:
        raise ValidationFailed(FieldProblem(RULE, "UNTIL is more than two years after publish_at"))
    if count is not None and count > MAX_OCCURRENCES:
        raise ValidationFailed(FieldProblem(RULE, f"more than {MAX_OCCURRENCES} occurrences: lower COUNT"))
    try:
        bounded = rule.replace(count=None, until=until or horizon)
        times = list(islice(bounded, count if count is not None else MAX_OCCURRENCES + 1))
    except (ValueError, TypeError, OverflowError, IndexError, KeyError) as exc:
        raise ValidationFailed(FieldProblem(RULE, f"not an RFC 5545 RRULE: {exc}")) from exc
    if len(times) > MAX_OCCURRENCES:
        raise ValidationFailed(FieldProblem(RULE, f"more than {MAX_OCCURRENCES} occurrences: lower COUNT or UNTIL"))
    found = [local_to_utc(at.replace(tzinfo=None), tz) for at in times]
    if not found:
        raise ValidationFailed(FieldProblem(RULE, "has no occurrence within two years of publish_at"))
    if count is not None and len(found) < count:
        raise ValidationFailed(FieldProblem(RULE, "its last occurrence is more than two years after publish_at"))
    return found


def local_to_utc(naive: datetime, tz: ZoneInfo) -> datetime:
    """A wall time in `tz` as UTC; refused when the clocks skip it or pass it twice (never shifted)."""
    early, late = naive.replace(tzinfo=tz, fold=0), naive.replace(tzinfo=tz, fold=1)
    if early.utcoffset() != late.utcoffset():
        day = naive.date().isoformat()
        skipped = early.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive
        how = "does not exist (the clocks skip it)" if skipped else "happens twice (the clocks go back)"
        raise ValidationFailed(FieldProblem(RULE, f"the occurrence on {day} at {naive.time()} {how} in {tz.key}"))
    return early.astimezone(UTC)


def check_evergreen(repeat: Repeat, first: datetime) -> None:
    problems = []
    if repeat.every_days is None or not 1 <= repeat.every_days <= MAX_EVERY_DAYS:
        problems.append(FieldProblem("repeat.every_days", f"must be between 1 and {MAX_EVERY_DAYS}"))
    if repeat.until is None:
        problems.append(FieldProblem("repeat.until", "give the time after which it is not queued again"))
    elif repeat.until.tzinfo is None:
        problems.append(FieldProblem("repeat.until", "needs an offset or Z"))
    elif repeat.until <= first:
        problems.append(FieldProblem("repeat.until", "must be after publish_at"))
    elif repeat.until > first + MAX_AHEAD:
        problems.append(FieldProblem("repeat.until", "is more than two years ahead"))
    if repeat.rrule is not None:
        problems.append(FieldProblem("repeat", "give rrule (a series) or every_days (evergreen), not both"))
    if problems:
        raise ValidationFailed(problems)


def next_evergreen(published_at: datetime, every_days: int) -> datetime:
    """The earliest time the next round may take a slot: N days after the last one went out."""
    return published_at + timedelta(days=every_days)


def rotation(text: str, variants: list[str]) -> list[str]:
    """The texts occurrences take in turn: the post's, then each variant."""
    return [text, *variants]


def text_for(texts: list[str], index: int) -> str:
    return texts[index % len(texts)]


_SPACE = re.compile(r"\s+")


def same_words(a: str, b: str) -> bool:
    """Word for word (what X's duplicate check compares): the same words, spacing aside."""
    return _SPACE.sub(" ", a).strip() == _SPACE.sub(" ", b).strip()


def check_variants(variants: list[str]) -> None:
    if len(variants) > MAX_VARIANTS:
        raise ValidationFailed(FieldProblem("repeat.variants", f"at most {MAX_VARIANTS}"))
    for i, variant in enumerate(variants):
        if not variant.strip():
            raise ValidationFailed(FieldProblem(f"repeat.variants[{i}]", "must not be empty"))


@dataclass(frozen=True)
class Repeats:
    """What the same-text rule found: refusals (X) and warnings (elsewhere), each naming the field."""

    refused: list[FieldProblem]
    warnings: list[FieldProblem]


def repeated_texts(
    texts: list[str],
    overrides: dict[str, str],
    networks: set[str],
    occurrences: int,
    *,
    start: int = 0,
    before: dict[str, str] | None = None,
) -> Repeats:
    """Does any occurrence repeat the previous one word for word on a channel? On each network, occurrence i
    gets its override (the same every time) or `text_for(texts, i)`. `occurrences` are still to come from
    occurrence `start` (0-based) on; `before`: what the occurrence before them got, per network. X refuses a
    repeat; elsewhere it is warned of."""
    refused: list[FieldProblem] = []
    warnings: list[FieldProblem] = []
    before = before or {}
    for network in sorted(networks):
        if network in overrides:
            rounds = [overrides[network]] * min(occurrences, 2)
            name = f"overrides.{network}.text"
        else:
            rounds = [text_for(texts, start + i) for i in range(min(occurrences, len(texts) + 1))]
            name = "repeat.variants" if len(rounds) > 1 or network not in before else "text"
        if network in before:
            rounds = [before[network], *rounds]
        repeats = any(same_words(a, b) for a, b in pairwise(rounds))
        if not repeats:
            continue
        if network in REFUSES_REPEATS:
            reason = (
                f"{network}: refuses a post that repeats the previous one word for word (duplicate content); "
                "give variants, rotated per occurrence, each different from the one before"
            )
            refused.append(FieldProblem(name, reason))
        else:
            reason = f"{network}: an occurrence repeats the previous one word for word (ranked down); give variants"
            warnings.append(FieldProblem(name, reason))
    return Repeats(refused, warnings)
