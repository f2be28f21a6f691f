"""Answers of X's API v2, shaped after X's own documentation (each names the page it was shaped from).

Prism (tests/support/peers.py) proves that parley's requests match X's OpenAPI description, but it keeps
no state and answers with placeholders; the adapter's behaviour (ids, errors, rate-limit headers, token
renewal) is tested on these instead. Ids and texts are X's own examples where the page had one.
"""

from __future__ import annotations

from typing import Any

# https://docs.x.com/x-api/posts/create-or-edit-post : 201 with the new post's id and text.
CREATED_ID = "1346889436626259968"
CREATE_POST_201: dict[str, Any] = {
    "data": {
        "id": CREATED_ID,
        "text": "Learn how to use the user Tweet timeline and user mention timeline endpoints in the X API v2 "
        "to explore Tweet\u2026 https://t.co/56a0vZUx7i",
    }
}

# https://docs.x.com/fundamentals/rate-limits : every answer carries x-rate-limit-{limit,remaining,reset}
# (reset: Unix time of the window's end); over the limit, 429 with this body.
RATE_LIMIT_RESET = 1705420800
RATE_LIMIT_HEADERS = {
    "x-rate-limit-limit": "900",
    "x-rate-limit-remaining": "0",
    "x-rate-limit-reset": str(RATE_LIMIT_RESET),
}
TOO_MANY_REQUESTS_429: dict[str, Any] = {"errors": [{"code": 88, "message": "Rate limit exceeded"}]}

# https://developer.x.com/en/support/x-api/error-troubleshooting : 401 "There was a problem authenticating
# your request" (missing, wrong, expired or revoked credentials); v2 answers with a problem object.
UNAUTHORIZED_401: dict[str, Any] = {
    "title": "Unauthorized",
    "type": "about:blank",
    "status": 401,
    "detail": "Unauthorized",
}

# Same page: 403 "The request is understood, but it has been refused", with a message saying why; X
# refuses a post whose text repeats a recent one of the same account.
DUPLICATE_403: dict[str, Any] = {
    "detail": "You are not allowed to create a Tweet with duplicate content.",
    "type": "about:blank",
    "title": "Forbidden",
    "status": 403,
}

# https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id : the user's posts, newest first; links in
# the text come back shortened to t.co.
USER_ID = "2244994945"
USER_POSTS_200: dict[str, Any] = {
    "data": [
        {"id": "1346889436626259968", "text": "Launch day \U0001f680 details: https://t.co/56a0vZUx7i"},
        {"id": "1346889436626259000", "text": "An older post &amp; nothing else"},
    ],
    "meta": {"result_count": 2, "newest_id": "1346889436626259968", "oldest_id": "1346889436626259000"},
}

# GET /2/users/me, shaped from X's OpenAPI description (../shared/peers/x-openapi.json): the token's own user.
USERS_ME_200: dict[str, Any] = {"data": {"id": USER_ID, "name": "X Dev", "username": "XDevelopers"}}

# https://docs.x.com/es/fundamentals/authentication/oauth-2-0/authorization-code : POST /2/oauth2/token with
# grant_type=refresh_token gives a new access token (two hours) and a new refresh token.
TOKEN_200: dict[str, Any] = {
    "token_type": "bearer",
    "expires_in": 7200,
    "access_token": "new-access-token",
    "scope": "tweet.read users.read tweet.write offline.access",
    "refresh_token": "new-refresh-token",
}
# A refresh token that was revoked or already used: the page above shows only the request, so this answer
# follows the OAuth 2.0 error response (RFC 6749, section 5.2: 400 with `error`).
TOKEN_REFUSED_400: dict[str, Any] = {"error": "invalid_request", "error_description": "The token is not valid."}

# -- listening (parley.listening.x) --------------------------------------------------------------------------
# Field names as X's OpenAPI description has them (`referenced_posts`, `repost_count`); the documentation pages
# below show the older `referenced_tweets` / `retweet_count`, which parley reads too (the mentions page uses them).
LISTEN_POST_ID = "1460323737035677698"  # our post (the conversation's root)
REPLY_ID = "1460323742144045059"
OUR_ANSWER_ID = "1460323742144045060"
FAN_ID = "1176198498214371328"

# https://docs.x.com/x-api/posts/post-lookup-by-post-id : one post, with `public_metrics` when asked for.
POST_LOOKUP_200: dict[str, Any] = {
    "data": {
        "id": LISTEN_POST_ID,
        "text": "Introducing a new era for the Twitter Developer Platform!",
        "public_metrics": {
            "repost_count": 7,
            "reply_count": 2,
            "like_count": 31,
            "quote_count": 1,
            "bookmark_count": 3,
            "impression_count": 1200,
        },
    }
}
# Same page: a post that is gone answers 200 with `errors` and no `data`.
POST_GONE_200: dict[str, Any] = {
    "errors": [
        {
            "value": LISTEN_POST_ID,
            "detail": f"Could not find tweet with id: [{LISTEN_POST_ID}].",
            "title": "Not Found Error",
            "resource_type": "tweet",
            "type": "https://api.twitter.com/2/problems/resource-not-found",
        }
    ]
}

# https://docs.x.com/x-api/posts/search-recent-posts : `query=conversation_id:<id>` gives the replies in
# the conversation, newest first, with the authors under `includes.users` (expansions=author_id).
CONVERSATION_200: dict[str, Any] = {
    "data": [
        {
            "id": OUR_ANSWER_ID,
            "text": "@TwitterDev thank you!",
            "author_id": USER_ID,
            "conversation_id": LISTEN_POST_ID,
            "created_at": "2021-11-15T20:10:02.000Z",
            "referenced_posts": [{"type": "replied_to", "id": REPLY_ID}],
        },
        {
            "id": REPLY_ID,
            "text": "@XDevelopers This is great news, love it!",
            "author_id": FAN_ID,
            "conversation_id": LISTEN_POST_ID,
            "created_at": "2021-11-15T20:09:59.000Z",
            "in_reply_to_user_id": USER_ID,
            "referenced_posts": [{"type": "replied_to", "id": LISTEN_POST_ID}],
        },
    ],
    "includes": {
        "users": [
            {"id": USER_ID, "name": "X Dev", "username": "XDevelopers"},
            {"id": FAN_ID, "name": "A fan", "username": "afan"},
        ]
    },
    "meta": {"newest_id": OUR_ANSWER_ID, "oldest_id": REPLY_ID, "result_count": 2},
}

# https://docs.x.com/x-api/posts/user-mention-timeline-by-user-id : posts mentioning the user, newest first;
# `meta.next_token` when there is another page (the next request passes it as `pagination_token`).
MENTION_NEW_ID = "1375152598945312768"
MENTION_OLD_ID = "1375152449594523649"
MENTIONS_PAGE_1_200: dict[str, Any] = {
    "data": [
        {
            "id": MENTION_NEW_ID,
            "text": "@XDevelopers is the new API out yet?",
            "author_id": FAN_ID,
            "conversation_id": MENTION_NEW_ID,
            "created_at": "2021-03-25T18:31:18.000Z",
        }
    ],
    "includes": {"users": [{"id": FAN_ID, "name": "A fan", "username": "afan"}]},
    "meta": {
        "newest_id": MENTION_NEW_ID,
        "oldest_id": MENTION_NEW_ID,
        "result_count": 1,
        "next_token": "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i",
    },
}
MENTIONS_PAGE_2_200: dict[str, Any] = {
    "data": [
        {
            "id": MENTION_OLD_ID,
            "text": "Terrible outage today @XDevelopers, awful.",
            "author_id": FAN_ID,
            "conversation_id": MENTION_OLD_ID,
            "created_at": "2021-03-25T18:30:42.000Z",
            "referenced_tweets": [{"type": "quoted", "id": "1375152449594523000"}],
        }
    ],
    "includes": {"users": [{"id": FAN_ID, "name": "A fan", "username": "afan"}]},
    "meta": {"newest_id": MENTION_OLD_ID, "oldest_id": MENTION_OLD_ID, "result_count": 1},
}
# Same page: nothing newer than `since_id` is `meta.result_count` 0 and no `data`.
NOTHING_NEW_200: dict[str, Any] = {"meta": {"result_count": 0}}

# https://docs.x.com/x-api/posts/create-or-edit-post : a reply is `reply.in_reply_to_tweet_id`; 201 as above.
ANSWER_ID = "1445880548472328192"
CREATE_ANSWER_201: dict[str, Any] = {"data": {"id": ANSWER_ID, "text": "@afan Today!"}}
# https://docs.x.com/x-api/posts/user-posts-timeline-by-user-id : the account's posts, our answer among them.
USER_POSTS_WITH_ANSWER_200: dict[str, Any] = {
    "data": [
        {
            "id": ANSWER_ID,
            "text": "@afan Today!",
            "author_id": USER_ID,
            "conversation_id": LISTEN_POST_ID,
            "referenced_posts": [{"type": "replied_to", "id": REPLY_ID}],
        }
    ],
    "meta": {"result_count": 1, "newest_id": ANSWER_ID, "oldest_id": ANSWER_ID},
}
# https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token ("Step 3: Confirm the
# authorization code", then the token answer): POST /2/oauth2/token with grant_type=authorization_code,
# the code, redirect_uri and code_verifier gives a bearer token for two hours and, with offline.access, a
# refresh token.
AUTHORIZATION_CODE_TOKEN_200: dict[str, Any] = {
    "token_type": "bearer",
    "expires_in": 7200,
    "access_token": "first-access-token",
    "scope": "tweet.read tweet.write users.read offline.access",
    "refresh_token": "first-refresh-token",
}
# Same page: a person who clicks "Cancel" on X's consent page is sent back to the callback with
# `error=access_denied` and the state, and no code.
ACCESS_DENIED_QUERY = {"error": "access_denied"}
# The refresh token grant refused because the token was revoked or already used (rotated): RFC 6749
# section 5.2's `invalid_grant`, the answer X's OAuth 2.0 token endpoint gives for it.
REFRESH_REFUSED_400: dict[str, Any] = {
    "error": "invalid_grant",
    "error_description": "Value passed for the token was invalid.",
}
