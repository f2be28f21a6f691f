"""Answers of the Threads API, shaped after Meta's documentation (each names the page it was shaped from).
No local Threads server or published spec exists: tests/support/meta_standin.py serves these shapes, with
state, on a loopback port. Ids are the documentation's examples where the page had one.
"""

from __future__ import annotations

from typing import Any

USER_ID = "1234567"  # the Threads reference's example user id
USERNAME = "parley_brand"

# https://developers.facebook.com/docs/threads/posts (Step 1: create a Threads media container).
CONTAINER_CREATED = {"id": "1234567"}


# https://developers.facebook.com/docs/threads/troubleshooting#publishing-does-not-return-a-media-id
# (`GET /{threads-container-id}?fields=status,error_message`): EXPIRED | ERROR | FINISHED | IN_PROGRESS | PUBLISHED.
def container_status(container_id: str, status: str) -> dict[str, Any]:
    return {"status": status, "id": container_id}


# https://developers.facebook.com/docs/threads/posts (Step 2: publish the container): the post's id.
POST_PUBLISHED = {"id": "1234567"}


# https://developers.facebook.com/docs/threads/threads-media (Retrieve a list of all of a user's threads).
def threads_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": items, "paging": {"cursors": {"before": "BEFORE_CURSOR", "after": "AFTER_CURSOR"}}}


# https://developers.facebook.com/docs/threads/overview#rate-limiting (threads_publishing_limit).
PUBLISHING_LIMIT = {"data": [{"quota_usage": 4, "config": {"quota_total": 250, "quota_duration": 86400}}]}

# https://developers.facebook.com/docs/threads/insights (Media insights: response).
INSIGHTS = {
    "data": [
        {"name": "views", "period": "lifetime", "values": [{"value": 100}], "id": "1/insights/views/lifetime"},
        {"name": "likes", "period": "lifetime", "values": [{"value": 7}], "id": "1/insights/likes/lifetime"},
        {"name": "replies", "period": "lifetime", "values": [{"value": 2}], "id": "1/insights/replies/lifetime"},
        {"name": "reposts", "period": "lifetime", "values": [{"value": 1}], "id": "1/insights/reposts/lifetime"},
        {"name": "quotes", "period": "lifetime", "values": [{"value": 0}], "id": "1/insights/quotes/lifetime"},
    ]
}

# https://developers.facebook.com/docs/threads/reply-management (Retrieve a list of conversations).
CONVERSATION = {
    "data": [
        {
            "id": "1234567890",
            "text": "First Reply",
            "username": "a_reader",
            "permalink": "https://www.threads.net/@a_reader/post/abcdefg",
            "timestamp": "2024-01-01T18:20:00+0000",
            "root_post": {"id": "1234567890"},
            "replied_to": {"id": "1234567890"},
        },
        {
            "id": "1234567891",
            "text": "Our own reply",
            "username": USERNAME,
            "permalink": "https://www.threads.net/@parley_brand/post/abcdefh",
            "timestamp": "2024-01-01T18:21:00+0000",
            "root_post": {"id": "1234567890"},
            "replied_to": {"id": "1234567890"},
        },
    ],
    "paging": {"cursors": {"before": "BEFORE_CURSOR", "after": "AFTER_CURSOR"}},
}

# https://developers.facebook.com/docs/threads/reference/mentions (GET /{threads-user-id}/mentions).
MENTIONS = {
    "data": [
        {
            "id": "1234567899",
            "text": "Hey @parley_brand, nice!",
            "username": "a_reader",
            "permalink": "https://www.threads.net/@a_reader/post/mention",
            "timestamp": "2024-01-02T10:00:00+0000",
        }
    ],
    "paging": {"cursors": {"before": "BEFORE_CURSOR", "after": "AFTER_CURSOR"}},
}

# https://developers.facebook.com/docs/threads/troubleshooting (error codes): an expired token.
TOKEN_EXPIRED_190 = {
    "error": {
        "message": "Error validating access token: Session has expired.",
        "type": "OAuthException",
        "code": 190,
        "fbtrace_id": "AbCdEf",
    }
}

# https://developers.facebook.com/docs/graph-api/overview/rate-limiting: user request limit reached (17).
RATE_LIMITED = {"error": {"message": "User request limit reached", "type": "OAuthException", "code": 17}}
RETRY_AFTER_HEADERS = {"Retry-After": "600"}
