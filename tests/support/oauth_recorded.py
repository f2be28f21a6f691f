"""Answers of LinkedIn's and Meta's OAuth endpoints (Facebook, Instagram, Threads), shaped after each
network's own documentation: no local server or published spec exists for them, so the connect flow and the
token upkeep are tested on these (served by `responses`). Each names the page it was shaped from; ids and
tokens are the pages' own examples where they had one, placeholders otherwise.
"""

from __future__ import annotations

from typing import Any

# -- LinkedIn -------------------------------------------------------------------------------------------------

# https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow (step 3, "Exchange
# Authorization Code for an Access Token"): a 60-day access token (expires_in 5184000 s); refresh_token and
# refresh_token_expires_in only for apps approved for programmatic refresh tokens.
LINKEDIN_TOKEN_200: dict[str, Any] = {
    "access_token": "AQUvlL_DYEzvT2wz1QJiEPeLioeA",
    "expires_in": 5184000,
    "scope": "openid,profile,w_member_social",
}
# https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens: with a
# refresh token valid for a year (31536000 s); refreshing gives a new 60-day access token.
LINKEDIN_TOKEN_WITH_REFRESH_200: dict[str, Any] = {
    "access_token": "AQUvlL_DYEzvT2wz1QJiEPeLioeA",
    "expires_in": 5184000,
    "refresh_token": "AQWAft_WjYZKwuWXLC5hQlghgTam",
    "refresh_token_expires_in": 31536000,
    "scope": "openid,profile,w_member_social,w_organization_social,r_organization_social,rw_organization_admin",
}
LINKEDIN_REFRESHED_200: dict[str, Any] = {
    "access_token": "BQVvlL_renewed",
    "expires_in": 5184000,
    "refresh_token": "AQWAft_WjYZKwuWXLC5hQlghgTam",
    "refresh_token_expires_in": 26000000,
}
# Same page ("Refresh tokens ... LinkedIn reserves the right to revoke"): a revoked or expired refresh token
# is refused with OAuth's invalid_request/invalid_grant.
LINKEDIN_REFRESH_REVOKED_400: dict[str, Any] = {
    "error": "invalid_request",
    "error_description": "The provided authorization grant or refresh token is invalid, expired or revoked",
}
# https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
# ("API Request to Retrieve Member Details"): GET /v2/userinfo.
LINKEDIN_USERINFO_200: dict[str, Any] = {
    "sub": "782bbtaQ",
    "name": "John Doe",
    "given_name": "John",
    "family_name": "Doe",
    "picture": "https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/",
    "locale": "en-US",
    "email": "doe@email.com",
    "email_verified": True,
}
# https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role
# ("Find a Member's Organization Access Control Information"): GET /rest/organizationAcls?q=roleAssignee.
LINKEDIN_ACLS_200: dict[str, Any] = {
    "paging": {"count": 10, "start": 0, "links": []},
    "elements": [
        {
            "role": "ADMINISTRATOR",
            "organization": "urn:li:organization:2414183",
            "roleAssignee": "urn:li:person:782bbtaQ",
            "state": "APPROVED",
        }
    ],
}
LINKEDIN_ACLS_TWO_200: dict[str, Any] = {
    "paging": {"count": 10, "start": 0, "links": []},
    "elements": [
        LINKEDIN_ACLS_200["elements"][0],
        {
            "role": "ADMINISTRATOR",
            "organization": "urn:li:organization:5515715",
            "roleAssignee": "urn:li:person:782bbtaQ",
            "state": "APPROVED",
        },
    ],
}
# https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-lookup-api
# ("Retrieve an Administered Organization"): GET /rest/organizations/{id}.
LINKEDIN_ORGANIZATION_200: dict[str, Any] = {
    "vanityName": "linkedin",
    "localizedName": "LinkedIn",
    "id": 2414183,
}

# -- Facebook -------------------------------------------------------------------------------------------------

# https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow ("Exchanging Code for an
# Access Token"): a short-lived user token.
FACEBOOK_CODE_TOKEN_200: dict[str, Any] = {
    "access_token": "EAAJ-short-lived-user-token",
    "token_type": "bearer",
    "expires_in": 5183944,
}
# https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived ("Get a Long-Lived
# User Access Token"): grant_type=fb_exchange_token gives a 60-day user token.
FACEBOOK_LONG_LIVED_200: dict[str, Any] = {
    "access_token": "EAAJ-long-lived-user-token",
    "token_type": "bearer",
    "expires_in": 5183944,
}
# https://developers.facebook.com/docs/pages-api/getting-started ("Get Your Page Access Token"): GET
# /me/accounts, a Page token per Page (it does not expire when the user token is long-lived, same page as above).
FACEBOOK_ACCOUNTS_200: dict[str, Any] = {
    "data": [
        {
            "access_token": "EAAJ-page-token-1",
            "category": "Brand",
            "name": "Cafe Acme",
            "id": "1234567890",
            "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
        }
    ],
    "paging": {"cursors": {"before": "MTIz", "after": "NDU2"}},
}
FACEBOOK_ACCOUNTS_TWO_200: dict[str, Any] = {
    "data": [
        FACEBOOK_ACCOUNTS_200["data"][0],
        {
            "access_token": "EAAJ-page-token-2",
            "category": "Bakery",
            "name": "Bakery Acme",
            "id": "9876543210",
            "tasks": ["CREATE_CONTENT", "MODERATE"],
        },
    ],
}
# https://developers.facebook.com/docs/graph-api/guides/error-handling: code 190, an invalid token.
GRAPH_TOKEN_INVALID_400: dict[str, Any] = {
    "error": {
        "message": "Error validating access token: The session has been invalidated because the user changed their "
        "password or Facebook has changed the session for security reasons.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 460,
        "fbtrace_id": "A1b2C3d4",
    }
}
# Same page: code 4, the app's rate limit.
GRAPH_RATE_LIMITED_400: dict[str, Any] = {
    "error": {"message": "(#4) Application request limit reached", "type": "OAuthException", "code": 4}
}

# -- Instagram (Instagram API with Instagram Login) ------------------------------------------------------------

# https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/business-login
# (step 2, "Exchange the code for a token"): a short-lived token in `data`, with the user id and permissions.
INSTAGRAM_CODE_TOKEN_200: dict[str, Any] = {
    "data": [
        {
            "access_token": "IGQWRPa-short-lived",
            "user_id": "17841405793187218",
            "permissions": "instagram_business_basic,instagram_business_content_publish",
        }
    ]
}
# https://developers.facebook.com/documentation/instagram-platform/reference/access_token: ig_exchange_token.
INSTAGRAM_LONG_LIVED_200: dict[str, Any] = {
    "access_token": "IGQWRPa-long-lived",
    "token_type": "bearer",
    "expires_in": 5183944,
}
# https://developers.facebook.com/documentation/instagram-platform/reference/refresh_access_token.
INSTAGRAM_REFRESHED_200: dict[str, Any] = {
    "access_token": "IGQWRPa-refreshed",
    "token_type": "bearer",
    "expires_in": 5183944,
}
# https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/get-started
# ("Get the app user's Instagram professional account"): GET /me?fields=user_id,username.
INSTAGRAM_ME_200: dict[str, Any] = {
    "user_id": "17841405793187218",
    "username": "cafe.acme",
    "account_type": "BUSINESS",
    "id": "7034584239909291",
}

# -- Threads --------------------------------------------------------------------------------------------------

# https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions ("Step 2: Exchange
# the Code for a Token"): a short-lived (one hour) token and the user id.
THREADS_CODE_TOKEN_200: dict[str, Any] = {"access_token": "THQVJ-short-lived", "user_id": "1008598087"}
# https://developers.facebook.com/docs/threads/get-started/long-lived-tokens: th_exchange_token, 60 days.
THREADS_LONG_LIVED_200: dict[str, Any] = {
    "access_token": "THQVJ-long-lived",
    "token_type": "bearer",
    "expires_in": 5183944,
}
# Same page: th_refresh_token, 60 days from the refresh.
THREADS_REFRESHED_200: dict[str, Any] = {
    "access_token": "THQVJ-refreshed",
    "token_type": "bearer",
    "expires_in": 5183944,
}
# https://developers.facebook.com/docs/threads/threads-profiles: GET /me?fields=id,username.
THREADS_ME_200: dict[str, Any] = {"id": "1008598087", "username": "cafe.acme"}
