"""Listening on Mastodon, through the instance's REST API with the channel's token.

- A post: `GET /api/v1/statuses/:id` for its counters (`replies_count`, `reblogs_count`,
  `favourites_count`, `quotes_count` where the instance has quotes) and `GET /api/v1/statuses/:id/context`
  for the replies (`descendants`, at any depth; our own account's left out).
- Mentions: `GET /api/v1/notifications?types[]=mention&since_id=<marker>`, newest first, paged down with
  `max_id` (at most MAX_MENTION_PAGES pages of 40).
- Listeners: a hashtag through `GET /api/v1/timelines/tag/:tag?since_id=`; keywords are not searched
  (Mastodon's full-text search only finds posts whose authors opted in; not built).
- Answers: `POST /api/v1/statuses` with `in_reply_to_id` and an `Idempotency-Key` derived from the
  answer's key, after looking at the account's recent statuses for the same answer (the instance keeps a
  key for about an hour only). The person's @handle is put first when the text does not name them, as
  Mastodon's own apps do (a reply without it does not notify them).

Markers (the last mention or match taken) are ids zero-padded to MARKER_WIDTH digits, so that their order
as strings is the instance's order.
"""

from __future__ import annotations

import html
import logging
from datetime import datetime
from typing import Any

import regex

from parley.networks.base import AnswerTo, Conversation, Found, Published, SearchUnsupported, Seen
from parley.networks.mastodon import idempotency_key, normalized_text
from parley.shared import clock
from parley.shared.timeparse import network_time

logger = logging.getLogger(__name__)

NETWORK = "mastodon"
PAGE = 40  # the most a Mastodon list endpoint gives in one page
MAX_MENTION_PAGES = 5
MAX_SEARCH_PAGES = 3
MARKER_WIDTH = 20
REPLY, MENTION, MATCH = "reply", "mention", "listener"

_TAG_BREAK = regex.compile(r"<\s*(br|/p)\s*/?\s*>", regex.IGNORECASE)
_INVISIBLE = regex.compile(r'<span class="invisible">[^<]*</span>', regex.IGNORECASE)
_TAG = regex.compile(r"<[^>]*>")


def marker(status_or_notification_id: str) -> str:
    return status_or_notification_id.zfill(MARKER_WIDTH)


def id_of(marker_value: str | None) -> str | None:
    return (marker_value.lstrip("0") or "0") if marker_value else None


def plain_text(status: dict[str, Any]) -> str:
    """A status as a person reads it: `text` when the instance gives it, else its HTML content without
    markup (the parts of a link Mastodon hides stay hidden), paragraphs as new lines."""
    given = status.get("text")
    if isinstance(given, str) and given:
        return given
    content = _INVISIBLE.sub("", str(status.get("content") or ""))
    return html.unescape(_TAG.sub("", _TAG_BREAK.sub("\n", content))).strip()


def counters(status: dict[str, Any]) -> dict[str, int]:
    found = {
        "like": _int(status.get("favourites_count")),
        "repost": _int(status.get("reblogs_count")),
        "reply": _int(status.get("replies_count")),
    }
    if "quotes_count" in status:
        found["quote"] = _int(status.get("quotes_count"))
    return found


def seen(kind: str, status: dict[str, Any], root: str | None = None) -> Seen | None:
    status_id = str(status.get("id") or "")
    account = _dict(status.get("account"))
    if not status_id:
        return None
    parent = status.get("in_reply_to_id")
    return Seen(
        kind=kind,
        uri=status_id,
        cid="",
        author_id=str(account.get("id") or ""),
        author_handle=str(account.get("acct") or account.get("username") or ""),
        text=plain_text(status),
        created_at=network_time(status.get("created_at"), naive_is_utc=True) or clock.now(),
        root_uri=root or str(parent or status_id),
        root_cid="",
        parent_uri=str(parent) if parent else None,
        url=str(status.get("url") or status.get("uri") or ""),
    )


def replies_in(context: dict[str, Any], root: str, own_id: str) -> list[Seen]:
    """Every descendant of the post, but our own statuses (an answer we gave is not inbox material)."""
    found = []
    for status in context.get("descendants") or []:
        if not isinstance(status, dict) or str(_dict(status.get("account")).get("id") or "") == own_id:
            continue
        item = seen(REPLY, status, root)
        if item is not None:
            found.append(item)
    return found


def mentions_in(notifications: list[Any]) -> list[Seen]:
    found = []
    for note in notifications:
        if not isinstance(note, dict) or note.get("type") != MENTION or not isinstance(note.get("status"), dict):
            continue
        item = seen(MENTION, note["status"])
        if item is not None:
            found.append(item)
    return found


class MastodonListener:
    network = NETWORK

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter  # a MastodonAdapter

    def read_conversation(self, remote_id: str, own_id: str) -> Conversation | None:
        status = self._adapter.get_json(f"/api/v1/statuses/{remote_id}", doing="read the post's counters")
        context = self._adapter.get_json(f"/api/v1/statuses/{remote_id}/context", doing="read replies")
        return Conversation(counters(_dict(status)), replies_in(_dict(context), remote_id, own_id), calls=2)

    def read_mentions(self, since: str | None) -> Found:
        items: list[Seen] = []
        newest: str | None = None
        calls = 0
        max_id: str | None = None
        for _ in range(MAX_MENTION_PAGES):
            params = {"types[]": MENTION, "limit": str(PAGE)}
            if since:
                params["since_id"] = id_of(since) or ""
            if max_id:
                params["max_id"] = max_id
            calls += 1
            page = _list(self._adapter.get_json("/api/v1/notifications", params, doing="read mentions"))
            ids = [str(n.get("id")) for n in page if isinstance(n, dict) and n.get("id")]
            newest = max([newest or "", *(marker(i) for i in ids)]) or None
            items.extend(mentions_in(page))
            if len(page) < PAGE or not ids:
                break
            max_id = min(ids, key=marker)
        return Found(items, newest, calls)

    def search(self, query: str, since: str | None, own_id: str) -> Found:
        if not query.startswith("#"):
            raise SearchUnsupported("Mastodon listeners follow hashtags only; keyword search is not available")
        tag = query[1:]
        items: list[Seen] = []
        newest: str | None = None
        calls = 0
        max_id: str | None = None
        for _ in range(MAX_SEARCH_PAGES):
            params = {"limit": str(PAGE)}
            if since:
                params["since_id"] = id_of(since) or ""
            if max_id:
                params["max_id"] = max_id
            calls += 1
            page = _list(self._adapter.get_json(f"/api/v1/timelines/tag/{tag}", params, doing="search the hashtag"))
            statuses = [s for s in page if isinstance(s, dict) and s.get("id")]
            newest = max([newest or "", *(marker(str(s["id"])) for s in statuses)]) or None
            for status in statuses:
                if str(_dict(status.get("account")).get("id") or "") != own_id:
                    item = seen(MATCH, status)
                    if item is not None:
                        items.append(item)
            if len(page) < PAGE or not statuses:
                break
            max_id = min((str(s["id"]) for s in statuses), key=marker)
        return Found(items, newest, calls)

    def answer(self, key: str, when: datetime, text: str, to: AnswerTo) -> Published:
        text = with_mention(text, to.author_handle)
        found = self._find_answer(text, to)
        if found is not None:
            return found
        body = self._adapter.post_json(
            "/api/v1/statuses",
            {"status": text, "in_reply_to_id": to.remote_id, "visibility": "public"},
            doing="post the answer",
            headers={"Idempotency-Key": idempotency_key(key)},
        )
        status_id = str(body.get("id") or "")
        return Published(
            remote_id=status_id, url=str(body.get("url") or body.get("uri") or ""), acknowledged_at=clock.now()
        )

    def _find_answer(self, text: str, to: AnswerTo) -> Published | None:
        """Our answer already under `to`, among the account's newest statuses (replies included)."""
        account_id = self._adapter.account_id()
        statuses = _list(
            self._adapter.get_json(
                f"/api/v1/accounts/{account_id}/statuses",
                {"limit": str(PAGE), "exclude_reblogs": "true"},
                doing="look for the answer",
            )
        )
        wanted = normalized_text(text)
        for status in statuses:
            if not isinstance(status, dict) or str(status.get("in_reply_to_id") or "") != to.remote_id:
                continue
            if normalized_text(plain_text(status)) != wanted:
                continue
            return Published(
                remote_id=str(status.get("id")),
                url=str(status.get("url") or status.get("uri") or ""),
                acknowledged_at=network_time(status.get("created_at"), naive_is_utc=True) or clock.now(),
                already_there=True,
            )
        return None


def with_mention(text: str, handle: str) -> str:
    """`@handle text`, unless the text already names them."""
    if not handle or f"@{handle}".lower() in text.lower() or f"@{handle.split('@')[0]}".lower() in text.lower():
        return text
    return f"@{handle} {text}"


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
