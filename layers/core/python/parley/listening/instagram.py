"""Listening on Instagram (Graph API), with the channel's token.

- A post: `GET /{ig-media-id}?fields=like_count,comments_count`
  (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media) for the
  counters `like` and `reply`, then `GET /{ig-media-id}/insights?metric=reach,saved,shares,views`
  (https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights) where the
  token was granted `instagram_manage_insights` (else those counters are left out: NotGranted), and the
  comments `GET /{ig-media-id}/comments?fields=id,text,timestamp,username,from`
  (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments),
  our own left out.
- Mentions: not offered by polling. Instagram reports @mentions in captions and comments only through its
  webhooks (`mentions` field), which parley does not subscribe to; `read_mentions` finds nothing.
- Listeners (hashtag or keyword search): not offered (SearchUnsupported).
- Answers: `POST /{ig-comment-id}/replies` with `message`
  (https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-comment/replies).
  Instagram takes no idempotency key: the comment's replies (`GET /{ig-comment-id}/replies`) are looked at
  first for ours with the same text, and again after an answer that may hide a write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parley.networks.base import (
    AnswerTo,
    Conversation,
    Found,
    Published,
    SearchUnsupported,
    Seen,
    TransientNetworkError,
)
from parley.networks.instagram import POST_URL
from parley.networks.meta_containers import Gone, NotGranted, comparable_text
from parley.networks.once import look_then_create
from parley.shared import clock
from parley.shared.timeparse import network_time

NETWORK = "instagram"
COMMENT_FIELDS = "id,text,timestamp,username,from"
INSIGHTS = "reach,saved,shares,views"
PAGE = 50
MAX_COMMENT_PAGES = 3


def counters(media: dict[str, Any]) -> dict[str, int]:
    return {"like": _int(media.get("like_count")), "reply": _int(media.get("comments_count"))}


def insight_counters(body: dict[str, Any]) -> dict[str, int]:
    """`{"data": [{"name": "reach", "values": [{"value": 12}]}, ...]}` (or `total_value.value`)."""
    found = {}
    for metric in _list(body.get("data")):
        if not isinstance(metric, dict) or not metric.get("name"):
            continue
        values = _list(metric.get("values"))
        value = _dict(values[0]).get("value") if values else _dict(metric.get("total_value")).get("value")
        name = str(metric["name"])
        found["impression" if name == "views" else name] = _int(value)  # views: the metrics' impressions
    return found


def comments_in(body: dict[str, Any], media_id: str, own_id: str, own_username: str) -> list[Seen]:
    found = []
    for comment in _list(body.get("data")):
        if not isinstance(comment, dict) or not comment.get("id"):
            continue
        author = _dict(comment.get("from"))
        author_id = str(author.get("id") or "")
        username = str(comment.get("username") or author.get("username") or "")
        if (own_id and author_id == own_id) or (own_username and username == own_username):
            continue
        found.append(
            Seen(
                kind="reply",
                uri=str(comment["id"]),
                cid="",
                author_id=author_id,
                author_handle=username,
                text=str(comment.get("text") or ""),
                created_at=network_time(comment.get("timestamp")) or clock.now(),
                root_uri=media_id,
                root_cid="",
                parent_uri=media_id,
                url=POST_URL + username if username else POST_URL,
            )
        )
    return found


class InstagramListener:
    network = NETWORK

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter  # an InstagramAdapter

    def read_conversation(self, remote_id: str, own_id: str) -> Conversation | None:
        graph = self._adapter.graph
        try:
            media = graph.get(remote_id, {"fields": "like_count,comments_count"}, doing="read the post's counters")
        except Gone:
            return None
        found = counters(media)
        calls = 1
        try:
            calls += 1
            found |= insight_counters(graph.get(f"{remote_id}/insights", {"metric": INSIGHTS}, doing="read insights"))
        except NotGranted:
            pass  # the token was not granted insights: like and reply only
        replies: list[Seen] = []
        params = {"fields": COMMENT_FIELDS, "limit": str(PAGE)}
        own_username = self._adapter.username() if own_id else ""
        for _ in range(MAX_COMMENT_PAGES):
            calls += 1
            body = graph.get(f"{remote_id}/comments", params, doing="read comments")
            replies += comments_in(body, remote_id, own_id, own_username)
            after = _dict(_dict(_dict(body.get("paging")).get("cursors"))).get("after")
            if not after or not _dict(body.get("paging")).get("next"):
                break
            params = {**params, "after": str(after)}
        return Conversation(found, replies, calls=calls)

    def read_mentions(self, since: str | None) -> Found:
        return Found([], None, calls=0)  # webhooks only (module docstring)

    def search(self, query: str, since: str | None, own_id: str) -> Found:
        raise SearchUnsupported("Instagram listeners are not supported: its API offers no keyword search")

    def answer(self, key: str, when: datetime, text: str, to: AnswerTo) -> Published:
        """A reply to a comment (`/{comment-id}/replies`), or, when `to` is the account's post itself (a first
        comment, a thread's part as a comment: docs/threads.md), a comment on it (`/{ig-media-id}/comments`)."""
        edge = _edge(to)

        def create() -> Published:
            body = self._adapter.graph.post(f"{to.remote_id}/{edge}", {"message": text}, doing="post the answer")
            reply_id = str(body.get("id") or "")
            if not reply_id:
                raise TransientNetworkError("Instagram answered the answer with something unexpected")
            return Published(remote_id=reply_id, url=POST_URL, acknowledged_at=clock.now())

        return look_then_create(lambda: self._find_answer(text, to), create)

    def _find_answer(self, text: str, to: AnswerTo) -> Published | None:
        body = self._adapter.graph.get(
            f"{to.remote_id}/{_edge(to)}", {"fields": "id,text,timestamp,username"}, doing="look for the answer"
        )
        wanted, own = comparable_text(text), self._adapter.username()
        for reply in _list(body.get("data")):
            if not isinstance(reply, dict) or str(reply.get("username") or "") != own:
                continue
            if comparable_text(str(reply.get("text") or "")) == wanted:
                return Published(
                    remote_id=str(reply.get("id") or ""),
                    url=POST_URL,
                    acknowledged_at=network_time(reply.get("timestamp")) or clock.now(),
                    already_there=True,
                )
        return None


def _edge(to: AnswerTo) -> str:
    return "comments" if to.remote_id == to.root_id else "replies"


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
