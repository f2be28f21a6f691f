"""Answers of LinkedIn's versioned REST API, shaped after LinkedIn's own documentation (each names the page
it was shaped from, under https://learn.microsoft.com/en-us/linkedin/). No local server or published spec
exists for LinkedIn: the adapter's behaviour is tested on these. URNs and texts follow the pages' examples.
"""

from __future__ import annotations

from typing import Any

ORG = "urn:li:organization:5515715"
PERSON = "urn:li:person:8675309"
MEMBER_ID = "8675309"

# marketing/community-management/shares/posts-api ("Create a Post"): 201 Created, empty body, the new
# post's URN in the `x-restli-id` header.
CREATED_URN = "urn:li:share:6844785523593134080"
CREATE_POST_HEADERS = {"x-restli-id": CREATED_URN}


# Same page ("Find Posts by Authors"): `GET /rest/posts?q=author&author=...`, newest first; commentary as
# stored (little text: reserved characters escaped), times in epoch milliseconds.
def posts_by_author(commentary: str, created_ms: int, urn: str = CREATED_URN) -> dict[str, Any]:
    return {
        "paging": {"start": 0, "count": 10, "links": [], "total": 2},
        "elements": [
            {
                "id": urn,
                "author": ORG,
                "commentary": commentary,
                "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED",
                "createdAt": created_ms,
                "publishedAt": created_ms,
                "lastModifiedAt": created_ms,
                "distribution": {
                    "feedDistribution": "MAIN_FEED",
                    "targetEntities": [],
                    "thirdPartyDistributionChannels": [],
                },
            },
            {
                "id": "urn:li:share:6844785523593134000",
                "author": ORG,
                "commentary": "An older post",
                "visibility": "PUBLIC",
                "lifecycleState": "PUBLISHED",
                "createdAt": created_ms - 86_400_000,
                "publishedAt": created_ms - 86_400_000,
            },
        ],
    }


# marketing/community-management/shares/images-api ("Initialize Image Upload"): the upload URL and the
# image's URN.
IMAGE_URN = "urn:li:image:C4E10AQFoyyAjHPMQuQ"
UPLOAD_PATH = "/dms-uploads/C4E10AQFoyyAjHPMQuQ/uploaded-image/0"


def initialize_upload(base: str, n: int = 0) -> dict[str, Any]:
    return {
        "value": {
            "uploadUrlExpiresAt": 1650567510704,
            "uploadUrl": f"{base}{UPLOAD_PATH}{n}",
            "image": f"{IMAGE_URN}{n}",
        }
    }


# shared/api-guide/concepts/error-handling: 401 for a revoked or expired token, with `serviceErrorCode`
# and `code`.
REVOKED_401: dict[str, Any] = {
    "status": 401,
    "serviceErrorCode": 65601,
    "code": "REVOKED_ACCESS_TOKEN",
    "message": "The token used in the request has been revoked by the user",
}
EXPIRED_401: dict[str, Any] = {
    "status": 401,
    "serviceErrorCode": 65600,
    "code": "EXPIRED_ACCESS_TOKEN",
    "message": "The token used in the request has expired",
}

# shared/api-guide/concepts/rate-limits: over a daily limit, 429 (limits reset at midnight UTC).
TOO_MANY_429: dict[str, Any] = {
    "status": 429,
    "serviceErrorCode": 101,
    "code": "TOO_MANY_REQUESTS",
    "message": "Resource level throttle APPLICATION DAY limit for calls to this resource is reached.",
}

# marketing/community-management/shares/posts-api: a post whose content repeats a recent one is refused
# with 422, naming the existing post.
DUPLICATE_422: dict[str, Any] = {
    "status": 422,
    "message": f"ERROR :: /commentary :: Content is a duplicate of {CREATED_URN}",
}

# marketing/community-management/shares/social-metadata-api: reactions by type and the comment summary.
SOCIAL_METADATA_200: dict[str, Any] = {
    "reactionSummaries": {
        "LIKE": {"reactionType": "LIKE", "count": 7},
        "PRAISE": {"reactionType": "PRAISE", "count": 2},
    },
    "commentsState": "OPEN",
    "commentSummary": {"count": 3, "topLevelCount": 2},
    "entity": CREATED_URN,
}

# marketing/community-management/shares/comments-api ("Retrieve Comments on Shares"): comments with their
# actor, message and creation time; a reply carries `parentComment`.
COMMENT_1 = f"urn:li:comment:({CREATED_URN},6636062862760562688)"
COMMENT_2 = f"urn:li:comment:({CREATED_URN},6636062862760562689)"
COMMENT_OWN = f"urn:li:comment:({CREATED_URN},6636062862760562690)"
COMMENTS_200: dict[str, Any] = {
    "paging": {"start": 0, "count": 10, "links": [], "total": 3},
    "elements": [
        {
            "actor": "urn:li:person:A1b2C3",
            "commentUrn": COMMENT_1,
            "id": "6636062862760562688",
            "object": CREATED_URN,
            "message": {"text": "Congrats on the launch!"},
            "created": {"actor": "urn:li:person:A1b2C3", "time": 1571335086000},
            "lastModified": {"actor": "urn:li:person:A1b2C3", "time": 1571335086000},
        },
        {
            "actor": "urn:li:person:D4e5F6",
            "commentUrn": COMMENT_2,
            "id": "6636062862760562689",
            "object": CREATED_URN,
            "parentComment": COMMENT_1,
            "message": {"text": "Agreed, looks great"},
            "created": {"actor": "urn:li:person:D4e5F6", "time": 1571335186000},
        },
        {
            "actor": ORG,
            "commentUrn": COMMENT_OWN,
            "id": "6636062862760562690",
            "object": CREATED_URN,
            "message": {"text": "Thanks all"},
            "created": {"actor": ORG, "time": 1571335286000},
        },
    ],
}

# Same page ("Create a Nested Comment"): 201 with the comment; its id also in `x-restli-id`.
ANSWER_URN = f"urn:li:comment:({CREATED_URN},6636062862760562700)"
CREATED_COMMENT_201: dict[str, Any] = {
    "actor": ORG,
    "commentUrn": ANSWER_URN,
    "id": "6636062862760562700",
    "object": CREATED_URN,
    "parentComment": COMMENT_1,
    "message": {"text": "Thank you!"},
    "created": {"actor": ORG, "time": 1571335386000},
}

# marketing/community-management/organizations/organization-lookup-api: an organization by id.
ORGANIZATION_200: dict[str, Any] = {"id": 5515715, "localizedName": "Devtestco", "vanityName": "devtestco"}

# shared/authentication (Sign In with LinkedIn using OpenID Connect): `GET /v2/userinfo`.
USERINFO_200: dict[str, Any] = {"sub": MEMBER_ID, "name": "Ada Lovelace", "email_verified": True, "locale": "en-US"}

# shared/api-guide/concepts/error-handling: 404 for an entity that does not exist (a deleted post).
NOT_FOUND_404: dict[str, Any] = {"status": 404, "code": "NOT_FOUND", "message": "Not Found"}

# shared/authentication (Sign In with LinkedIn using OpenID Connect): `GET /v2/userinfo` of another member.
OTHER_USERINFO_200: dict[str, Any] = {"sub": "someone-else", "name": "Someone Else"}
