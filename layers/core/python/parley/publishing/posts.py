"""Queueing, reading, editing and cancelling posts. A post fans out into one delivery per channel;
edits and cancels act on the deliveries that have not gone out and say which changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from parley.connect.channels import get_channel
from parley.links import short_links
from parley.media import link_cards, post_media
from parley.publishing import approval, checks, deliveries, drafts, holds, quotas, threads
from parley.publishing.deliveries import EDITABLE, MISSED_APPROVAL, State
from parley.scheduling import Arming, PublishMessage
from parley.shared import clock, ids, timeparse
from parley.shared.errors import Conflict, FieldProblem, LostRace, NotFound, ValidationFailed
from parley.shared.pagination import Listing, decode_cursor, encode_cursor
from parley.shared.timeparse import parse_publish_at
from parley.store import DeliveryRecord, PostRecord
from parley.store import transaction as store_transaction
from parley.store.keys import DeliveryKey
from parley.team.members import Principal, Role

MAX_CHANNELS = checks.MAX_CHANNELS
MAX_PAGE = 100
_check_text, _channels = checks.check_text, checks.channels  # the queue-time rules live in publishing.checks
publish_key = deliveries.publish_key  # a post's and its deliveries' key by time
_shortener = short_links.shortener


@dataclass(frozen=True)
class PostDraft:
    text: str
    channel_ids: list[str]
    publish_at: str | None  # None (or status "draft"): a draft (parley.publishing.drafts)
    time_zone: str | None = None
    campaign: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)  # network -> its own text
    media: list[str] = field(default_factory=list)  # media ids (parley.media.post_media)
    media_overrides: dict[str, list[str]] = field(default_factory=dict)  # network -> its own media ids
    link_card: dict[str, str | None] | None = None  # fields given by the marketer (parley.media.link_cards)
    status: str | None = None  # "draft": stored, not queued, even with a time
    post_id: str | None = None  # given by the queue (parley.publishing.queue_posts): its slots are claimed for it
    delivery_times: dict[str, datetime] = field(default_factory=dict)  # channel -> its own slot (else publish_at)
    series_id: str | None = None  # an occurrence of a repeating post (parley.publishing.series)
    occurrence: int | None = None
    thread: list[str] = field(default_factory=list)  # the parts after the first (parley.publishing.threads)
    thread_mode: str | None = None  # "replies" (the default) | "comments"
    first_comment: str | None = None  # the account's own reply/comment right after the post


@dataclass(frozen=True)
class PostChanges:
    text: str | None = None
    publish_at: str | None = None
    time_zone: str | None = None
    campaign: str | None = None
    overrides: dict[str, str] | None = None  # per-network texts to set; the others are kept


@dataclass
class Outcome:
    """What an edit, a cancel or a publish-now did to each delivery."""

    post: dict[str, Any]
    changed: list[str] = field(default_factory=list)
    unchanged: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"post": self.post, "changed": self.changed, "unchanged": self.unchanged}


def create_post(principal: Principal, arming: Arming, draft: PostDraft) -> dict[str, Any]:
    """Validate everything, then arm the deliveries, then write post and deliveries in one transaction.

    Arming first: if the write then fails, a schedule fires for a delivery that does not exist and
    does nothing; the other order could leave a delivery that nothing will ever publish."""
    principal.require(Role.CONTRIBUTOR)
    if draft.publish_at is None or draft.status == "draft":
        return post_view(*drafts.create_draft(principal, draft))
    now = clock.now()
    checked = checks.check(principal.workspace_id, draft, now)
    channels, publish_at, attached, card_outcome = checked.channels, checked.publish_at, checked.attached, checked.card
    card = card_outcome.card

    post_id = draft.post_id or "p_" + ids.new_id()
    key = publish_key(publish_at, post_id)
    missing = card_outcome.missing_because
    post = new_post_record(
        principal, post_id, draft, publish_at=publish_at, key=key, now=now, link_card=card, link_card_missing=missing
    )
    post.series_id, post.occurrence = draft.series_id, draft.occurrence
    waits = not approval.may_publish(principal)  # a contributor's post waits for an editor (docs/approval.md)
    post.history = [approval.entry("submitted" if waits else "scheduled", principal.member_id)]  # type: ignore[list-item]
    held = holds.is_held(principal.workspace_id)  # queued while the workspace is held: held too
    texts = {c.channel_id: draft.overrides.get(c.network, draft.text) for c in channels}
    shorten = _shortener(principal.workspace_id, post_id, draft.campaign)
    records = [
        deliveries.new_delivery(
            DeliveryKey(principal.workspace_id, post_id, c.channel_id),
            network=c.network,
            text=shorten(c.channel_id, c.network, texts[c.channel_id]),
            publish_at=(at := draft.delivery_times.get(c.channel_id, publish_at)),
            publish_key=publish_key(at, post_id),
            state=approval.first_state(waits, held or c.paused_since is not None),
        )
        for c in channels
    ]
    for record in records:
        record.media_ids = (attached.ids_for(record.network) if attached else []) or None  # type: ignore[assignment]
        record.link_card = card if not record.media_ids else None  # an image wins over a card
    threads.attach(post, records, draft)
    if attached is not None:
        post_media.mark_in_use(attached, records)  # before anything can publish them
    for record in (r for r in records if r.state in approval.ARMED):
        # At least a second of delay: the transaction below lands before the message is received.
        arming.arm(PublishMessage(DeliveryKey.of(record), record.publish_at), attempt=0, minimum_delay=1)
    with store_transaction() as transaction:
        transaction.save(post, condition=PostRecord.post_id.does_not_exist())
        for record in records:
            transaction.save(record, condition=DeliveryRecord.channel_id.does_not_exist())
    if waits:
        approval.requested(post)
    return short_links.note(post_view(post, records), list(texts.values()))


def new_post_record(
    principal: Principal,
    post_id: str,
    draft: PostDraft,
    *,
    publish_at: datetime | None,
    key: str,
    now: datetime,
    link_card: dict[str, str | None] | None,
    **more: Any,
) -> PostRecord:
    """A new post's record as `draft` asks it, written by `principal` at `now`: the one place queueing
    (`create_post`) and drafts (`drafts.create_draft`) make it (`more`: what only one of them sets)."""
    return PostRecord(
        principal.workspace_id,
        post_id,
        text=draft.text,
        overrides=draft.overrides or None,
        channel_ids=draft.channel_ids,
        publish_at=publish_at,
        publish_key=key,
        campaign=draft.campaign,
        created_by=principal.member_id,
        created_at=now,
        updated_at=now,
        media_ids=draft.media or None,
        media_overrides=draft.media_overrides or None,
        link_card=link_card,
        **more,
    )


def _load(principal: Principal, post_id: str) -> tuple[PostRecord, list[DeliveryRecord]]:
    try:
        post = PostRecord.get(principal.workspace_id, post_id, consistent_read=True)
    except PostRecord.DoesNotExist as exc:
        raise NotFound(f"no post {post_id}") from exc
    records = list(DeliveryRecord.query(post_id, consistent_read=True))
    return post, [r for r in records if r.workspace_id == principal.workspace_id]


def get_post(principal: Principal, post_id: str) -> dict[str, Any]:
    post, records = _load(principal, post_id)
    return post_view(post, records)


# A retry's earlier attempt may have reached the network unanswered; the next one looks for it first, by
# what it sent: its text cannot change (its time can).
TRIED_TEXT_STAYS = "an attempt was made (it may have gone out): its text cannot change, its time can"
HELD_STAYS = "held: an editor changes it (a contributor's change would need approval)"


def edit_post(principal: Principal, arming: Arming, post_id: str, changes: PostChanges) -> dict[str, Any]:
    principal.require(Role.CONTRIBUTOR)
    post, records = _load(principal, post_id)
    if drafts.is_draft(records):
        changed, unchanged = drafts.edit_draft(principal, arming, post, records, changes)
        return Outcome(get_post(principal, post_id), changed, unchanged).to_dict()
    back = not approval.may_publish(principal)  # a contributor's change goes back to approval
    editable = [r for r in records if r.state in EDITABLE]
    if not editable:
        raise Conflict("nothing to edit: every delivery has gone out or ended", {"deliveries": _states(records)})
    unknown = sorted(set(changes.overrides or {}) - {r.network for r in records})
    if unknown:
        raise ValidationFailed([FieldProblem(f"overrides.{n}", f"no channel of this post is on {n}") for n in unknown])
    base_text = changes.text if changes.text is not None else post.text
    overrides = {**(post.overrides.as_dict() if post.overrides else {}), **(changes.overrides or {})}
    text_changed = changes.text is not None or bool(changes.overrides)
    if text_changed:
        channels = [get_channel(principal.workspace_id, r.channel_id) for r in editable]
        _check_text(base_text, channels, {n: t for n, t in overrides.items() if n in {c.network for c in channels}})
    new_time = None
    if changes.publish_at is not None:
        new_time = parse_publish_at(changes.publish_at, changes.time_zone, clock.now())
        moved = [get_channel(principal.workspace_id, r.channel_id) for r in editable]
        quota_problems = quotas.check(principal.workspace_id, moved, new_time, post_id)
        if quota_problems:
            raise ValidationFailed(quota_problems)
    new_key = publish_key(new_time, post_id) if new_time else None
    new_outcome: link_cards.CardOutcome | Literal[False] = False  # False: the card stays as it is
    if text_changed:
        new_outcome = _card_after_edit(post, base_text, overrides)
    new_card: dict[str, str | None] | Literal[False] | None = new_outcome.card if new_outcome is not False else False

    outcome = Outcome(post={})
    shorten = _shortener(principal.workspace_id, post_id, changes.campaign or post.campaign)
    for record in records:
        if record.state not in EDITABLE:
            outcome.unchanged.append(
                {"channel_id": record.channel_id, "state": record.state, "reason": "already " + record.state}
            )
            continue
        if text_changed and deliveries.was_tried(record):  # a held retry: its last attempt may have gone out
            outcome.unchanged.append(
                {"channel_id": record.channel_id, "state": record.state, "reason": TRIED_TEXT_STAYS}
            )
            continue
        if back and record.state == State.HELD.value:
            outcome.unchanged.append({"channel_id": record.channel_id, "state": record.state, "reason": HELD_STAYS})
            continue
        try:
            new_text = overrides.get(record.network, base_text) if text_changed else None
            new_text = shorten(record.channel_id, record.network, new_text) if new_text else None
            card: dict[str, str | None] | Literal[False] | None = new_card
            if record.media_ids:
                card = False  # an image wins over a card
            deliveries.edit(
                record,
                by=principal.member_id,
                text=new_text,
                publish_at=new_time,
                publish_key=new_key,
                link_card=card,
                back_to_approval=back,
            )
        except LostRace:
            fresh = deliveries.get(DeliveryKey.of(record)) or record
            outcome.unchanged.append(
                {"channel_id": record.channel_id, "state": fresh.state, "reason": "already " + fresh.state}
            )
            continue
        if new_time is not None and record.state in approval.ARMED:
            arming.arm(PublishMessage(DeliveryKey.of(record), new_time), attempt=0, replacing=True)
        outcome.changed.append(record.channel_id)
    if not outcome.changed:
        raise Conflict("nothing to edit: every delivery has gone out or ended", {"deliveries": outcome.unchanged})

    post_actions = [PostRecord.updated_at.set(clock.now())]
    if changes.text is not None:
        post_actions.append(PostRecord.text.set(changes.text))
    if changes.overrides:
        post_actions.append(PostRecord.overrides.set(overrides))
    if changes.campaign is not None:
        post_actions.append(PostRecord.campaign.set(changes.campaign))
    if new_outcome is not False:
        card_now = new_outcome.card
        post_actions.append(PostRecord.link_card.set(card_now) if card_now else PostRecord.link_card.remove())
        missing = new_outcome.missing_because
        post_actions.append(
            PostRecord.link_card_missing.set(missing) if missing else PostRecord.link_card_missing.remove()
        )
    if new_time is not None and new_key is not None:
        post_actions += [PostRecord.publish_at.set(new_time), PostRecord.publish_key.set(new_key)]
    post_actions.append(approval.note(approval.entry("resubmitted" if back else "edited", principal.member_id)))
    post.update(actions=post_actions)  # type: ignore[arg-type]
    if back:
        approval.requested(post)
    outcome.post = get_post(principal, post_id)
    if text_changed:
        short_links.note(outcome.post, [base_text, *overrides.values()])
    return outcome.to_dict()


def _card_after_edit(post: PostRecord, text: str, overrides: dict[str, Any]) -> link_cards.CardOutcome | Literal[False]:
    """The link card after the text changed: kept (False) while the link it shows is still the post's
    first link; otherwise the new link's card (none: no link now, or its page has none, and why)."""
    texts = {n: str(t) for n, t in overrides.items() if isinstance(t, str)}
    link = link_cards.first_link(text) or next((u for t in texts.values() if (u := link_cards.first_link(t))), None)
    current = post.link_card.as_dict() if post.link_card else None
    if current is not None and current.get("url") == link:
        return False
    if current is None and link is None:
        return False
    return link_cards.card_outcome(text, texts, None, images_everywhere=False) if link else link_cards.CardOutcome(None)


def cancel_post(principal: Principal, arming: Arming, post_id: str) -> dict[str, Any]:
    principal.require(Role.CONTRIBUTOR)
    _, records = _load(principal, post_id)
    approval.may_cancel(principal, records)
    outcome = Outcome(post={})
    for record in records:
        if threads.cancel_started(record, arming, by=principal.member_id):  # stops before its next part
            outcome.changed.append(record.channel_id)
            continue
        try:
            deliveries.cancel(record, by=principal.member_id)
            post_media.delivery_ended(record)
        except LostRace:
            fresh = deliveries.get(DeliveryKey.of(record)) or record
            outcome.unchanged.append(
                {"channel_id": record.channel_id, "state": fresh.state, "reason": "already " + fresh.state}
            )
            continue
        # a schedule that is gone already is fine; a retry's is named by its attempt (0: none yet)
        arming.cancel(DeliveryKey.of(record), attempt=int(record.attempt or 0))
        short_links.retire(principal.workspace_id, post_id, record.channel_id)
        outcome.changed.append(record.channel_id)
    if not outcome.changed:
        raise Conflict("nothing to cancel: every delivery has gone out or ended", {"deliveries": outcome.unchanged})
    outcome.post = get_post(principal, post_id)
    return outcome.to_dict()


def publish_now(principal: Principal, arming: Arming, post_id: str) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    post, records = _load(principal, post_id)
    now = clock.now()
    key = publish_key(now, post_id)
    outcome = Outcome(post={})
    for record in records:
        if record.state != State.SCHEDULED.value:
            outcome.unchanged.append(
                {"channel_id": record.channel_id, "state": record.state, "reason": "not scheduled"}
            )
            continue
        try:
            deliveries.edit(record, by=principal.member_id, publish_at=now, publish_key=key)
        except LostRace:
            fresh = deliveries.get(DeliveryKey.of(record)) or record
            outcome.unchanged.append(
                {"channel_id": record.channel_id, "state": fresh.state, "reason": "already " + fresh.state}
            )
            continue
        arming.cancel(DeliveryKey.of(record), attempt=0)
        arming.hand_over(PublishMessage(DeliveryKey.of(record), now))
        outcome.changed.append(record.channel_id)
    if not outcome.changed:
        raise Conflict("nothing to publish: no delivery is still scheduled", {"deliveries": outcome.unchanged})
    post.update(
        actions=[PostRecord.publish_at.set(now), PostRecord.publish_key.set(key), PostRecord.updated_at.set(now)]
    )
    outcome.post = get_post(principal, post_id)
    return outcome.to_dict()


@dataclass(frozen=True)
class PostQuery:
    status: str | None = None
    since: datetime | None = None  # publish_at >= since
    until: datetime | None = None  # publish_at < until
    limit: int = 25
    cursor: str | None = None


def list_posts(principal: Principal, query: PostQuery) -> dict[str, Any]:
    """One page, newest publish time first; a Query on a GSI, never a scan."""
    since = timeparse.utc(query.since, "since") if query.since else None
    until = timeparse.utc(query.until, "until") if query.until else None
    if since and until and since >= until:
        raise ValidationFailed(FieldProblem("since", "must be before until"))
    if not 1 <= query.limit <= MAX_PAGE:
        raise ValidationFailed(FieldProblem("limit", f"must be between 1 and {MAX_PAGE}"))
    low = publish_key(since, "") if since else "0"
    high = publish_key(until, "") if until else "9"
    missed = query.status == MISSED_APPROVAL  # cancelled because its time came while it waited for approval
    try:
        state = State.CANCELLED if missed else State(query.status) if query.status else None
    except ValueError as exc:
        known = ", ".join([*(s.value for s in State), MISSED_APPROVAL])
        raise ValidationFailed(FieldProblem("status", f"must be one of {known}")) from exc
    ws = principal.workspace_id
    # The status picks the index and its partition, the times its range: a cursor continues only its own query.
    filters = {"status": state.value if state is not None else None, "since": _iso(since), "until": _iso(until)}
    listing = Listing(ws, "posts", filters)
    start = decode_cursor(query.cursor, listing)

    timed = since is not None or until is not None  # else drafts without a time ("draft#...") are listed too
    if state is not None:
        page = DeliveryRecord.by_state.query(
            deliveries.state_key(ws, state),
            DeliveryRecord.publish_key.between(low, high) if timed else None,
            scan_index_forward=False,
            limit=query.limit,
            last_evaluated_key=start,
            filter_condition=DeliveryRecord.failure_reason == MISSED_APPROVAL if missed else None,
        )
        post_ids = list(dict.fromkeys(d.post_id for d in page))
        last_key = page.last_evaluated_key
        posts = {p.post_id: p for p in PostRecord.batch_get([(ws, pid) for pid in post_ids])}
        ordered = [posts[pid] for pid in post_ids if pid in posts]
    else:
        posts_page = PostRecord.by_publish_at.query(
            ws,
            PostRecord.publish_key.between(low, high) if timed else None,
            scan_index_forward=False,
            limit=query.limit,
            last_evaluated_key=start,
        )
        ordered = list(posts_page)
        last_key = posts_page.last_evaluated_key
    # The page's deliveries in BatchGetItem calls (100 keys each), not one Query per post.
    found: dict[str, list[DeliveryRecord]] = {}
    for record in DeliveryRecord.batch_get([(p.post_id, c) for p in ordered for c in p.channel_ids]):
        found.setdefault(record.post_id, []).append(record)
    items = [post_view(p, sorted(found.get(p.post_id, []), key=lambda d: d.channel_id)) for p in ordered]
    return {"items": items, "next_cursor": encode_cursor(last_key, listing)}


def _states(records: list[DeliveryRecord]) -> list[dict[str, str]]:
    return [{"channel_id": r.channel_id, "state": r.state} for r in records]


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def delivery_view(record: DeliveryRecord) -> dict[str, Any]:
    return {
        "channel_id": record.channel_id,
        "network": record.network,
        "state": record.state,
        "text": record.text,
        "publish_at": _iso(record.publish_at),
        "attempts": int(record.attempt or 0),
        "next_attempt_at": _iso(record.due_at) if record.state == State.RETRYING.value else None,
        "published_at": _iso(record.published_at),
        "lag_ms": int(record.lag_ms) if record.lag_ms is not None else None,
        "url": record.url,
        "remote_id": record.remote_id,
        "last_error": record.last_error,
        "failure_reason": record.failure_reason,
        "parts": threads.view(record),  # a thread's parts, each with its state and, once out, its URL
        "first_comment": threads.comment_view(record),
    }


def post_view(post: PostRecord, records: list[DeliveryRecord]) -> dict[str, Any]:
    return {
        "id": post.post_id,
        "text": post.text,
        "overrides": {n: {"text": t} for n, t in post.overrides.as_dict().items()} if post.overrides else {},
        "publish_at": _iso(post.publish_at),
        "campaign": post.campaign,
        "status": approval.post_status(records),
        "created_by": post.created_by,
        "created_at": _iso(post.created_at),
        "updated_at": _iso(post.updated_at),
        "deliveries": [delivery_view(r) for r in sorted(records, key=lambda r: r.channel_id)],
        "media": list(post.media_ids or []),
        "media_overrides": {n: list(ids) for n, ids in post.media_overrides.as_dict().items()}
        if post.media_overrides
        else {},
        "link_card": post.link_card.as_dict() if post.link_card else None,
        "link_card_missing": post.link_card_missing,  # a link and no card: why, and what to do
        "history": [dict(e.as_dict() if hasattr(e, "as_dict") else e) for e in post.history or []],
        "series": {"id": post.series_id, "occurrence": int(post.occurrence or 0)} if post.series_id else None,
        "thread": [{"text": str(t)} for t in post.thread or []],
        "thread_mode": post.thread_mode,
        "first_comment": {"text": post.first_comment} if post.first_comment else None,
    }
