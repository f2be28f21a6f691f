"""Reading, editing and cancelling a repeating post's series (parley.publishing.series keeps the series and
makes its occurrences): the occurrences to come take an edit, the ones out keep what they had; cancelling one
occurrence makes the next, cancelling the series stops it. docs/recurring.md says the rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from parley.connect.channels import get_channel
from parley.publishing import approval, checks, posts, queue_posts, recurrence
from parley.publishing.deliveries import FINAL
from parley.publishing.series import (
    ACTIVE,
    CANCELLED,
    RRULE,
    check_texts,
    exists,
    occurrence_ended,
    occurrence_id,
    of_post,
    series_view,
)
from parley.scheduling import Arming
from parley.shared import clock
from parley.shared.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from parley.store import DeliveryRecord, SeriesRecord, UpdateError
from parley.team.members import Principal, Role


def _load(principal: Principal, series_id: str) -> SeriesRecord:
    try:
        return SeriesRecord.get(principal.workspace_id, series_id, consistent_read=True)
    except SeriesRecord.DoesNotExist as exc:
        raise NotFound(f"no series {series_id}") from exc


def series_of(principal: Principal, post_id: str) -> str:
    """The series a post is an occurrence of (404: no such post; 422: it does not repeat)."""
    found = of_post(post_id)
    if not exists(principal.workspace_id, post_id):
        raise NotFound(f"no post {post_id}")
    if found is None:
        raise ValidationFailed(FieldProblem("scope", f"post {post_id} does not repeat: edit it without a scope"))
    return found[0]


def get_series(principal: Principal, series_id: str) -> dict[str, Any]:
    return series_view(_load(principal, series_id))


def cancel_occurrence(principal: Principal, arming: Arming, post_id: str) -> dict[str, Any]:
    """`DELETE /posts/{id}`: the post's deliveries that have not gone out are cancelled (parley.publishing
    .queue_posts); an occurrence of a series leaves the others, and the next one is made and armed."""
    outcome = queue_posts.cancel_post(principal, arming, post_id)
    if of_post(post_id) is not None:
        occurrence_ended(principal.workspace_id, post_id, arming)
        outcome["post"] = posts.get_post(principal, post_id)
    return outcome


def cancel(principal: Principal, arming: Arming, series_id: str) -> dict[str, Any]:
    """The series stops: no occurrence is made any more, and the live one, if it has not gone out, is
    cancelled."""
    principal.require(Role.CONTRIBUTOR)
    series = _load(principal, series_id)
    if series.status != ACTIVE:
        raise Conflict(f"series {series_id} is {series.status} already", {"status": series.status})
    live = occurrence_id(series_id, int(series.current))
    records = list(DeliveryRecord.query(live, consistent_read=True))
    approval.may_cancel(principal, records)  # as cancelling its live occurrence would (403), before anything
    try:
        series.update(
            actions=[
                SeriesRecord.status.set(CANCELLED),
                SeriesRecord.status_reason.set(f"cancelled by {principal.member_id}"),
                SeriesRecord.updated_at.set(clock.now()),
            ],
            condition=SeriesRecord.status == ACTIVE,
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise Conflict(f"series {series_id} changed meanwhile: read it again") from exc
    cancelled: dict[str, Any] | None = None
    if any(r.state not in FINAL for r in records):
        try:
            cancelled = queue_posts.cancel_post(principal, arming, live)
        except Conflict:
            cancelled = None  # it went out meanwhile
    view = series_view(_load(principal, series_id))
    return {"series": view, "cancelled": cancelled["changed"] if cancelled else [], "post_id": live}


@dataclass(frozen=True)
class SeriesChanges:
    text: str | None = None
    variants: list[str] | None = None
    overrides: dict[str, str] | None = None
    campaign: str | None = None


def edit_future(principal: Principal, arming: Arming, series_id: str, changes: SeriesChanges) -> dict[str, Any]:
    """What the occurrences still to come get: the series' texts, overrides or campaign, and the live
    occurrence if it has not gone out (occurrences already out keep what they had)."""
    principal.require(Role.CONTRIBUTOR)
    series = _load(principal, series_id)
    if series.status != ACTIVE:
        raise Conflict(f"series {series_id} is {series.status}: nothing is to come", {"status": series.status})
    old = [str(t) for t in series.texts]
    texts = [
        changes.text if changes.text is not None else old[0],
        *(changes.variants if changes.variants is not None else old[1:]),
    ]
    overrides = {**(series.overrides.as_dict() if series.overrides else {}), **(changes.overrides or {})}
    channels = [get_channel(principal.workspace_id, str(c)) for c in series.channel_ids]
    checks.check_text(texts[0], channels, overrides)
    check_texts(texts, channels, overrides)
    n = int(series.current)
    left, before = _to_come(series, n, old)
    networks = {c.network for c in channels}
    repeats = recurrence.repeated_texts(texts, overrides, networks, left, start=n - 1, before=before)
    if repeats.refused:
        raise ValidationFailed(repeats.refused)
    actions: list[Any] = [SeriesRecord.texts.set(texts), SeriesRecord.updated_at.set(clock.now())]  # type: ignore[arg-type]
    if overrides:
        actions.append(SeriesRecord.overrides.set(overrides))
    if changes.campaign is not None:
        actions.append(SeriesRecord.campaign.set(changes.campaign))
    try:
        series.update(
            actions=actions, condition=(SeriesRecord.updated_at == series.updated_at) & (SeriesRecord.status == ACTIVE)
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise Conflict(f"series {series_id} changed meanwhile: read it again") from exc
    live = occurrence_id(series_id, n)
    edited: dict[str, Any] | None = None
    live_text = recurrence.text_for(texts, n - 1)
    live_changes = posts.PostChanges(
        text=live_text,
        overrides={k: v for k, v in overrides.items() if k in (changes.overrides or {})} or None,
        campaign=changes.campaign,
    )
    try:
        edited = queue_posts.edit_post(principal, arming, live, live_changes)
    except Conflict:
        edited = None  # it has gone out: the next occurrence gets the new text
    return {
        "series": series_view(_load(principal, series_id)),
        "live": {"post_id": live, "changed": edited["changed"] if edited else []},
        "warnings": [{"field": w.field, "reason": w.reason} for w in repeats.warnings],
    }


def _to_come(series: SeriesRecord, n: int, old: list[str]) -> tuple[int, dict[str, str]]:
    """How many occurrences are still to come from the live one `n` on (evergreen: this one and the next), and
    what the one before it got on each network (its series' text then, links before shortening)."""
    left = 2
    if series.kind == RRULE:
        left = len(recurrence.occurrences(str(series.rrule), str(series.time_zone), series.first_at)) - n + 1
    if n < 2:
        return left, {}
    overrides = {k: str(v) for k, v in (series.overrides.as_dict() if series.overrides else {}).items()}
    channels = [get_channel(series.workspace_id, str(c)) for c in series.channel_ids]
    previous = recurrence.text_for(old, n - 2)
    return left, {c.network: overrides.get(c.network, previous) for c in channels}


def edit_future_of_post(principal: Principal, arming: Arming, post_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """PATCH /posts/{id} with scope "future" (or variants): the post's series, from the live occurrence on."""
    if body.get("scope") != "future":
        raise ValidationFailed(FieldProblem("variants", 'a series\' variants change with scope "future"'))
    if body.get("publish_at") is not None or body.get("time_zone") is not None:
        reason = "a series' times are its rule's: with scope \"future\", change text, variants, overrides or campaign"
        raise ValidationFailed(FieldProblem("publish_at", reason))
    return edit_future(principal, arming, series_of(principal, post_id), changes_of(body))


def changes_of(body: dict[str, Any]) -> SeriesChanges:
    overrides = {n: o["text"] for n, o in (body.get("overrides") or {}).items() if o.get("text") is not None}
    return SeriesChanges(
        text=body.get("text"),
        variants=body.get("variants"),
        overrides=overrides or None,
        campaign=body.get("campaign"),
    )
