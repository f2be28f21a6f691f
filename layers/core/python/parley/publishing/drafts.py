"""Drafts: a post stored, editable, listed and cancellable, never armed (docs/approval.md).

A draft is a post whose deliveries are in the `draft` state: one per channel, like any post, so that the
delivery state machine stays the one place states change. A draft may have a time or not (its key is then
"draft#<created>#<post id>", listed only without a time range). Its text is checked by no network until it is
scheduled: a PATCH with a `publish_at` runs every queue-time rule (`checks.check`, the same as POST /posts),
arms the deliveries and moves them, all in one transaction, to `scheduled` (`held` while held) or, for a
contributor while the workspace wants approval, to `pending_approval` (a submission)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from parley.connect.channels import get_channel
from parley.links import short_links
from parley.media import post_media
from parley.publishing import approval, checks, deliveries, holds, threads
from parley.publishing.deliveries import Move, State
from parley.scheduling import Arming, PublishMessage
from parley.shared import clock, ids
from parley.shared.errors import Conflict, FieldProblem, LostRace, ValidationFailed
from parley.shared.timeparse import parse_publish_at
from parley.store import DeliveryRecord, PostRecord
from parley.store import transaction as store_transaction
from parley.store.keys import DeliveryKey
from parley.team.members import Principal, Role

if TYPE_CHECKING:
    from parley.publishing.posts import PostChanges, PostDraft

DRAFT_KEY = "draft#"


def draft_key(created_at: datetime, post_id: str) -> str:
    """The listing key of a draft without a time: after every time (newest first lists drafts first)."""
    return f"{DRAFT_KEY}{created_at.isoformat()}#{post_id}"


def is_draft(records: list[DeliveryRecord]) -> bool:
    return any(r.state == State.DRAFT.value for r in records)


def create_draft(principal: Principal, draft: PostDraft) -> tuple[PostRecord, list[DeliveryRecord]]:
    """Store a draft: its channels must be the workspace's (404), its time, if any, a valid one; nothing
    else is checked until it is scheduled (POST /posts/validate checks it on demand). Nothing is armed."""
    from parley.publishing.posts import new_post_record  # here, not at the top: posts imports this module

    principal.require(Role.CONTRIBUTOR)
    checks.channel_count(draft.channel_ids)
    channels = [get_channel(principal.workspace_id, cid) for cid in draft.channel_ids]
    if not draft.text.strip():
        raise ValidationFailed(FieldProblem("text", "must not be empty"))
    now = clock.now()
    publish_at = parse_publish_at(draft.publish_at, draft.time_zone, now) if draft.publish_at else None
    post_id = "p_" + ids.new_id()
    key = deliveries.publish_key(publish_at, post_id) if publish_at else draft_key(now, post_id)
    given_card: dict[str, str | None] = {k: v for k, v in (draft.link_card or {}).items() if v}
    card = given_card or None  # the marketer's fields; the card is made when it is scheduled
    drafted = approval.entry("drafted", principal.member_id)
    post = new_post_record(
        principal, post_id, draft, publish_at=publish_at, key=key, now=now, link_card=card, history=[drafted]
    )
    records = [
        deliveries.new_delivery(
            DeliveryKey(principal.workspace_id, post_id, c.channel_id),
            network=c.network,
            text=draft.overrides.get(c.network, draft.text),
            publish_at=publish_at,
            publish_key=key,
            state=State.DRAFT,
        )
        for c in channels
    ]
    threads.attach(post, records, draft)  # checked when it is scheduled, as the rest
    with store_transaction() as transaction:
        transaction.save(post, condition=PostRecord.post_id.does_not_exist())
        for record in records:
            transaction.save(record, condition=DeliveryRecord.channel_id.does_not_exist())
    return post, records


def edit_draft(
    principal: Principal, arming: Arming, post: PostRecord, records: list[DeliveryRecord], changes: PostChanges
) -> tuple[list[str], list[dict[str, str]]]:
    """Change a draft (its text, texts per network, campaign), or schedule it: a `publish_at` is the
    decision to publish it then (a contributor's, with approval on: a submission). Returns the channels
    changed and those not (with why)."""
    principal.require(Role.CONTRIBUTOR)
    waiting = [r for r in records if r.state == State.DRAFT.value]
    unchanged = [{"channel_id": r.channel_id, "state": r.state, "reason": "already " + r.state} for r in records]
    unchanged = [u for u in unchanged if u["state"] != State.DRAFT.value]
    if changes.publish_at is not None:
        return schedule(principal, arming, post, waiting, changes), unchanged
    unknown = sorted(set(changes.overrides or {}) - {r.network for r in records})
    if unknown:
        raise ValidationFailed([FieldProblem(f"overrides.{n}", f"no channel of this post is on {n}") for n in unknown])
    base_text = changes.text if changes.text is not None else post.text
    if not base_text.strip():
        raise ValidationFailed(FieldProblem("text", "must not be empty"))
    overrides = {**(post.overrides.as_dict() if post.overrides else {}), **(changes.overrides or {})}
    changed = []
    for record in waiting:
        try:
            deliveries.edit(record, by=principal.member_id, text=overrides.get(record.network, base_text))
        except LostRace:
            unchanged.append({"channel_id": record.channel_id, "state": "changed", "reason": "changed meanwhile"})
            continue
        changed.append(record.channel_id)
    if not changed:
        raise Conflict("nothing to edit: the draft was scheduled or cancelled meanwhile", {"deliveries": unchanged})
    line = approval.entry("edited", principal.member_id)
    actions: list[Any] = [PostRecord.updated_at.set(clock.now()), approval.note(line)]
    if changes.text is not None:
        actions.append(PostRecord.text.set(changes.text))
    if changes.overrides:
        actions.append(PostRecord.overrides.set(overrides))
    if changes.campaign is not None:
        actions.append(PostRecord.campaign.set(changes.campaign))
    post.update(actions=actions)
    return changed, unchanged


def schedule(
    principal: Principal,
    arming: Arming,
    post: PostRecord,
    waiting: list[DeliveryRecord],
    changes: PostChanges,
    delivery_times: dict[str, datetime] | None = None,
) -> list[str]:
    """Every queue-time rule on the draft as it will go out (`checks.check`: one 422 with every problem),
    then armed, then its deliveries and the post updated in one transaction (two racing schedules: one
    wins, the other gets 409 and re-arms what won). `delivery_times`: a channel's own time (its slot in
    the queue, parley.publishing.queue_posts); the others, and the post, take `changes.publish_at`."""
    from parley.publishing.posts import PostDraft  # here, not at the top: posts imports this module

    if not waiting:
        raise Conflict("nothing to schedule: the post is not a draft")
    ws, post_id = principal.workspace_id, post.post_id
    overrides = {**(post.overrides.as_dict() if post.overrides else {}), **(changes.overrides or {})}
    text = changes.text if changes.text is not None else post.text
    campaign = changes.campaign or post.campaign
    draft = PostDraft(
        text=text,
        channel_ids=[r.channel_id for r in waiting],
        publish_at=changes.publish_at,
        time_zone=changes.time_zone,
        campaign=campaign,
        overrides=overrides,
        media=[str(m) for m in post.media_ids or []],
        media_overrides={n: list(m) for n, m in post.media_overrides.as_dict().items()} if post.media_overrides else {},
        link_card=post.link_card.as_dict() if post.link_card and not post.link_card_missing else None,
        delivery_times=delivery_times or {},  # each channel's quota is checked at its own slot
        **threads.of_post(post),
    )
    checked = checks.check(ws, draft, clock.now(), post_id=post_id)
    waits = not approval.may_publish(principal)
    held = holds.is_held(ws)
    key = deliveries.publish_key(checked.publish_at, post_id)
    shorten = short_links.shortener(ws, post_id, campaign)
    card = checked.card.card
    moves, times = [], {}
    for record, channel in zip(waiting, checked.channels, strict=True):
        record.media_ids = (checked.attached.ids_for(record.network) if checked.attached else []) or None  # type: ignore[assignment]
        delivery_card = card if not record.media_ids else None  # an image wins over a card
        at = (delivery_times or {}).get(channel.channel_id, checked.publish_at)
        actions: list[Any] = [
            DeliveryRecord.text.set(shorten(channel.channel_id, channel.network, overrides.get(channel.network, text))),
            DeliveryRecord.publish_at.set(at),
            DeliveryRecord.publish_key.set(deliveries.publish_key(at, post_id)),
            DeliveryRecord.due_at.set(at),
            DeliveryRecord.media_ids.set(record.media_ids) if record.media_ids else DeliveryRecord.media_ids.remove(),
            DeliveryRecord.link_card.set(delivery_card) if delivery_card else DeliveryRecord.link_card.remove(),
        ]
        to = approval.first_state(waits, held or channel.paused_since is not None)
        moves.append(Move(record, to, actions))
        times[record.channel_id] = at
    if checked.attached is not None:
        post_media.mark_in_use(checked.attached, waiting)  # before anything can publish them
    for move in (m for m in moves if m.to in approval.ARMED):
        at = times[move.record.channel_id]
        arming.arm(PublishMessage(DeliveryKey.of(move.record), at), attempt=0, minimum_delay=1)
    line = approval.entry("submitted" if waits else "scheduled", principal.member_id)
    post_actions: list[Any] = [
        PostRecord.text.set(text),
        PostRecord.publish_at.set(checked.publish_at),
        PostRecord.publish_key.set(key),
        PostRecord.updated_at.set(clock.now()),
        approval.note(line),
        PostRecord.overrides.set(overrides) if overrides else PostRecord.overrides.remove(),
        PostRecord.link_card.set(card) if card else PostRecord.link_card.remove(),
        PostRecord.link_card_missing.set(checked.card.missing_because)
        if checked.card.missing_because
        else PostRecord.link_card_missing.remove(),
    ]
    if campaign:
        post_actions.append(PostRecord.campaign.set(campaign))
    try:
        deliveries.move_together(
            moves, by=principal.member_id, also=lambda write: write.update(post, actions=post_actions)
        )
    except LostRace as exc:
        _rearm_winner(arming, waiting)
        raise Conflict("not scheduled: the draft was scheduled, submitted or cancelled meanwhile") from exc
    if waits:
        post.refresh(consistent_read=True)
        approval.requested(post)
    return [m.record.channel_id for m in moves]


def _rearm_winner(arming: Arming, records: list[DeliveryRecord]) -> None:
    """The loser of two racing schedules armed the same schedule names: put back the winner's times."""
    for record in records:
        fresh = deliveries.get(DeliveryKey.of(record))
        if fresh is None:
            continue
        if fresh.state in approval.ARMED and fresh.due_at is not None:
            arming.arm(PublishMessage(DeliveryKey.of(fresh), fresh.due_at), attempt=0, replacing=True)
        elif fresh.state in (State.DRAFT.value, State.CANCELLED.value):
            arming.cancel(DeliveryKey.of(fresh), attempt=0)
