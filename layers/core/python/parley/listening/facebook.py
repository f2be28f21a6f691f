"""Listening on a Facebook Page with its Page token (developers.facebook.com/docs/...).

- A post: its counters with `GET /{post-id}?fields=reactions.summary(total_count),comments.summary(total_count),
  shares` (graph-api/reference/post: reactions of every kind as `like`, comments as `reply`, shares as
  `repost`), its impressions with `GET /{post-id}/insights?metric=post_impressions`
  (graph-api/reference/insights) only where the token has read_insights (else the counter is absent, and
  the refusal is remembered for the adapter's life), and its comments with
  `GET /{post-id}/comments?filter=stream` (graph-api/reference/object/comments: every comment, replies
  included, in time order), the Page's own left out.
- Mentions and search: not read (a Page's mentions come by webhook, which parley does not take; the
  Graph API has no post search), so `read_mentions` finds nothing without a call and `search` raises
  SearchUnsupported.
- Answers: `POST /{comment-id}/comments` with the message (object/comments). No idempotency key: the
  comment's replies are looked at first for the Page's reply with the same text, and again after an
  answer that may hide a write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parley.networks.base import (
    AnswerTo,
    Conversation,
    Found,
    PermanentNetworkError,
    Published,
    SearchUnsupported,
    Seen,
    TransientNetworkError,
)
from parley.networks.facebook import Gone, comparable_text, post_url
from parley.networks.once import look_then_create
from parley.shared import clock
from parley.shared.timeparse import network_time

NETWORK = "facebook"
PAGE = 100
MAX_COMMENT_PAGES = 3
REPLY = "reply"
COUNTER_FIELDS = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"
COMMENT_FIELDS = "id,message,from,created_time,parent{id},permalink_url"


def counters(post: dict[str, Any]) -> dict[str, int]:
    return {
        "like": _int(_summary(post, "reactions")),
        "reply": _int(_summary(post, "comments")),
        "repost": _int(_dict(post.get("shares")).get("count")),
    }


def impressions(body: dict[str, Any]) -> int | None:
    for metric in _list(body.get("data")):
        if isinstance(metric, dict) and metric.get("name") == "post_impressions":
            values = _list(metric.get("values"))
            if values and isinstance(values[-1], dict):
                return _int(values[-1].get("value"))
    return None


def comments_in(body: dict[str, Any], post_id: str, own_id: str) -> list[Seen]:
    found = []
    for comment in _list(body.get("data")):
        if not isinstance(comment, dict) or not comment.get("id"):
            continue
        author = _dict(comment.get("from"))
        author_id = str(author.get("id") or "")
        if own_id and author_id == own_id:
            continue
        comment_id = str(comment["id"])
        found.append(
            Seen(
                kind=REPLY,
                uri=comment_id,
                cid="",
                author_id=author_id,
                # Without `from` (Facebook leaves it out unless the Page may see the person) the author is unknown.
                author_handle=str(author.get("name") or ""),
                text=str(comment.get("message") or ""),
                created_at=network_time(comment.get("created_time")) or clock.now(),
                root_uri=post_id,
                root_cid="",
                parent_uri=str(_dict(comment.get("parent")).get("id") or post_id),
                url=str(comment.get("permalink_url") or post_url(comment_id)),
            )
        )
    return found


class FacebookListener:
    network = NETWORK

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter  # a FacebookAdapter
        self._insights = True  # until Facebook says the token may not read them

    def read_conversation(self, remote_id: str, own_id: str) -> Conversation | None:
        own = own_id or self._adapter.page_id()
        try:
            post = self._adapter.get_json(f"/{remote_id}", {"fields": COUNTER_FIELDS}, doing="read the post's counters")
        except Gone:
            return None  # the post was deleted
        found = counters(post)
        calls = 1
        if self._insights:
            calls += 1
            try:
                body = self._adapter.get_json(
                    f"/{remote_id}/insights", {"metric": "post_impressions"}, doing="read the post's impressions"
                )
            except PermanentNetworkError:
                self._insights = False  # no read_insights: impressions stay absent
            else:
                seen = impressions(body)
                if seen is not None:
                    found["impression"] = seen
        replies: list[Seen] = []
        after: str | None = None
        for _ in range(MAX_COMMENT_PAGES):
            params = {"filter": "stream", "order": "chronological", "fields": COMMENT_FIELDS, "limit": str(PAGE)}
            if after:
                params["after"] = after
            calls += 1
            body = self._adapter.get_json(f"/{remote_id}/comments", params, doing="read comments")
            replies.extend(comments_in(body, remote_id, own))
            paging = _dict(body.get("paging"))
            after = str(_dict(paging.get("cursors")).get("after") or "") or None
            if not paging.get("next") or not after:
                break
        return Conversation(found, replies, calls=calls)

    def read_mentions(self, since: str | None) -> Found:
        return Found([], since, calls=0)  # not read (module docstring)

    def search(self, query: str, since: str | None, own_id: str) -> Found:
        raise SearchUnsupported("Facebook's Graph API offers no search of posts by keyword or hashtag")

    def answer(self, key: str, when: datetime, text: str, to: AnswerTo) -> Published:
        def create() -> Published:
            created = self._adapter.post_form(f"/{to.remote_id}/comments", {"message": text}, doing="post the answer")
            comment_id = str(created.get("id") or "")
            if not comment_id:
                raise TransientNetworkError("Facebook answered the comment without its id")
            return Published(remote_id=comment_id, url=post_url(comment_id), acknowledged_at=clock.now())

        return look_then_create(lambda: self._find_answer(text, to), create)

    def _find_answer(self, text: str, to: AnswerTo) -> Published | None:
        body = self._adapter.get_json(
            f"/{to.remote_id}/comments",
            {"fields": COMMENT_FIELDS, "limit": str(PAGE)},
            doing="look for the answer",
        )
        wanted, own = comparable_text(text), self._adapter.page_id()
        for comment in _list(body.get("data")):
            if not isinstance(comment, dict) or str(_dict(comment.get("from")).get("id") or "") != own:
                continue
            if comparable_text(str(comment.get("message") or "")) == wanted and comment.get("id"):
                comment_id = str(comment["id"])
                return Published(
                    comment_id,
                    str(comment.get("permalink_url") or post_url(comment_id)),
                    network_time(comment.get("created_time")) or clock.now(),
                    already_there=True,
                )
        return None


def _summary(post: dict[str, Any], edge: str) -> object:
    return _dict(_dict(post.get(edge)).get("summary")).get("total_count")


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
