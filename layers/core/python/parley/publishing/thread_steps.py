"""Publishing a thread, part by part, exactly once per part (docs/threads.md).

Each part is a step with its own deterministic key (`part_key`: the delivery's own for the first part, so a
one-part post keeps its key; `<delivery>/part/<i>` for the others). The key is what the network's own answer
path makes exactly once: Bluesky a record key derived from it, Mastodon an `Idempotency-Key`, X and Threads a
look for the part before posting it (parley.listening's `answer`, which threads a reply the network's way:
Bluesky `reply.root`/`reply.parent` strong refs, Mastodon `in_reply_to_id`, X `reply.in_reply_to_tweet_id`,
Threads `reply_to_id`, Facebook a comment on the post).

After each part, the lease holder adds it to the delivery's `parts_out` with a conditional write, so an attempt
that follows a crash or a transient failure starts at the first part not recorded, and looks for that one
before posting it (a crash between the network's answer and the write). A cancel that came meanwhile stops the
thread before its next part."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parley.networks.base import Adapter, AnswerTo, Published, PublishRequest
from parley.publishing import deliveries, threads
from parley.store import DeliveryRecord
from parley.store.keys import DeliveryKey


class Stopped(Exception):
    """A cancel came while the thread went out: it ends `partial` before its next part."""

    def __init__(self, by: str) -> None:
        super().__init__(by)
        self.by = by


class NotFound(Exception):
    """Only looking (the attempts ran out) and a part is not on the network."""


def part_key(delivery_id: str, index: int) -> str:
    return delivery_id if index == 0 else f"{delivery_id}/part/{index}"


def first_part(
    record: DeliveryRecord, adapter: Adapter, request: PublishRequest, *, look_only: bool
) -> Published | None:
    """The thread's first part: the one recorded, else published (or looked for) as a single post is."""
    out = {p["index"]: p for p in threads.parts_out(record)}
    if 0 in out:
        return _published(out[0], record)
    published = adapter.find(request) if look_only else adapter.publish(request)
    if published is not None:
        deliveries.note_part(record, _entry(0, published))
    return published


def rest(record: DeliveryRecord, adapter: Adapter, first: Published, *, look_only: bool) -> None:
    """The steps after the first part, each once: the thread's parts 1..n (each a reply to the one before, or
    to the first in `comments` mode), then the first comment (a reply to the first part). Those recorded are
    skipped; the next is looked for and posted. Raises what the network raised (the attempt settles it: a
    retry resumes here), LostRace when the lease is gone, Stopped when a cancel came, NotFound when only
    looking and a step is not recorded."""
    from parley.listening.listeners_by_network import listener_for

    key = DeliveryKey.of(record)
    listener = listener_for(record.network, adapter)
    texts = threads.parts(record)
    comments = record.thread_mode == threads.COMMENTS
    out = {p["index"]: p for p in threads.parts_out(record)}
    root = _ref(first, out.get(0))
    parent = root
    steps = [(index, part_key(key.id, index), text, comments) for index, text in enumerate(texts) if index]
    if record.first_comment:
        steps.append((len(texts), comment_key(key.id), str(record.first_comment), True))
    for index, step_key, text, under_root in steps:
        reply_to = root if under_root else parent
        if index in out:
            parent = _ref(_published(out[index], record), out[index])
            continue
        fresh = deliveries.get(key)
        if fresh is not None and fresh.stop_requested_by:
            raise Stopped(str(fresh.stop_requested_by))
        if look_only:  # the attempts ran out: nothing more is posted
            raise NotFound(f"{threads.step_name(record, index)} was not recorded as out")
        to = AnswerTo(remote_id=reply_to[0], cid=reply_to[1], root_id=root[0], root_cid=root[1], author_handle="")
        published = listener.answer(step_key, record.publish_at, text, to)
        deliveries.note_part(record, _entry(index, published))
        parent = (published.remote_id, published.cid)


def comment_key(delivery_id: str) -> str:
    """The first comment's own key (docs/threads.md)."""
    return f"{delivery_id}/comment"


def _ref(published: Published, recorded: dict[str, Any] | None) -> tuple[str, str]:
    cid = published.cid or (str(recorded.get("cid") or "") if recorded else "")
    return published.remote_id, cid


def _entry(index: int, published: Published) -> dict[str, Any]:
    at = published.acknowledged_at.isoformat()
    return {"index": index, "remote_id": published.remote_id, "cid": published.cid, "url": published.url, "at": at}


def _published(part: dict[str, Any], record: DeliveryRecord) -> Published:
    at = datetime.fromisoformat(str(part["at"])) if part.get("at") else record.updated_at
    return Published(
        remote_id=str(part["remote_id"]),
        url=str(part["url"]),
        acknowledged_at=at,
        already_there=True,
        cid=str(part.get("cid") or ""),
    )
