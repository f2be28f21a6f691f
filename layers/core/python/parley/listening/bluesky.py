"""Listening on Bluesky: a post's thread (`getPostThread`: the root carries the counters), the account's
notifications (mentions) down to the last one taken, `searchPosts` for listeners, and threaded answers
(`reply.root` / `reply.parent`, record key derived from the answer's key). The JSON is read in seen.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parley.listening import seen
from parley.networks.base import AnswerTo, Conversation, Found, Published

NETWORK = "bluesky"
MAX_NOTIFICATION_PAGES = 5  # mentions since the last look; older ones were taken by an earlier run
MAX_SEARCH_PAGES = 4  # a listener's matches since the last look


class BlueskyListener:
    network = NETWORK

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter  # a BlueskyAdapter (or a unit test's stand-in with the same calls)

    def read_conversation(self, remote_id: str, own_id: str) -> Conversation | None:
        thread = self._adapter.get_thread(remote_id)
        if thread is None:
            return None
        return Conversation(seen.counters(thread["post"]), seen.replies_in_thread(thread, own_id))

    def read_mentions(self, since: str | None) -> Found:
        """Notifications newest first, page by page until the `indexedAt` an earlier run took."""
        items, newest, calls, cursor = [], None, 0, None
        for _ in range(MAX_NOTIFICATION_PAGES):
            calls += 1
            page = self._adapter.list_notifications(cursor=cursor)
            everything = page.get("notifications") or []
            notes = [n for n in everything if not since or str(n.get("indexedAt")) > since]
            newest = max([newest or "", *(str(n.get("indexedAt") or "") for n in notes)]) or None
            items.extend(seen.mentions_in(notes))
            cursor = page.get("cursor")
            if not cursor or len(notes) < len(everything):
                break  # reached what an earlier run took
        return Found(items, newest, calls)

    def search(self, query: str, since: str | None, own_id: str) -> Found:
        """`searchPosts` (`sort=latest`), page by page until the newest match the previous run took."""
        items, newest, calls, cursor = [], None, 0, None
        for _ in range(MAX_SEARCH_PAGES):
            calls += 1
            page = self._adapter.search_posts(query, cursor=cursor)
            posts = page.get("posts") or []
            fresh = [p for p in posts if not since or str(p.get("indexedAt")) > since]
            newest = max([newest or "", *(str(p.get("indexedAt") or "") for p in fresh)]) or None
            items.extend(seen.matches_in(fresh, own_id))
            cursor = page.get("cursor")
            if not cursor or len(fresh) < len(posts):
                break
        return Found(items, newest, calls)

    def answer(self, key: str, when: datetime, text: str, to: AnswerTo) -> Published:
        published: Published = self._adapter.reply(
            key, when, text, parent=(to.remote_id, to.cid), root=(to.root_id, to.root_cid)
        )
        return published
