"""Answers of Instagram's Graph API, shaped after Meta's documentation (each names the page it was shaped
from). No local Instagram server or published spec exists: tests/support/meta_standin.py serves these
shapes, with state, on a loopback port. Ids are the documentation's examples where the page had one.
"""

from __future__ import annotations

from typing import Any

USER_ID = "17841400008460056"  # the IG User reference's example id
USERNAME = "parley_brand"

# https://developers.facebook.com/docs/instagram-platform/content-publishing (step 1): the container's id.
CONTAINER_CREATED = {"id": "17889455560051444"}


# https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-container:
# `?fields=status_code` -> EXPIRED | ERROR | FINISHED | IN_PROGRESS | PUBLISHED.
def container_status(container_id: str, status_code: str) -> dict[str, Any]:
    return {"status_code": status_code, "id": container_id}


# https://developers.facebook.com/docs/instagram-platform/content-publishing (step 2): media_publish -> the
# IG Media id.
MEDIA_PUBLISHED = {"id": "17920238422030506"}


# https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media
# (Reading): `?fields=id,caption,timestamp,permalink`, newest first, with cursors.
def media_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"data": items, "paging": {"cursors": {"before": "QVFIUk", "after": "QVFIUl"}}}


# https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/content_publishing_limit
CONTENT_PUBLISHING_LIMIT = {"data": [{"quota_usage": 2, "config": {"quota_total": 100, "quota_duration": 86400}}]}

# https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media (fields).
MEDIA_COUNTERS = {"like_count": 12, "comments_count": 2, "id": MEDIA_PUBLISHED["id"]}

# https://developers.facebook.com/docs/instagram-platform/reference/instagram-media/insights (Response).
MEDIA_INSIGHTS = {
    "data": [
        {
            "name": "reach",
            "period": "lifetime",
            "values": [{"value": 340}],
            "id": "17920238422030506/insights/reach/lifetime",
        },
        {
            "name": "saved",
            "period": "lifetime",
            "values": [{"value": 7}],
            "id": "17920238422030506/insights/saved/lifetime",
        },
    ]
}

# https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-media/comments
# (Reading, `?fields=id,text,timestamp,username,from`).
COMMENTS = {
    "data": [
        {
            "timestamp": "2017-08-31T19:16:02+0000",
            "text": "This is awesome!",
            "id": "17870913679156914",
            "username": "a_reader",
            "from": {"id": "17841405309211844", "username": "a_reader"},
        },
        {
            "timestamp": "2017-08-31T19:17:02+0000",
            "text": "Thanks!",
            "id": "17873440459141021",
            "username": USERNAME,
            "from": {"id": USER_ID, "username": USERNAME},
        },
    ]
}

# https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-comment/replies
# (Creating): the new reply comment's id.
REPLY_CREATED = {"id": "17873440459141029"}

# https://developers.facebook.com/docs/graph-api/guides/error-handling: an expired or revoked token.
TOKEN_EXPIRED_190 = {
    "error": {
        "message": "Error validating access token: Session has expired on Tuesday, 01-Jul-25 10:00:00 PDT.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
        "fbtrace_id": "H2il2t5bn4e",
    }
}

# https://developers.facebook.com/docs/graph-api/overview/rate-limiting (Business Use Case rate limits):
# error 80002 for the Instagram use case, with the usage header saying when access comes back (minutes).
RATE_LIMITED = {
    "error": {
        "message": "There have been too many calls to this Instagram account. Wait a bit and try again.",
        "type": "OAuthException",
        "code": 80002,
        "fbtrace_id": "A2OqAYu2cUl",
    }
}
RATE_LIMIT_HEADERS = {
    "X-Business-Use-Case-Usage": (
        '{"17841400008460056": [{"type": "instagram", "call_count": 100, "total_cputime": 25, '
        '"total_time": 25, "estimated_time_to_regain_access": 17}]}'
    )
}
