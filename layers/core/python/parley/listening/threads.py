"""Listening on Threads (Threads API), with the channel's token.

- A post: `GET /{threads-media-id}/insights?metric=views,likes,replies,reposts,quotes,shares`
  (https://developers.facebook.com/docs/threads/insights) for its counters (needs `threads_manage_insights`;
  without it the post is still read, with no counters), and the replies at every depth with
  `GET /{threads-media-id}/conversation?fields=id,text,username,timestamp,permalink,replied_to,root_post`
  (https://developers.facebook.com/docs/threads/reply-management), our own left out.
- Mentions: `GET /{threads-user-id}/mentions` (https://developers.facebook.com/docs/threads/reference/mentions;
  needs `threads_manage_mentions`), newest first; the marker is the newest mention's time and id.
- Listeners: `GET /keyword_search?q=...&search_type=RECENT`
  (https://developers.facebook.com/docs/threads/keyword-search; needs `threads_keyword_search`).
- Answers: a post with `reply_to_id` through the same two-step publish as any post (container, then
  `threads_publish`), the container recorded per answer key; the account's replies
  (`GET /{threads-user-id}/replies`) are looked at first for ours to the same post with the same text.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from parley.networks.base import (
    AnswerTo,
    Conversation,
    Found,
    Published,
    PublishRequest,
    Seen,
)
from parley.networks.meta_containers import Gone, MemoryIntents, NotGranted, comparable_text, publish_once
from parley.networks.threads import POST_URL
from parley.shared import clock
from parley.shared.timeparse import network_time

NETWORK = "threads"
FIELDS = "id,text,username,timestamp,permalink,replied_to,root_post"
METRICS = "views,likes,replies,reposts,quotes,shares"
COUNTER_NAMES = {
    "views": "impression",  # views as impressions: the metrics' rates use them
    "likes": "like",
    "replies": "reply",
    "reposts": "repost",
    "quotes": "quote",
}
COUNTER_NAMES |= {"shares": "share"}
PAGE = 50
MAX_PAGES = 3


def insight_counters(body: dict[str, Any]) -> dict[str, int]:
    """`{"data": [{"name": "likes", "values": [{"value": 3}]}, {"name": "views", "total_value": ...}]}`."""
    found = {}
    for metric in _list(body.get("data")):
        if not isinstance(metric, dict) or metric.get("name") not in COUNTER_NAMES:
            continue
        values = _list(metric.get("values"))
        value = _dict(values[0]).get("value") if values else _dict(metric.get("total_value")).get("value")
        found[COUNTER_NAMES[str(metric["name"])]] = _int(value)
    return found


def marker(post: dict[str, Any]) -> str:
    """A marker that orders as the posts do: the UTC time, then the id."""
    when = network_time(post.get("timestamp")) or datetime.fromtimestamp(0, UTC)
    return f"{when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}#{str(post.get('id') or '').zfill(20)}"


def posts_in(kind: str, body: dict[str, Any], own_id: str = "", own_username: str = "") -> list[Seen]:
    found = []
    for post in _list(body.get("data")):
        if not isinstance(post, dict) or not post.get("id"):
            continue
        username = str(post.get("username") or "")
        if own_username and username == own_username:
            continue
        post_id = str(post["id"])
        root = str(_dict(post.get("root_post")).get("id") or post_id)
        parent = _dict(post.get("replied_to")).get("id")
        found.append(
            Seen(
                kind=kind,
                uri=post_id,
                cid="",
                author_id=username,  # the Threads API gives replies' authors by username only
                author_handle=username,
                text=str(post.get("text") or ""),
                created_at=network_time(post.get("timestamp")) or clock.now(),
                root_uri=root,
                root_cid="",
                parent_uri=str(parent) if parent else None,
                url=str(post.get("permalink") or POST_URL),
            )
        )
    return found


class ThreadsListener:
    network = NETWORK

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter  # a ThreadsAdapter
        self._answer_intents = MemoryIntents()

    def read_conversation(self, remote_id: str, own_id: str) -> Conversation | None:
        graph = self._adapter.graph
        calls = 1
        try:
            found = insight_counters(graph.get(f"{remote_id}/insights", {"metric": METRICS}, doing="read insights"))
        except NotGranted:
            found = {}  # the token was not granted insights: replies only
        except Gone:
            return None
        replies, more = self._pages(f"{remote_id}/conversation", {"reverse": "false"}, "reply", "read replies")
        own = self._adapter.username()
        return Conversation(found, [r for r in replies if r.author_handle != own], calls=calls + more)

    def read_mentions(self, since: str | None) -> Found:
        items, calls, newest = self._newer(f"{self._adapter.user_id()}/mentions", {}, "mention", since, "read mentions")
        return Found(items, newest, calls=calls)

    def search(self, query: str, since: str | None, own_id: str) -> Found:
        params = {"q": query.lstrip("#") if query.startswith("#") else query, "search_type": "RECENT"}
        if query.startswith("#"):
            params["search_mode"] = "TAG"
        items, calls, newest = self._newer("keyword_search", params, "listener", since, "search posts")
        own = self._adapter.username()
        return Found([i for i in items if i.author_handle != own], newest, calls=calls)

    def answer(self, key: str, when: datetime, text: str, to: AnswerTo) -> Published:
        found = self._find_answer(text, to)
        if found is not None:
            return found
        request = PublishRequest(delivery_id=key, text=text, due_at=when, look_first=False)
        steps = replace(self._adapter.steps(to.remote_id), find=lambda _: self._find_answer(text, to))
        return publish_once(request, steps, self._answer_intents, clock.now())

    def _find_answer(self, text: str, to: AnswerTo) -> Published | None:
        body = self._adapter.graph.get(
            f"{self._adapter.user_id()}/replies",
            {"fields": "id,text,timestamp,permalink,replied_to", "limit": str(PAGE)},
            doing="look for the answer",
        )
        wanted = comparable_text(text)
        for reply in _list(body.get("data")):
            if not isinstance(reply, dict) or _dict(reply.get("replied_to")).get("id") != to.remote_id:
                continue
            if comparable_text(str(reply.get("text") or "")) == wanted:
                return Published(
                    remote_id=str(reply.get("id") or ""),
                    url=str(reply.get("permalink") or POST_URL),
                    acknowledged_at=network_time(reply.get("timestamp")) or clock.now(),
                    already_there=True,
                )
        return None

    def _pages(self, path: str, params: dict[str, str], kind: str, doing: str) -> tuple[list[Seen], int]:
        items: list[Seen] = []
        query = {**params, "fields": FIELDS, "limit": str(PAGE)}
        calls = 0
        for _ in range(MAX_PAGES):
            calls += 1
            body = self._adapter.graph.get(path, query, doing=doing)
            items += posts_in(kind, body)
            after = _dict(_dict(_dict(body.get("paging")).get("cursors"))).get("after")
            if not after or not _dict(body.get("paging")).get("next"):
                break
            query = {**query, "after": str(after)}
        return items, calls

    def _newer(
        self, path: str, params: dict[str, str], kind: str, since: str | None, doing: str
    ) -> tuple[list[Seen], int, str | None]:
        """Newest-first pages, down to the marker `since`."""
        query = {**params, "fields": FIELDS, "limit": str(PAGE)}
        items: list[Seen] = []
        newest: str | None = None
        calls = 0
        for _ in range(MAX_PAGES):
            calls += 1
            body = self._adapter.graph.get(path, query, doing=doing)
            posts = [p for p in _list(body.get("data")) if isinstance(p, dict) and p.get("id")]
            fresh = [p for p in posts if since is None or marker(p) > since]
            if fresh:
                newest = max([newest or "", *(marker(p) for p in fresh)])
            items += posts_in(kind, {"data": fresh})
            after = _dict(_dict(_dict(body.get("paging")).get("cursors"))).get("after")
            if len(fresh) < len(posts) or not after or not _dict(body.get("paging")).get("next"):
                break
            query = {**query, "after": str(after)}
        return items, calls, newest


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
