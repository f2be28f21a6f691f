"""The inbox: replies and mentions that a team claims, answers (once, threaded) or dismisses.

Every status change is a conditional write on the item's current status (and claimant), so two
marketers racing for one item have one winner; the loser's 409 names the holder.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from parley.connect import credentials
from parley.connect.adapters import adapter_for
from parley.listening import answers, sentiment
from parley.listening.listeners_by_network import listener_for
from parley.listening.watches import conditional_failed, stamp
from parley.networks.base import AnswerTo, TransientNetworkError
from parley.networks.registry import check_text
from parley.shared import clock
from parley.shared.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from parley.shared.pagination import Listing, decode_cursor, encode_cursor
from parley.store import Action, ChannelRecord, Condition, InboxRecord, MemberRecord, UpdateError
from parley.team.members import Principal, Role

NEW = "new"
CLAIMED = "claimed"
ANSWERED = "answered"
DISMISSED = "dismissed"
STATUSES = (NEW, CLAIMED, ANSWERED, DISMISSED)
# Longer than an API request may last (API Gateway's 29 s): a lease this old belongs to a request that is gone.
ANSWER_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class InboxQuery:
    status: str | None = None
    sentiment: str | None = None
    channel_id: str | None = None
    post_id: str | None = None
    since: datetime | None = None
    limit: int = 25
    cursor: str | None = None


def view(item: InboxRecord) -> dict[str, Any]:
    return {
        "id": item.item_id,
        "kind": item.kind,
        "network": item.network,
        "channel_id": item.channel_id,
        "post_id": item.post_id,
        "listener_id": item.listener_id,
        "remote_id": item.remote_id,
        "parent_id": item.parent_id,
        "author": {"handle": item.author_handle, "id": item.author_id},
        "text": item.text,
        "url": item.url,
        "created_at": item.created_at.isoformat(),
        "arrived_at": item.arrived_at.isoformat(),
        "sentiment": {"label": item.sentiment, "score": float(item.sentiment_score)},
        "status": item.status,
        "claimed_by": item.claimed_by,
        "answer": {"remote_id": item.answer_id, "url": item.answer_url, "by": item.answered_by}
        if item.answer_id
        else None,
    }


def list_items(principal: Principal, query: InboxQuery) -> dict[str, Any]:
    """Newest first, on the `by_arrival` index (a Query; the filters narrow each page, so a page may hold
    fewer than `limit` items while `next_cursor` says there is more)."""
    problems = []
    if query.status is not None and query.status not in STATUSES:
        problems.append(FieldProblem("status", f"must be one of {', '.join(STATUSES)}"))
    if query.sentiment is not None and query.sentiment not in sentiment.LABELS:
        problems.append(FieldProblem("sentiment", f"must be one of {', '.join(sentiment.LABELS)}"))
    if problems:
        raise ValidationFailed(problems)
    conditions: list[Condition] = []
    if query.status:
        conditions.append(InboxRecord.status == query.status)
    if query.sentiment:
        conditions.append(InboxRecord.sentiment == query.sentiment)
    if query.channel_id:
        conditions.append(InboxRecord.channel_id == query.channel_id)
    if query.post_id:
        conditions.append(InboxRecord.post_id == query.post_id)
    filter_condition = None
    for condition in conditions:
        filter_condition = condition if filter_condition is None else filter_condition & condition
    range_condition = InboxRecord.arrival_key >= stamp(query.since) if query.since else None
    filters = {
        "status": query.status,
        "sentiment": query.sentiment,
        "channel": query.channel_id,
        "post": query.post_id,
        "since": stamp(query.since) if query.since else None,
    }
    listing = Listing(principal.workspace_id, "inbox", filters)
    start = decode_cursor(query.cursor, listing)
    page = InboxRecord.by_arrival.query(
        principal.workspace_id,
        range_condition,
        filter_condition=filter_condition,
        scan_index_forward=False,
        limit=query.limit,
        last_evaluated_key=start,
    )
    items = [view(item) for item in page]
    return {"items": items, "next_cursor": encode_cursor(page.last_evaluated_key, listing)}


def get(principal: Principal, item_id: str) -> InboxRecord:
    try:
        return InboxRecord.get(principal.workspace_id, item_id, consistent_read=True)
    except InboxRecord.DoesNotExist as exc:
        raise NotFound(f"no inbox item {item_id}") from exc


def claim(principal: Principal, item_id: str) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    item = get(principal, item_id)
    mine = (InboxRecord.status == CLAIMED) & (InboxRecord.claimed_by == principal.member_id)
    _change(principal, item, CLAIMED, (InboxRecord.status == NEW) | mine, claimed_by=principal.member_id)
    return view(get(principal, item_id))


def release(principal: Principal, item_id: str) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    item = get(principal, item_id)
    condition = InboxRecord.status == CLAIMED
    if principal.role != Role.ADMIN:  # an admin may free an item someone left claimed
        condition = condition & (InboxRecord.claimed_by == principal.member_id)
    _change(principal, item, NEW, condition, claimed_by=None)
    return view(get(principal, item_id))


def dismiss(principal: Principal, item_id: str) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    item = get(principal, item_id)
    condition = (InboxRecord.status == NEW) | (
        (InboxRecord.status == CLAIMED) & (InboxRecord.claimed_by == principal.member_id)
    )
    _change(principal, item, DISMISSED, condition)
    return view(get(principal, item_id))


def reply(
    principal: Principal,
    item_id: str,
    text: str | None,
    answer_id: str | None = None,
    values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Answer on the network, threaded under the item, exactly once: the answer is keyed by the item id
    (Bluesky: its record key; Mastodon: its Idempotency-Key; all three look for it first), so a retry or
    a racing second request finds the same answer; then mark it answered."""
    principal.require(Role.EDITOR)
    item = get(principal, item_id)
    if answer_id is not None:
        text = answers.render(principal, answer_id, item, values or {})
    text = text or ""
    problems = check_text(item.network, text)
    if problems:
        raise ValidationFailed([FieldProblem("text", p.reason) for p in problems])
    if item.status == ANSWERED:
        raise Conflict("this item was already answered", {"answer_url": item.answer_url})
    if item.status == DISMISSED:
        raise Conflict("this item was dismissed; nothing to answer")
    if item.status == CLAIMED and item.claimed_by != principal.member_id:
        raise Conflict(*_held_by(principal, item))
    try:
        channel = ChannelRecord.get(principal.workspace_id, item.channel_id)
    except ChannelRecord.DoesNotExist as exc:
        raise Conflict("the channel this item came in on is no longer connected") from exc
    credential = credentials.load_credential(channel.credential_parameter)
    sessions = credentials.SsmSessionStore(credentials.session_parameter(channel.credential_parameter))
    listener = listener_for(channel.network, adapter_for(channel.network, credential, sessions))
    to = AnswerTo(item.remote_id, item.remote_cid, item.root_id, item.root_cid, item.author_handle)
    _take_answering_lease(item)
    try:
        answer = listener.answer(f"answer:{item.item_id}", item.arrived_at, text, to)
    except TransientNetworkError:
        # Ambiguous (a timeout after the network took it?): the lease stays, so a client's immediate retry
        # is held off (409) until it ends; then the retry looks for the answer first.
        raise
    except Exception:
        _release_answering_lease(item)  # refused, or our own failure: nothing went out
        raise
    _mark_answered(item, principal.member_id, answer.remote_id, answer.url)
    return view(get(principal, item_id))


def _take_answering_lease(item: InboxRecord) -> None:
    """One request at a time talks to the network for an item: a racing second request gets a 409 rather
    than a second answer on a network that cannot tell the two apart."""
    now = clock.now()
    try:
        item.update(
            actions=[InboxRecord.answering_until.set(now + ANSWER_LEASE)],
            condition=(InboxRecord.status != ANSWERED)
            & (InboxRecord.answering_until.does_not_exist() | (InboxRecord.answering_until < now)),
        )
    except UpdateError as exc:
        if not conditional_failed(exc):
            raise
        raise Conflict("an answer to this item is being sent; look again in a moment") from None


def _release_answering_lease(item: InboxRecord) -> None:
    try:
        item.update(actions=[InboxRecord.answering_until.remove()], condition=InboxRecord.status != ANSWERED)
    except UpdateError as exc:
        if not conditional_failed(exc):
            raise


def _mark_answered(item: InboxRecord, member_id: str, remote_id: str, url: str) -> None:
    try:
        item.update(
            actions=[
                InboxRecord.status.set(ANSWERED),
                InboxRecord.answered_by.set(member_id),
                InboxRecord.answer_id.set(remote_id),
                InboxRecord.answer_url.set(url),
                InboxRecord.answering_until.remove(),
            ],
            condition=InboxRecord.status != ANSWERED,
        )
    except UpdateError as exc:
        if not conditional_failed(exc):
            raise
        # A racing request answered it: the network holds one answer (same record key) either way.


def _change(
    principal: Principal, item: InboxRecord, status: str, condition: Condition, claimed_by: str | None = ""
) -> None:
    actions: list[Action] = [InboxRecord.status.set(status)]
    if claimed_by is None:
        actions.append(InboxRecord.claimed_by.remove())
    elif claimed_by:
        actions.append(InboxRecord.claimed_by.set(claimed_by))
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if not conditional_failed(exc):
            raise
        current = get(principal, item.item_id)
        if current.status == CLAIMED:
            raise Conflict(*_held_by(principal, current)) from None
        raise Conflict(f"this item is {current.status}", {"item_status": current.status}) from None


def _held_by(principal: Principal, item: InboxRecord) -> tuple[str, dict[str, object]]:
    holder = item.claimed_by or ""
    try:
        name = MemberRecord.get(principal.workspace_id, holder).name
    except MemberRecord.DoesNotExist:
        name = holder
    return f"{name} has claimed this item", {"claimed_by": holder, "claimed_by_name": name}
