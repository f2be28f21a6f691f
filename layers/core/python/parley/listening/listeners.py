"""Listeners: a hashtag, a keyword or the account's mentions, watched on a channel while the listener
exists. A listener is an item of the channel's watches (`lst_...`), so it is polled by the channel's one
poll schedule, claimed like a watched post (nothing read twice) and keeps the schedule alive; deleting
it lets the next run remove the schedule when nothing else is watched."""

from __future__ import annotations

import re
from typing import Any

from parley.connect import channels
from parley.listening import cadence, watches
from parley.scheduling.polls import PollScheduler
from parley.shared import clock, ids
from parley.shared.errors import FieldProblem, NotFound, ValidationFailed
from parley.store import ChannelRecord, WatchRecord
from parley.team.members import Principal, Role

KINDS = ("hashtag", "keyword", "mentions")
KEYWORDS_UNSEARCHABLE = ("mastodon",)  # its full-text search finds only posts whose authors opted in
# No post search and no mentions feed in these networks' APIs (Instagram's mentions come only through
# webhooks; docs/networks-meta-linkedin.md).
NO_LISTENERS = {"linkedin": "LinkedIn", "facebook": "Facebook", "instagram": "Instagram"}
PREFIX = "lst_"
_TAG = re.compile(r"^#?(\w{1,64})$")


def view(item: WatchRecord) -> dict[str, Any]:
    return {
        "id": item.watch_id,
        "channel_id": item.channel_id,
        "kind": item.kind,
        "query": item.search_query,
        "created_by": item.created_by,
        "next_poll": watches.due_time(item.due_key).isoformat() if item.due_key else None,
    }


def query_for(kind: str, value: str | None) -> str | None:
    if kind not in KINDS:
        raise ValidationFailed(FieldProblem("kind", f"must be one of {', '.join(KINDS)}"))
    if kind == "mentions":
        return None
    text = (value or "").strip()
    if kind == "hashtag":
        match = _TAG.fullmatch(text)
        if match is None:
            raise ValidationFailed(
                FieldProblem("value", "a hashtag is letters, digits or _ (up to 64), with or without #")
            )
        return f"#{match.group(1)}"
    if not 1 <= len(text) <= 100:
        raise ValidationFailed(FieldProblem("value", "a keyword is 1 to 100 characters"))
    return text


def create(principal: Principal, polls: PollScheduler, channel_id: str, kind: str, value: str | None) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    query = query_for(kind, value)
    channel = channels.get_channel(principal.workspace_id, channel_id)  # 404 for a missing or foreign channel
    if channel.network in NO_LISTENERS:
        name = NO_LISTENERS[channel.network]
        raise ValidationFailed(
            FieldProblem("channel_id", f"{name}'s API offers no search or mentions: listeners cannot watch it")
        )
    if kind == "keyword" and channel.network in KEYWORDS_UNSEARCHABLE:
        raise ValidationFailed(FieldProblem("kind", "Mastodon cannot be searched for keywords; follow a hashtag"))
    first = clock.now() + cadence.LISTENER_EVERY
    listener_id = PREFIX + ids.new_id()
    item = WatchRecord(
        watches.channel_key(principal.workspace_id, channel_id),
        listener_id,
        workspace_id=principal.workspace_id,
        channel_id=channel_id,
        kind=kind,
        search_query=query,
        created_by=principal.member_id,
        due_key=watches.due_key(first, listener_id),
    )
    item.save(condition=WatchRecord.watch_id.does_not_exist())
    watches.arm_by(principal.workspace_id, channel_id, first, polls)
    return view(item)


def list_listeners(principal: Principal) -> list[dict[str, Any]]:
    """A Query per channel of the workspace (a handful), never a scan."""
    found = []
    for channel in ChannelRecord.query(principal.workspace_id):
        key = watches.channel_key(principal.workspace_id, channel.channel_id)
        found += [view(item) for item in WatchRecord.query(key, WatchRecord.watch_id.startswith(PREFIX))]
    return found


def delete(principal: Principal, listener_id: str) -> None:
    principal.require(Role.EDITOR)
    if listener_id.startswith(PREFIX):
        for channel in ChannelRecord.query(principal.workspace_id):
            key = watches.channel_key(principal.workspace_id, channel.channel_id)
            try:
                WatchRecord.get(key, listener_id).delete()
                return
            except WatchRecord.DoesNotExist:
                continue
    raise NotFound(f"no listener {listener_id}")
