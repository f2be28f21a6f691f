"""Repeating posts: a series of times (`repeat.rrule`) or an evergreen post queued again every N days
(`repeat.every_days`). docs/recurring.md says the rules.

Each occurrence is an ordinary post, `<series_id>-<n>` (n from 1), with its own deliveries, so its own
exactly-once keys (a delivery's id names its post), metrics, short links and history. Only the live
occurrence exists and is armed: when one of its deliveries ends (published, failed) or it is cancelled, the
next one is made and armed (`occurrence_ended`). Making it is repeat-safe: the post is made only when it is
not there yet (its id is known in advance, and its write is conditional), then the series' pointer moves on
in a write conditioned on where it was, so a duplicate event or a crash between the two makes nothing twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from parley.publishing import checks, posts, queue, queue_posts, recurrence
from parley.publishing.deliveries import FINAL
from parley.publishing.recurrence import Repeat
from parley.scheduling import Arming
from parley.shared import clock, ids
from parley.shared.errors import Conflict, FieldProblem, Forbidden, NotFound, ValidationFailed
from parley.shared.observability import logger
from parley.shared.timeparse import parse_publish_at
from parley.store import DeliveryRecord, PostRecord, SeriesRecord, UpdateError
from parley.team.members import Principal, Role

RRULE, EVERGREEN = "rrule", "evergreen"
ACTIVE, ENDED, CANCELLED, STOPPED = "active", "ended", "cancelled", "stopped"
_OCCURRENCE = re.compile(r"^(s_[a-z0-9]+)-([0-9]+)$")
MARGIN = timedelta(seconds=60)  # an occurrence this close is not made any more (its time would be past)


def occurrence_id(series_id: str, n: int) -> str:
    return f"{series_id}-{n}"


def of_post(post_id: str) -> tuple[str, int] | None:
    """The series and the occurrence a post id names, or None for a post that does not repeat."""
    found = _OCCURRENCE.match(post_id)
    return (found.group(1), int(found.group(2))) if found else None


# --- queueing -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    first: datetime  # the first occurrence (a series), or when it was asked (evergreen; next_slot: now)
    texts: list[str]
    repeats: recurrence.Repeats
    next_slot: bool


def _plan(ws: str, draft: posts.PostDraft, repeat: Repeat) -> _Plan:
    """Every rule of `repeat` on `draft` (422 with all it found): the rule, every variant on every channel, the
    same-text rule (its warnings kept)."""
    if draft.publish_at is None or draft.status == "draft":
        raise ValidationFailed(FieldProblem("repeat", "a draft does not repeat: give publish_at"))
    now = clock.now()
    channels = checks.channels(ws, draft.channel_ids)
    next_slot = draft.publish_at == queue_posts.NEXT_SLOT
    first = now if next_slot else parse_publish_at(draft.publish_at, draft.time_zone, now)
    count = 1
    if repeat.evergreen:
        recurrence.check_evergreen(repeat, first)
        count = 2  # the next round repeats this one
    else:
        if next_slot:
            raise ValidationFailed(FieldProblem("publish_at", "a series starts at a time: give one (not next_slot)"))
        tz = repeat.tz or draft.time_zone
        if tz is None:
            raise ValidationFailed(FieldProblem("repeat.tz", "give the zone the series keeps its time of day in"))
        times = recurrence.occurrences(repeat.rrule or "", tz, first)
        first, count = times[0], len(times)
    texts = recurrence.rotation(draft.text, repeat.variants)
    check_texts(texts, channels, draft.overrides)
    repeats = recurrence.repeated_texts(texts, draft.overrides, {c.network for c in channels}, count)
    if repeats.refused:
        raise ValidationFailed(repeats.refused)
    return _Plan(first, texts, repeats, next_slot)


def validated(
    principal: Principal, answer: dict[str, Any], draft: posts.PostDraft, repeat: dict[str, Any]
) -> dict[str, Any]:
    """`POST /posts/validate` with `repeat` (the body's): its answer (parley.publishing.validation) with what the
    repeat's rules refuse among the post's problems, and their warnings."""
    try:
        plan = _plan(principal.workspace_id, draft, repeat_of(repeat, draft))
    except (ValidationFailed, NotFound) as exc:
        problems = getattr(exc, "problems", None) or [FieldProblem("channels", str(exc))]
        answer["problems"] = [*answer["problems"], *({"field": p.field, "reason": p.reason} for p in problems)]
        answer["ok"] = False
        return answer
    answer["warnings"] = [{"field": w.field, "reason": w.reason} for w in plan.repeats.warnings]
    return answer


def create(principal: Principal, arming: Arming, draft: posts.PostDraft, repeat: Repeat) -> dict[str, Any]:
    """`POST /posts` with `repeat`: the first occurrence queued as a post is, the series kept for the next.
    Everything is checked first: the rule, every variant on every channel, the same-text rule."""
    principal.require(Role.CONTRIBUTOR)
    plan = _plan(principal.workspace_id, draft, repeat)
    first, texts, repeats, next_slot = plan.first, plan.texts, plan.repeats, plan.next_slot
    ws, now = principal.workspace_id, clock.now()

    series_id = "s_" + ids.new_id()
    first_post = occurrence_id(series_id, 1)
    record = SeriesRecord(
        ws,
        series_id,
        kind=EVERGREEN if repeat.evergreen else RRULE,
        status=ACTIVE,
        texts=texts,
        overrides=draft.overrides or None,
        channel_ids=draft.channel_ids,
        campaign=draft.campaign,
        media_ids=draft.media or None,
        media_overrides=draft.media_overrides or None,
        rrule=repeat.rrule,
        time_zone=repeat.tz or draft.time_zone,
        first_at=first,
        every_days=repeat.every_days,
        until=repeat.until,
        current=1,
        made=[first_post],
        created_by=principal.member_id,
        created_role=principal.role.value,
        created_at=now,
        updated_at=now,
    )
    # The series first: a crash before its first post leaves a series nothing refers to (never found, never
    # moved on); the other order could leave a first post that does not repeat.
    record.save(condition=SeriesRecord.series_id.does_not_exist())
    one = replace(draft, post_id=first_post, series_id=series_id, occurrence=1, text=texts[0])
    try:
        if next_slot:
            created = queue_posts.create_queued(principal, arming, one)
        else:
            timed = replace(one, publish_at=queue.iso(first), time_zone=None)
            created = posts.create_post(principal, arming, timed)
    except BaseException:
        record.delete()  # refused (a quota, an image): nothing written
        raise
    created["series"] = series_view(record)
    created["warnings"] = [{"field": w.field, "reason": w.reason} for w in repeats.warnings]
    return created


def check_texts(texts: list[str], channels: list[Any], overrides: dict[str, str]) -> None:
    """Every variant passes every channel's rules, as the text does (named repeat.variants[i])."""
    recurrence.check_variants(texts[1:])
    problems: list[FieldProblem] = []
    for i, variant in enumerate(texts[1:]):
        try:
            checks.check_text(variant, channels, overrides)
        except ValidationFailed as exc:
            problems += [FieldProblem(f"repeat.variants[{i}]", p.reason) for p in exc.problems if p.field == "text"]
    if problems:
        raise ValidationFailed(problems)


# --- the next occurrence ------------------------------------------------------------------------------------


def occurrence_ended(workspace_id: str, post_id: str, arming: Arming) -> str | None:
    """An occurrence went out, failed, or was cancelled: make and arm the next one (once, however often this is
    called for it). Returns the next occurrence's post id, or None (not a series, already moved on, ended)."""
    found = of_post(post_id)
    if found is None:
        return None
    series_id, n = found
    try:
        series = SeriesRecord.get(workspace_id, series_id, consistent_read=True)
    except SeriesRecord.DoesNotExist:
        return None
    if series.status != ACTIVE or int(series.current) != n:
        return None
    if not any(r.state in FINAL for r in DeliveryRecord.query(post_id, consistent_read=True)):
        return None  # nothing of it has ended (held, say): it is still the live one
    nxt = _next(series, n)
    if nxt is None:
        _settle(series, n, ENDED, "its last occurrence is out")
        return None
    k, at = nxt
    next_id = occurrence_id(series_id, k)
    try:
        if not exists(workspace_id, next_id):
            _make(series, k, at, arming)
    except (ValidationFailed, NotFound, Conflict) as exc:
        reason = f"occurrence {k} could not be queued: {_reason(exc)}"
        logger.warning("series stopped", extra={"series_id": series_id, "reason": reason})
        _settle(series, n, STOPPED, reason)
        return None
    except _Past:
        _settle(series, n, ENDED, f"evergreen: the next free slot is after until ({queue.iso(series.until)})")
        return None
    try:
        series.update(
            actions=[
                SeriesRecord.current.set(k),
                SeriesRecord.made.set(SeriesRecord.made.append([next_id])),  # type: ignore[arg-type]
                SeriesRecord.updated_at.set(clock.now()),
            ],
            condition=(SeriesRecord.current == n) & (SeriesRecord.status == ACTIVE),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        # Someone else moved it on (the post they made is this one: its id is fixed), or the series was
        # cancelled meanwhile: then the post just made must not go out.
        if SeriesRecord.get(workspace_id, series_id, consistent_read=True).status == CANCELLED:
            _withdraw(series, next_id, arming)
        return None
    return next_id


def _withdraw(series: SeriesRecord, post_id: str, arming: Arming) -> None:
    """An occurrence made while its series was being cancelled: cancelled too (as its creator would)."""
    try:
        queue_posts.cancel_post(principal_of(series), arming, post_id)
    except (Conflict, NotFound, Forbidden):
        logger.warning("could not withdraw an occurrence of a cancelled series", extra={"post_id": post_id})


class _Past(Exception):
    """An evergreen post's next slot is after its `until`."""


def _next(series: SeriesRecord, n: int) -> tuple[int, datetime | None] | None:
    """The next occurrence after `n`: its number and time (an evergreen one: None, the queue decides)."""
    if series.kind == EVERGREEN:
        return n + 1, None
    times = recurrence.occurrences(str(series.rrule), str(series.time_zone), series.first_at)
    now = clock.now()
    for k in range(n + 1, len(times) + 1):  # a time already past (a long retry) is skipped
        if times[k - 1] > now + MARGIN:
            return k, times[k - 1]
    return None


def exists(workspace_id: str, post_id: str) -> bool:
    try:
        PostRecord.get(workspace_id, post_id, consistent_read=True)
    except PostRecord.DoesNotExist:
        return False
    return True


def principal_of(series: SeriesRecord) -> Principal:
    return Principal(series.workspace_id, series.created_by, Role(series.created_role))


def _draft(series: SeriesRecord, k: int) -> posts.PostDraft:
    texts = [str(t) for t in series.texts]
    overrides = series.overrides.as_dict() if series.overrides else {}
    return posts.PostDraft(
        text=recurrence.text_for(texts, k - 1),
        channel_ids=[str(c) for c in series.channel_ids],
        publish_at=None,
        campaign=series.campaign,
        overrides={n: str(t) for n, t in overrides.items()},
        media=[str(m) for m in series.media_ids or []],
        media_overrides={
            n: list(v) for n, v in (series.media_overrides.as_dict() if series.media_overrides else {}).items()
        },
        post_id=occurrence_id(series.series_id, k),
        series_id=series.series_id,
        occurrence=k,
    )


def _make(series: SeriesRecord, k: int, at: datetime | None, arming: Arming) -> None:
    """Queue occurrence `k` as its series' creator would: at its time, or (evergreen) at the next free slot of
    each channel at least every_days after the last round went out, unless that is after `until`."""
    draft = _draft(series, k)
    principal = principal_of(series)
    if at is not None:
        posts.create_post(principal, arming, replace(draft, publish_at=queue.iso(at)))
        return
    ws, post_id = series.workspace_id, str(draft.post_id)
    previous = occurrence_id(series.series_id, k - 1)
    went_out = [r.published_at for r in DeliveryRecord.query(previous, consistent_read=True) if r.published_at]
    base = min(went_out) if went_out else clock.now()
    not_before = max(recurrence.next_evergreen(base, int(series.every_days)), clock.now())
    taken = queue.claim_next_slots(ws, draft.channel_ids, post_id, not_before=not_before)
    if series.until is not None and max(taken.values()) > series.until:
        queue.release_slots(ws, post_id, taken)
        raise _Past()
    timed = replace(draft, publish_at=queue.iso(min(taken.values())), delivery_times=taken)
    try:
        posts.create_post(principal, arming, timed)
    except BaseException:
        queue.release_slots(ws, post_id, taken)
        raise


def _settle(series: SeriesRecord, n: int, status: str, reason: str) -> None:
    try:
        series.update(
            actions=[
                SeriesRecord.status.set(status),
                SeriesRecord.status_reason.set(reason),
                SeriesRecord.updated_at.set(clock.now()),
            ],
            condition=(SeriesRecord.current == n) & (SeriesRecord.status == ACTIVE),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise


def _reason(exc: Exception) -> str:
    problems = getattr(exc, "problems", None)
    if problems:
        return "; ".join(f"{p.field}: {p.reason}" for p in problems)
    return str(exc)


def series_view(series: SeriesRecord) -> dict[str, Any]:
    upcoming: list[str] = []
    total: int | None = None
    if series.kind == RRULE:
        times = recurrence.occurrences(str(series.rrule), str(series.time_zone), series.first_at)
        total = len(times)
        if series.status == ACTIVE:
            upcoming = [queue.iso(t) for t in times[int(series.current) :]]
    texts = [str(t) for t in series.texts]
    return {
        "id": series.series_id,
        "kind": series.kind,
        "status": series.status,
        "status_reason": series.status_reason,
        "rrule": series.rrule,
        "tz": series.time_zone,
        "every_days": int(series.every_days) if series.every_days is not None else None,
        "until": queue.iso(series.until) if series.until else None,
        "text": texts[0],
        "variants": texts[1:],
        "overrides": {n: {"text": t} for n, t in series.overrides.as_dict().items()} if series.overrides else {},
        "channels": list(series.channel_ids),
        "campaign": series.campaign,
        "occurrences": total,
        "current": {"occurrence": int(series.current), "post_id": occurrence_id(series.series_id, int(series.current))},
        "made": [{"occurrence": i + 1, "post_id": p} for i, p in enumerate(series.made)],
        "upcoming": upcoming,  # the times still to come after the live occurrence (nothing is armed for them)
        "created_by": series.created_by,
        "created_at": queue.iso(series.created_at),
    }


# --- what the API hands over --------------------------------------------------------------------------------


def repeat_of(body: dict[str, Any], draft: posts.PostDraft) -> Repeat:
    """`repeat` of a POST /posts body: `until` read as publish_at is (an offset, a [zone], or `tz`/time_zone)."""
    tz = body.get("tz") or draft.time_zone
    until = None
    if body.get("until") is not None:
        until = parse_publish_at(str(body["until"]), tz, clock.now(), field="repeat.until")
    return Repeat(
        rrule=body.get("rrule"),
        tz=body.get("tz"),
        every_days=body.get("every_days"),
        until=until,
        variants=list(body.get("variants") or []),
    )
