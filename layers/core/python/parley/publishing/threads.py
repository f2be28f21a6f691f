"""Threads at queue time (docs/threads.md): a post's `thread`, the parts after its first, checked part by part
against each network's rules, refused on a network without threads unless its parts go out as the account's
own comments (`thread_mode: "comments"`), and carried on the post and each delivery. Publishing them, part by
part and exactly once, is parley.publishing.thread_steps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parley.connect.channels import text_limits
from parley.networks.capabilities import capabilities
from parley.networks.registry import check_text as network_check_text
from parley.shared.errors import FieldProblem, LostRace
from parley.store import ChannelRecord, DeliveryRecord, PostRecord
from parley.store.keys import DeliveryKey

if TYPE_CHECKING:
    from parley.publishing.posts import PostDraft
    from parley.scheduling import Arming

MAX_PARTS = 25  # after the first
FINAL_STATES = ("published", "partial", "failed", "cancelled")  # parley.publishing.deliveries.FINAL
REPLIES = "replies"  # each part a reply to the one before: the network's own thread
COMMENTS = "comments"  # each part the account's own reply (comment) to the first part
MODES = (REPLIES, COMMENTS)
NAMES = {
    "bluesky": "Bluesky",
    "mastodon": "Mastodon",
    "x": "X",
    "linkedin": "LinkedIn",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "threads": "Threads",
}


def problems(draft: PostDraft, channels: list[ChannelRecord]) -> list[FieldProblem]:
    """What queueing `draft`'s thread on `channels` would refuse: each part against each network's text rules
    (named `thread[i].text`, i counting from 0 in the `thread` list), a network that cannot take it."""
    thread, mode = draft.thread, draft.thread_mode
    if not thread:
        if mode is not None:
            return [FieldProblem("thread_mode", "only with a thread")]
        return []
    found: list[FieldProblem] = []
    if len(thread) > MAX_PARTS:
        found.append(FieldProblem("thread", f"{len(thread)} parts; at most {MAX_PARTS} after the first"))
    if mode is not None and mode not in MODES:
        found.append(FieldProblem("thread_mode", f"must be one of {', '.join(MODES)}"))
    for network in sorted({c.network for c in channels}):
        if (reason := refusal(network, mode)) is not None:
            found.append(FieldProblem("thread" if mode is None else "thread_mode", reason))
    if mode == COMMENTS:
        found += [FieldProblem("thread_mode", MEMBER_PROFILE) for c in channels if member_profile(c)][:1]
    rules = {(c.network, text_limits(c)) for c in channels}
    for index, text in enumerate(thread):
        field_name = f"thread[{index}].text"
        if not text.strip():
            found.append(FieldProblem(field_name, "must not be empty"))
            continue
        for network, limits in sorted(rules, key=lambda rule: (rule[0], str(rule[1]))):
            for problem in network_check_text(network, text, mastodon_limits=limits):
                found.append(FieldProblem(field_name, f"{NAMES.get(network, network)}: {problem.reason}"))
    return found


def comment_problems(draft: PostDraft, channels: list[ChannelRecord]) -> list[FieldProblem]:
    """A first comment: the account's own reply or comment right after the post, on networks where parley
    can post one; its text by each network's rules."""
    if draft.first_comment is None:
        return []
    if not draft.first_comment.strip():
        return [FieldProblem("first_comment.text", "must not be empty")]
    found = []
    for network in sorted({c.network for c in channels}):
        if not capabilities(network)["comments"]:
            reason = f"{NAMES.get(network, network)}: parley cannot post the account's own comments there yet"
            found.append(FieldProblem("first_comment", reason))
    found += [FieldProblem("first_comment", MEMBER_PROFILE) for c in channels if member_profile(c)][:1]
    for network, limits in sorted({(c.network, text_limits(c)) for c in channels}, key=lambda r: (r[0], str(r[1]))):
        for problem in network_check_text(network, draft.first_comment, mastodon_limits=limits):
            found.append(FieldProblem("first_comment.text", f"{NAMES.get(network, network)}: {problem.reason}"))
    return found


MEMBER_PROFILE = (
    "LinkedIn: a member profile's comments cannot be read back through LinkedIn's API (only an organization"
    " page's), so parley cannot post one exactly once"
)


def member_profile(channel: ChannelRecord) -> bool:
    """A LinkedIn member (not an organization page): it publishes only (networks/capabilities.py)."""
    return channel.network == "linkedin" and str(channel.remote_id).startswith("urn:li:person:")


def refusal(network: str, mode: str | None) -> str | None:
    """Why `network` cannot take a thread in `mode` (None: replies), or None when it can."""
    entry, name = capabilities(network), NAMES.get(network, network)
    if mode == COMMENTS:
        if entry["comments"]:
            return None
        return f"{name}: parley cannot post the account's own comments there, so the thread cannot go out as comments"
    if entry["thread"] == REPLIES:
        return None
    if entry["comments"]:
        return f'{name} has no threads: give "thread_mode": "comments" to post the later parts as comments'
    return f"{name} has no threads, and parley cannot post the account's own comments there"


def mode_of(draft: PostDraft) -> str | None:
    return (draft.thread_mode or REPLIES) if draft.thread else None


def attach(post: PostRecord, records: list[DeliveryRecord], draft: PostDraft) -> None:
    """Carry the thread and the first comment on the post and each delivery (before they are written)."""
    if draft.first_comment is not None:
        post.first_comment = draft.first_comment
        for record in records:
            record.first_comment = draft.first_comment
    if not draft.thread:
        return
    post.thread = draft.thread.copy()  # type: ignore[assignment]
    post.thread_mode = mode_of(draft)
    for record in records:
        record.thread = draft.thread.copy()  # type: ignore[assignment]
        record.thread_mode = mode_of(draft)


def of_post(post: PostRecord) -> dict[str, Any]:
    """A stored post's thread, its mode and its first comment, as PostDraft takes them (a draft being scheduled)."""
    return {
        "thread": [str(t) for t in post.thread or []],
        "thread_mode": post.thread_mode,
        "first_comment": post.first_comment,
    }


def parts(record: DeliveryRecord) -> list[str]:
    """Every part of a delivery's thread, its first (the delivery's own text) included."""
    return [record.text, *(str(t) for t in record.thread or [])]


def is_thread(record: DeliveryRecord) -> bool:
    return bool(record.thread)


def has_steps(record: DeliveryRecord) -> bool:
    """More than one thing to post (a thread, a first comment): published step by step (thread_steps)."""
    return bool(record.thread) or bool(record.first_comment)


def parts_out(record: DeliveryRecord) -> list[dict[str, Any]]:
    """The parts that are out, in order: [{index, remote_id, cid, url}] (index 0: the first part)."""
    out = [dict(p.as_dict() if hasattr(p, "as_dict") else p) for p in record.parts_out or []]
    for part in out:
        part["index"] = int(part["index"])
    return sorted(out, key=lambda p: p["index"])


def view(record: DeliveryRecord) -> list[dict[str, Any]] | None:
    """`GET /posts/{id}`: each part of a thread delivery with its state and, once out, its id and URL."""
    if not is_thread(record):
        return None
    out = {p["index"]: p for p in parts_out(record)}
    ended = record.state in FINAL_STATES
    shown = []
    for index, text in enumerate(parts(record)):
        part = out.get(index)
        state = "published" if part else ("not_sent" if ended else "pending")
        shown.append(
            {
                "index": index,
                "text": text,
                "state": state,
                "remote_id": part.get("remote_id") if part else None,
                "url": part.get("url") if part else None,
            }
        )
    return shown


def step_name(record: DeliveryRecord, index: int) -> str:
    """How a marketer calls step `index` of a delivery: a part of its thread, or its first comment."""
    total = len(parts(record))
    return "the first comment" if index >= total else f"part {index + 1} of {total}"


def partial_reason(record: DeliveryRecord, why: str) -> str:
    out, total = len(parts_out(record)), len(parts(record))
    shown = f"{min(out, total)} of {total} parts are out" if total > 1 else "the post is out"
    return f"{shown}; {step_name(record, out)} was not posted: {why}"


def cancel_started(record: DeliveryRecord, arming: Arming, *, by: str) -> bool:
    """A cancel of a thread that has begun to go out (True: handled here). While a part goes out, it stops
    before the next one (parley.publishing.thread_steps); between attempts, it ends `partial` at once: its
    parts out stay on the network, so it is not `cancelled`."""
    from parley.publishing import deliveries, webhook_events
    from parley.publishing.deliveries import State

    if not has_steps(record):
        return False
    try:
        if record.state == State.PUBLISHING.value:
            deliveries.request_stop(record, by=by)
            return True
        if record.state == State.RETRYING.value and record.parts_out:
            record = deliveries.mark_partial(record, reason=partial_reason(record, f"cancelled by {by}"), by=by)
            arming.cancel(DeliveryKey.of(record), attempt=int(record.attempt or 0))
            webhook_events.delivery_ended(record)
            return True
    except LostRace:
        return False  # it moved meanwhile: the usual cancel says what it is now
    return False


def comment_view(record: DeliveryRecord) -> dict[str, Any] | None:
    """`GET /posts/{id}`: a delivery's first comment, its state and, once out, its id and URL."""
    if not record.first_comment:
        return None
    out = {p["index"]: p for p in parts_out(record)}.get(len(parts(record)))
    ended = record.state in FINAL_STATES
    state = "published" if out else ("not_sent" if ended else "pending")
    url, remote_id = (out.get("url"), out.get("remote_id")) if out else (None, None)
    return {"text": record.first_comment, "state": state, "remote_id": remote_id, "url": url}
