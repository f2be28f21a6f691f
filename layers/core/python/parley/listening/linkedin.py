"""Listening on LinkedIn with the channel's token (learn.microsoft.com/en-us/linkedin/...).

- A post: its comments with `GET /rest/socialActions/{post urn}/comments` (Comments API:
  marketing/community-management/shares/comments-api), the author's own left out, and its counters with
  `GET /rest/socialMetadata/{post urn}` (Social Metadata API:
  marketing/community-management/shares/social-metadata-api): reactions of every kind as `like`, comments
  as `reply`. Impressions exist only as organization share statistics (a separate, organization-only
  API: marketing/community-management/organizations/share-statistics), which parley does not read: a
  LinkedIn delivery has no `impression` counter.
- Mentions and search: LinkedIn's API offers neither for an account's mentions or a keyword, so
  `read_mentions` finds nothing (without a call) and `search` raises SearchUnsupported.
- Answers: a comment on the post with `parentComment` set, created on the parent comment
  (`POST /rest/socialActions/{comment urn}/comments`, "nested comments" on the Comments API page). LinkedIn
  takes no idempotency key: the comment's replies are looked at first for ours with the same text, and
  again after an answer that may hide a write.
"""

from __future__ import annotations

from datetime import UTC, datetime
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
from parley.networks.linkedin import Gone, comparable_text, encoded, post_url
from parley.networks.once import look_then_create
from parley.shared import clock

NETWORK = "linkedin"
PAGE = 100
MAX_COMMENT_PAGES = 3
REPLY = "reply"


def counters(metadata: dict[str, Any]) -> dict[str, int]:
    reactions = _dict(metadata.get("reactionSummaries"))
    likes = sum(_int(_dict(summary).get("count")) for summary in reactions.values())
    return {"like": likes, "reply": _int(_dict(metadata.get("commentSummary")).get("count"))}


def comment_url(post_urn: str, comment_urn: str) -> str:
    return f"{post_url(post_urn)}?commentUrn={encoded(comment_urn)}"


def comments_in(body: dict[str, Any], post_urn: str, own_id: str) -> list[Seen]:
    found = []
    for comment in _list(body.get("elements")):
        if not isinstance(comment, dict):
            continue
        urn = str(comment.get("commentUrn") or "")
        actor = str(comment.get("actor") or _dict(comment.get("created")).get("actor") or "")
        if not urn or actor == own_id:
            continue
        created = _dict(comment.get("created")).get("time")
        found.append(
            Seen(
                kind=REPLY,
                uri=urn,
                cid="",
                author_id=actor,
                author_handle=actor,  # names need a profile lookup LinkedIn grants rarely: the URN stands in
                text=str(_dict(comment.get("message")).get("text") or ""),
                created_at=datetime.fromtimestamp(created / 1000, UTC) if isinstance(created, int) else clock.now(),
                root_uri=post_urn,
                root_cid="",
                parent_uri=str(comment.get("parentComment") or post_urn),
                url=comment_url(post_urn, urn),
            )
        )
    return found


class LinkedInListener:
    network = NETWORK

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter  # a LinkedInAdapter

    def read_conversation(self, remote_id: str, own_id: str) -> Conversation | None:
        own = own_id or self._adapter.author()
        try:
            metadata = self._adapter.get_json(
                f"/rest/socialMetadata/{encoded(remote_id)}", doing="read the post's counters"
            )
        except Gone:
            return None  # the post was deleted
        replies: list[Seen] = []
        calls = 1
        start = 0
        for _ in range(MAX_COMMENT_PAGES):
            calls += 1
            body = self._adapter.get_json(
                f"/rest/socialActions/{encoded(remote_id)}/comments",
                {"start": str(start), "count": str(PAGE)},
                doing="read comments",
            )
            replies.extend(comments_in(body, remote_id, own))
            elements = _list(body.get("elements"))
            total = _int(_dict(body.get("paging")).get("total"))
            start += len(elements)
            if not elements or start >= total:
                break
        return Conversation(counters(metadata), replies, calls=calls)

    def read_mentions(self, since: str | None) -> Found:
        return Found([], since, calls=0)  # not offered by LinkedIn's API (module docstring)

    def search(self, query: str, since: str | None, own_id: str) -> Found:
        raise SearchUnsupported("LinkedIn's API offers no search of posts by keyword or hashtag")

    def answer(self, key: str, when: datetime, text: str, to: AnswerTo) -> Published:
        """A nested comment under a comment (`parentComment`), or, when `to` is the post itself (a first
        comment, a thread's part as a comment: docs/threads.md), a comment on the post."""
        post_urn = to.root_id or to.remote_id

        def create() -> Published:
            body: dict[str, Any] = {"actor": self._adapter.author(), "object": post_urn, "message": {"text": text}}
            if to.remote_id != post_urn:
                body["parentComment"] = to.remote_id
            created_id, created = self._adapter.post_json(
                f"/rest/socialActions/{encoded(to.remote_id)}/comments", body, doing="post the answer"
            )
            urn = str(created.get("commentUrn") or "") or _comment_urn(created_id, created, post_urn)
            if not urn:
                raise TransientNetworkError("LinkedIn answered the comment without its id")
            return Published(remote_id=urn, url=comment_url(post_urn, urn), acknowledged_at=clock.now())

        return look_then_create(lambda: self._find_answer(text, to), create)

    def _find_answer(self, text: str, to: AnswerTo) -> Published | None:
        """Our reply under the comment with this text, among the comment's replies."""
        body = self._adapter.get_json(
            f"/rest/socialActions/{encoded(to.remote_id)}/comments",
            {"start": "0", "count": str(PAGE)},
            doing="look for the answer",
        )
        wanted = comparable_text(text)
        own = self._adapter.author()
        post_urn = to.root_id or to.remote_id
        for comment in _list(body.get("elements")):
            if not isinstance(comment, dict) or str(comment.get("actor") or "") != own:
                continue
            if comparable_text(str(_dict(comment.get("message")).get("text") or "")) != wanted:
                continue
            urn = str(comment.get("commentUrn") or "")
            if urn:
                return Published(urn, comment_url(post_urn, urn), clock.now(), already_there=True)
        return None


def _comment_urn(created_id: str, created: dict[str, Any], post_urn: str) -> str:
    """A comment's URN from its id (`x-restli-id` or `id`): urn:li:comment:(<activity or post>,<id>)."""
    comment_id = created_id or str(created.get("id") or "")
    if not comment_id:
        return ""
    if comment_id.startswith("urn:li:comment:"):
        return comment_id
    return f"urn:li:comment:({created.get('object') or post_urn},{comment_id})"


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
