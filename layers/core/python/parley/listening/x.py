"""Listening on X (API v2), with the channel's OAuth 2.0 user token. Field names follow X's OpenAPI
description (../shared/peers/x-openapi.json: `post.fields`, `referenced_posts`, `repost_count`); the older
names X's documentation shows (`referenced_tweets`, `retweet_count`) are read too.

- A post: `GET /2/tweets/:id?post.fields=public_metrics` for its counters (like, repost, reply, quote,
  bookmark and impression where X gives them), and the replies with
  `GET /2/tweets/search/recent?query=conversation_id:<id>` (recent search covers the last 7 days: the
  watch window), our own posts left out.
- Mentions: `GET /2/users/:id/mentions?since_id=<marker>`, paged with `pagination_token`.
- Listeners: `GET /2/tweets/search/recent` with the hashtag or keyword (`-is:retweet`), `since_id`.
- Answers: `POST /2/tweets` with `reply.in_reply_to_tweet_id`. X takes no idempotency key, so the
  account's recent posts (`GET /2/users/:id/tweets`, since the item arrived) are looked at first for a
  reply to the same post with the same text; after a timeout, a 5xx or a "duplicate content" refusal
  they are looked at again before anything is said to have failed.

Markers are post ids zero-padded to MARKER_WIDTH digits (ordered as strings like the ids as numbers).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from parley.networks.base import (
    AnswerTo,
    Conversation,
    Found,
    NetworkError,
    PermanentNetworkError,
    Published,
    Seen,
    TransientNetworkError,
)
from parley.networks.once import look_then_create, maybe_written
from parley.networks.x import comparable_text, created_at_of, post_url
from parley.shared import clock
from parley.shared.timeparse import network_time

NETWORK = "x"
PAGE = 100  # the most one page of search, mentions or a timeline holds
MAX_REPLY_PAGES = 3
MAX_MENTION_PAGES = 5
MAX_SEARCH_PAGES = 3
MARKER_WIDTH = 20
FIND_MARGIN = timedelta(minutes=2)
REPLY, MENTION, MATCH = "reply", "mention", "listener"
POST_FIELDS = "conversation_id,created_at"
EXPANSIONS = "author_id,referenced_posts"  # the author (with `includes.users`) and what a post answers
PERSON_URL = "https://x.com/{username}/status/{id}"


def marker(post_id: str) -> str:
    return post_id.zfill(MARKER_WIDTH)


def id_of(marker_value: str | None) -> str | None:
    return (marker_value.lstrip("0") or "0") if marker_value else None


def counters(post: dict[str, Any]) -> dict[str, int]:
    metrics = _dict(post.get("public_metrics"))
    found = {
        "like": _int(metrics.get("like_count")),
        "repost": _int(metrics.get("repost_count", metrics.get("retweet_count"))),
        "reply": _int(metrics.get("reply_count")),
        "quote": _int(metrics.get("quote_count")),
    }
    for extra in ("bookmark", "impression"):
        if f"{extra}_count" in metrics:
            found[extra] = _int(metrics.get(f"{extra}_count"))
    return found


def parent_of(post: dict[str, Any]) -> str | None:
    for ref in _list(post.get("referenced_posts", post.get("referenced_tweets"))):
        if isinstance(ref, dict) and ref.get("type") == "replied_to" and ref.get("id"):
            return str(ref["id"])
    return None


def posts_in(kind: str, body: dict[str, Any], own_id: str | None = None) -> list[Seen]:
    """The posts of one page (`data`, authors from `includes.users`), but `own_id`'s."""
    users = {str(u.get("id")): str(u.get("username") or "") for u in _list(_dict(body.get("includes")).get("users"))}
    found = []
    for post in _list(body.get("data")):
        if not isinstance(post, dict) or not post.get("id"):
            continue
        post_id, author_id = str(post["id"]), str(post.get("author_id") or "")
        if own_id and author_id == own_id:
            continue
        username = users.get(author_id, "")
        found.append(
            Seen(
                kind=kind,
                uri=post_id,
                cid="",
                author_id=author_id,
                author_handle=username,
                text=str(post.get("text") or ""),
                created_at=network_time(post.get("created_at")) or created_at_of(post_id) or clock.now(),
                root_uri=str(post.get("conversation_id") or post_id),
                root_cid="",
                parent_uri=parent_of(post),
                url=PERSON_URL.format(username=username, id=post_id) if username else post_url(post_id),
            )
        )
    return found


class XListener:
    network = NETWORK

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter  # an XAdapter

    def read_conversation(self, remote_id: str, own_id: str) -> Conversation | None:
        body = self._adapter.get_json(
            f"/2/tweets/{remote_id}", {"post.fields": "public_metrics"}, doing="read the post's counters"
        )
        post = _dict(body.get("data"))
        if not post:
            return None  # X answers 200 with `errors` for a post that is gone
        replies, calls = self._pages(
            "/2/tweets/search/recent",
            {"query": f"conversation_id:{remote_id}"},
            REPLY,
            own_id,
            MAX_REPLY_PAGES,
            "next_token",
            "read replies",
        )
        return Conversation(counters(post), replies.items, calls=1 + calls)

    def read_mentions(self, since: str | None) -> Found:
        found, _ = self._pages(
            f"/2/users/{self._adapter.user_id()}/mentions",
            {"since_id": id_of(since) or ""} if since else {},
            MENTION,
            None,
            MAX_MENTION_PAGES,
            "pagination_token",
            "read mentions",
        )
        return found

    def search(self, query: str, since: str | None, own_id: str) -> Found:
        params = {"query": f"{query} -is:retweet"}
        if since:
            params["since_id"] = id_of(since) or ""
        found, _ = self._pages(
            "/2/tweets/search/recent", params, MATCH, own_id, MAX_SEARCH_PAGES, "next_token", "search posts"
        )
        return found

    def answer(self, key: str, when: datetime, text: str, to: AnswerTo) -> Published:
        def create() -> Published:
            body = {"text": text, "reply": {"in_reply_to_tweet_id": to.remote_id}}
            created = self._adapter.post_json("/2/tweets", body, doing="post the answer")
            post_id = str(_dict(created.get("data")).get("id") or "")
            if not post_id:
                raise TransientNetworkError("X answered the answer with something unexpected")
            return Published(remote_id=post_id, url=post_url(post_id), acknowledged_at=clock.now())

        def ambiguous(exc: NetworkError) -> bool:  # X refuses a second identical post as "duplicate content"
            return maybe_written(exc) or (isinstance(exc, PermanentNetworkError) and "duplicate" in exc.reason.lower())

        return look_then_create(lambda: self._find_answer(text, to, when), create, ambiguous)

    def _find_answer(self, text: str, to: AnswerTo, when: datetime) -> Published | None:
        """Our reply to `to` with this text, among the account's posts since the item arrived."""
        start = (when - FIND_MARGIN).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = self._adapter.get_json(
            f"/2/users/{self._adapter.user_id()}/tweets",
            {"max_results": str(PAGE), "start_time": start, "post.fields": POST_FIELDS, "expansions": EXPANSIONS},
            doing="look for the answer",
        )
        wanted = comparable_text(text)
        for post in _list(body.get("data")):
            if not isinstance(post, dict) or parent_of(post) != to.remote_id:
                continue
            if comparable_text(str(post.get("text") or "")) != wanted:
                continue
            post_id = str(post.get("id") or "")
            return Published(
                remote_id=post_id,
                url=post_url(post_id),
                acknowledged_at=created_at_of(post_id) or clock.now(),
                already_there=True,
            )
        return None

    def _pages(
        self,
        path: str,
        params: dict[str, str],
        kind: str,
        own_id: str | None,
        max_pages: int,
        token_name: str,
        doing: str,
    ) -> tuple[Found, int]:
        """Newest first, page by page (X's `meta.next_token`), at most `max_pages`."""
        items: list[Seen] = []
        newest: str | None = None
        calls = 0
        token: str | None = None
        for _ in range(max_pages):
            query = {
                **params,
                "max_results": str(PAGE),
                "post.fields": POST_FIELDS,
                "expansions": EXPANSIONS,
                "user.fields": "username",
            }
            if token:
                query[token_name] = token
            calls += 1
            body = self._adapter.get_json(path, query, doing=doing)
            ids = [str(p.get("id")) for p in _list(body.get("data")) if isinstance(p, dict) and p.get("id")]
            newest = max([newest or "", *(marker(i) for i in ids)]) or None
            items.extend(posts_in(kind, body, own_id))
            token = _dict(body.get("meta")).get("next_token")
            if not token or not ids:
                break
        return Found(items, newest, calls), calls


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
