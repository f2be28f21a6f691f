"""Answers of Facebook's Graph API for Pages, shaped after Meta's own documentation (each names the page it
was shaped from, under https://developers.facebook.com/docs/). No local server or published spec exists
for the Graph API: the adapter's behaviour is tested on these. Ids follow the pages' examples.
"""

from __future__ import annotations

import json
from typing import Any

PAGE_ID = "1353269864728879"
POST_ID = f"{PAGE_ID}_2110919585781402"

# graph-api/reference/page (reading a Page with `fields=id,name,username`).
PAGE_200: dict[str, Any] = {"id": PAGE_ID, "name": "Acme Coffee", "username": "acmecoffee"}

# graph-api/reference/page/feed ("Publishing"): the new post's id.
FEED_CREATED_200: dict[str, Any] = {"id": POST_ID}

# graph-api/reference/page/photos ("Creating"): a published photo answers its id and the post's id; an
# unpublished one (`published=false`) only its id.
PHOTO_POSTED_200: dict[str, Any] = {"id": "2110919585781500", "post_id": POST_ID}


def unpublished_photo(n: int) -> dict[str, Any]:
    return {"id": f"21109195857815{n:02d}"}


# graph-api/reference/page/posts: the Page's posts, newest first.
def page_posts(message: str, created: str = "2026-03-01T09:00:05+0000") -> dict[str, Any]:
    return {
        "data": [
            {
                "id": POST_ID,
                "message": message,
                "created_time": created,
                "permalink_url": f"https://www.facebook.com/{PAGE_ID}/posts/2110919585781402",
            },
            {
                "id": f"{PAGE_ID}_2110919585781000",
                "message": "An older post",
                "created_time": "2026-02-27T10:00:00+0000",
            },
        ],
        "paging": {"cursors": {"before": "QVFIUk", "after": "QVFIUl"}},
    }


# graph-api/guides/error-handling: OAuthException 190 (token expired: subcode 463; revoked: 460).
TOKEN_EXPIRED_190: dict[str, Any] = {
    "error": {
        "message": "Error validating access token: Session has expired on Sunday, 01-Mar-26 08:00:00 PST.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
        "fbtrace_id": "EJplcsCHuLu",
    }
}

# Same page: code 32 "Page-level throttling"; graph-api/overview/rate-limiting: the Business Use Case header
# with `estimated_time_to_regain_access` in minutes.
THROTTLED_32: dict[str, Any] = {
    "error": {
        "message": "(#32) Page request limit reached",
        "type": "OAuthException",
        "code": 32,
        "fbtrace_id": "A1b2C3",
    }
}
BUC_HEADERS = {
    "X-Business-Use-Case-Usage": json.dumps(
        {
            PAGE_ID: [
                {
                    "type": "pages",
                    "call_count": 100,
                    "total_cputime": 25,
                    "total_time": 25,
                    "estimated_time_to_regain_access": 19,
                }
            ]
        }
    )
}
# Same page: code 4 "Application request limit reached", with X-App-Usage (no time estimate).
THROTTLED_4: dict[str, Any] = {
    "error": {"message": "(#4) Application request limit reached", "type": "OAuthException", "code": 4}
}
APP_USAGE_HEADERS = {"X-App-Usage": json.dumps({"call_count": 100, "total_time": 25, "total_cputime": 25})}

# Same page: code 506 "Duplicate Post".
DUPLICATE_506: dict[str, Any] = {
    "error": {"message": "Duplicate status message", "type": "OAuthException", "code": 506, "error_subcode": 1455006}
}

# graph-api/reference/post (edges reactions and comments with `summary(total_count)`, field `shares`).
COUNTERS_200: dict[str, Any] = {
    "id": POST_ID,
    "reactions": {"data": [], "summary": {"total_count": 12}},
    "comments": {"data": [], "summary": {"total_count": 3, "order": "chronological", "can_comment": True}},
    "shares": {"count": 4},
}

# graph-api/reference/insights (metric post_impressions, period lifetime).
INSIGHTS_200: dict[str, Any] = {
    "data": [
        {
            "name": "post_impressions",
            "period": "lifetime",
            "values": [{"value": 1520}],
            "title": "Lifetime Post Total Impressions",
            "id": f"{POST_ID}/insights/post_impressions/lifetime",
        }
    ],
    "paging": {},
}
# Same page: without read_insights, error 10 (permission).
NO_INSIGHTS_10: dict[str, Any] = {
    "error": {
        "message": "(#10) Application does not have permission for this action",
        "type": "OAuthException",
        "code": 10,
    }
}

# graph-api/reference/object/comments (filter=stream: every comment, replies with `parent`).
COMMENT_1 = f"{POST_ID.split('_')[1]}_1001"
COMMENT_2 = f"{POST_ID.split('_')[1]}_1002"
COMMENT_OWN = f"{POST_ID.split('_')[1]}_1003"
COMMENTS_200: dict[str, Any] = {
    "data": [
        {
            "id": COMMENT_1,
            "message": "Love this roast!",
            "from": {"id": "10158", "name": "Grace Hopper"},
            "created_time": "2026-03-01T09:10:00+0000",
        },
        {
            "id": COMMENT_2,
            "message": "Same here",
            "from": {"id": "10159", "name": "Alan Turing"},
            "created_time": "2026-03-01T09:12:00+0000",
            "parent": {"id": COMMENT_1},
        },
        {
            "id": COMMENT_OWN,
            "message": "Thank you both",
            "from": {"id": PAGE_ID, "name": "Acme Coffee"},
            "created_time": "2026-03-01T09:15:00+0000",
            "parent": {"id": COMMENT_1},
        },
    ],
    "paging": {"cursors": {"before": "MQZDZD", "after": "MwZDZD"}},
}

# Same page ("Publishing"): a new comment's id.
ANSWER_ID = f"{POST_ID.split('_')[1]}_1010"
COMMENT_CREATED_200: dict[str, Any] = {"id": ANSWER_ID}

# graph-api/guides/error-handling: code 100, subcode 33, an object that does not exist (e.g. deleted).
GONE_100: dict[str, Any] = {
    "error": {
        "message": "Unsupported get request. Object with ID '1353269864728879_2110919585781402' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation.",
        "type": "GraphMethodException",
        "code": 100,
        "error_subcode": 33,
        "fbtrace_id": "Aq1",
    }
}
