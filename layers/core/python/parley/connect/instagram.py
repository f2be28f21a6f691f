"""Instagram: a professional (business or creator) account through the Instagram API with Instagram Login.

Why this one and not Facebook Login for Business: it needs no Facebook Page linked to the account, the person
signs in with Instagram itself, and it is the path Meta documents for publishing, comments and insights;
its long-lived token (60 days) renews itself with `ig_refresh_token`. The adapters call graph.instagram.com.

Shaped from Meta's docs:
- the flow: https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/business-login
- the long-lived exchange: https://developers.facebook.com/documentation/instagram-platform/reference/access_token
- the refresh: https://developers.facebook.com/documentation/instagram-platform/reference/refresh_access_token
- the account: https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/get-started
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from parley.connect.apps import OAuthApp
from parley.connect.base import (
    Connected,
    ConnectFailed,
    Options,
    Provider,
    Renewal,
    Tokens,
    code_form,
    connect_call,
    expiry,
    long_lived_token,
    refresh_long_lived_token,
)
from parley.networks.base import Credential
from parley.shared import clock

AUTHORIZE_URL = "https://www.instagram.com/oauth/authorize"
TOKEN_URL = "https://api.instagram.com/oauth/access_token"
API_BASE = "https://graph.instagram.com"
SCOPES = (
    "instagram_business_basic",
    "instagram_business_content_publish",
    "instagram_business_manage_comments",
    "instagram_business_manage_insights",
)


def scopes(options: Options) -> tuple[str, ...]:
    return SCOPES


def exchange(app: OAuthApp, code: str, redirect_uri: str, verifier: str) -> Tokens:
    now = clock.now()
    form = code_form(app, code, redirect_uri)
    body: Mapping[str, Any] = connect_call(
        PROVIDER, "the authorization code", "POST", app.url("token", TOKEN_URL), data=form
    ).body
    if isinstance(body.get("data"), list) and body["data"] and isinstance(body["data"][0], dict):
        body = body["data"][0]  # the documented answer wraps it in `data`; older answers were flat
    short = body.get("access_token")
    if not isinstance(short, str):
        raise ConnectFailed(424, "code", f"Instagram answered without an access token; {PROVIDER.start_again}")
    api = app.url("api", API_BASE).rstrip("/")
    long = long_lived_token(PROVIDER, api, "ig_exchange_token", app.client_secret, short)
    permissions = body.get("permissions")
    scope = ",".join(permissions) if isinstance(permissions, list) else str(permissions or "")
    return Tokens(
        long["access_token"],
        expires_at=expiry(now, long.get("expires_in")),
        scope=scope,
        user_id=str(body.get("user_id") or ""),
    )


def read_account(app: OAuthApp, tokens: Tokens, options: Options) -> Connected:
    api = app.url("api", API_BASE).rstrip("/")
    query = {"fields": "user_id,username,account_type", "access_token": tokens.access_token}
    me = connect_call(PROVIDER, "reading the account", "GET", f"{api}/me", params=query).body
    user_id = str(me.get("user_id") or me.get("id") or "")
    if not user_id:
        raise ConnectFailed(424, "code", f"Instagram did not say who the account is; {PROVIDER.start_again}")
    return Connected(str(me.get("username") or user_id), user_id, Credential(user_id, tokens.access_token, api), tokens)


def renew(app: OAuthApp, session: Mapping[str, str], now: datetime) -> Tokens:
    return refresh_long_lived_token(PROVIDER, app.url("api", API_BASE).rstrip("/"), "ig_refresh_token", session, now)


PROVIDER = Provider(
    network="instagram",
    title="Instagram",
    docs="https://developers.facebook.com/docs/instagram-platform/instagram-api-with-instagram-login/business-login",
    authorize_url=AUTHORIZE_URL,
    scopes=scopes,
    exchange=exchange,
    read_account=read_account,
    renewal=Renewal.REFRESH_ACCESS_TOKEN,
    renew=renew,
    scope_separator=",",
)
