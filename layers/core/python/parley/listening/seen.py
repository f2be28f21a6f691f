"""What a poll brings back from Bluesky, as plain data: replies found in a thread, mentions found in
notifications (the neutral `Seen` is in networks/base.py; Mastodon and X have theirs in
listening/mastodon.py and listening/x.py). Pure functions of the network's JSON, so they are unit-tested
without a network."""

from __future__ import annotations

import hashlib
from typing import Any

from parley.networks.base import Seen
from parley.shared import clock
from parley.shared.timeparse import network_time

__all__ = ["Seen", "counters", "item_id", "matches_in", "mentions_in", "replies_in_thread"]

REPLY = "reply"
MENTION = "mention"
MATCH = "listener"  # a post a listener's search found


def item_id(network: str, uri: str) -> str:
    """The inbox id of a network post: the same every time it is seen, so a second sighting is a no-op."""
    return "in_" + hashlib.sha256(f"{network}:{uri}".encode()).hexdigest()[:26]


def counters(post: dict[str, Any]) -> dict[str, int]:
    return {name: int(post.get(f"{name}Count") or 0) for name in ("like", "repost", "reply", "quote")}


def _seen(kind: str, post: dict[str, Any], record: dict[str, Any], fallback_root: tuple[str, str]) -> Seen | None:
    author = post.get("author") or {}
    uri, cid = post.get("uri"), post.get("cid")
    if not isinstance(uri, str) or not isinstance(cid, str):
        return None
    reply = record.get("reply") or {}
    root = reply.get("root") or {}
    parent = reply.get("parent") or {}
    return Seen(
        kind=kind,
        uri=uri,
        cid=cid,
        author_id=str(author.get("did") or ""),
        author_handle=str(author.get("handle") or ""),
        text=str(record.get("text") or ""),
        created_at=network_time(record.get("createdAt")) or network_time(post.get("indexedAt")) or clock.now(),
        root_uri=str(root.get("uri") or fallback_root[0]),
        root_cid=str(root.get("cid") or fallback_root[1]),
        parent_uri=parent.get("uri") if isinstance(parent.get("uri"), str) else None,
        url=_post_url(str(author.get("handle") or author.get("did") or ""), uri),
    )


def _post_url(handle: str, uri: str) -> str:
    from parley.networks.bluesky import post_url

    return post_url(handle, uri.rsplit("/", 1)[-1])


def replies_in_thread(thread: dict[str, Any], own_id: str) -> list[Seen]:
    """Every reply anywhere under the root, but our own (an answer we gave is not inbox material)."""
    root = thread.get("post") or {}
    fallback = (str(root.get("uri") or ""), str(root.get("cid") or ""))
    found: list[Seen] = []
    stack = list(thread.get("replies") or [])
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or "post" not in node:
            continue  # blocked or not-found placeholders
        post = node["post"]
        seen = _seen(REPLY, post, post.get("record") or {}, fallback)
        if seen is not None and seen.author_id != own_id:
            found.append(seen)
        stack.extend(node.get("replies") or [])
    return found


def mentions_in(notifications: list[dict[str, Any]]) -> list[Seen]:
    found = []
    for note in notifications:
        if note.get("reason") != MENTION:
            continue
        record = note.get("record") or {}
        seen = _seen(MENTION, note, record, (str(note.get("uri") or ""), str(note.get("cid") or "")))
        if seen is not None:
            found.append(seen)
    return found


def matches_in(posts: list[dict[str, Any]], own_id: str) -> list[Seen]:
    """Posts found by a search (searchPosts' postViews), but our own."""
    found = []
    for post in posts:
        seen = _seen(MATCH, post, post.get("record") or {}, (str(post.get("uri") or ""), str(post.get("cid") or "")))
        if seen is not None and seen.author_id != own_id:
            found.append(seen)
    return found
