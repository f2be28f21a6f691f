"""Examples of a thread in the answers of the posts' routes (docs/threads.md): `GET /posts/{id}` shows a thread
whose third part Bluesky refused, `partial`, with the parts that are out and its first comment not sent."""

from __future__ import annotations

from typing import Any

_REPO = "at://did:plc:7iza6de2dwap2sbkpav7c6c6/app.bsky.feed.post"
_PROFILE = "https://bsky.app/profile/acme.bsky.social/post"
FIRST = "We are launching parley 2 today (1/3)"
LATER = ["Threads go out part by part (2/3)", "Each part exactly once (3/3)"]
COMMENT = "Release notes: https://example.com/notes"


def _part(index: int, text: str, rkey: str | None) -> dict[str, Any]:
    return {
        "index": index,
        "text": text,
        "state": "published" if rkey else "not_sent",
        "remote_id": f"{_REPO}/{rkey}" if rkey else None,
        "url": f"{_PROFILE}/{rkey}" if rkey else None,
    }


# what a delivery of the thread shows (the first part's URL and network id are the delivery's)
PARTIAL_DELIVERY: dict[str, Any] = {
    "state": "partial",
    "text": FIRST,
    "failure_reason": "2 of 3 parts are out; part 3 of 3 was not posted: Bluesky refused to post the answer",
    "parts": [_part(0, FIRST, "3lbq2xk7mzs2c"), _part(1, LATER[0], "3lbq2xk9aab2d"), _part(2, LATER[1], None)],
    "first_comment": {"text": COMMENT, "state": "not_sent", "remote_id": None, "url": None},
}

# what the post shows
THREAD_POST: dict[str, Any] = {
    "text": FIRST,
    "overrides": {},
    "thread": [{"text": t} for t in LATER],
    "thread_mode": "replies",
    "first_comment": {"text": COMMENT},
}
