"""Threads: the Threads API's own authorization window, a long-lived (60-day) token refreshed before it ends.

Shaped from Meta's docs:
- the code and the short-lived token: https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions
- long-lived tokens (`th_exchange_token`) and their refresh (`th_refresh_token`, at least 24 hours old, not
  expired, valid 60 days from the refresh): https://developers.facebook.com/docs/threads/get-started/long-lived-tokens
- the account: https://developers.facebook.com/docs/threads/threads-profiles
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

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

AUTHORIZE_URL = "https://threads.net/oauth/authorize"
API_BASE = "https://graph.threads.net"
SCOPES = (
    "threads_basic",
    "threads_content_publish",
    "threads_read_replies",
    "threads_manage_replies",
    "threads_manage_insights",
    "threads_manage_mentions",  # mentions come back to the inbox
    "threads_keyword_search",  # listeners
)


def scopes(options: Options) -> tuple[str, ...]:
    return SCOPES


def exchange(app: OAuthApp, code: str, redirect_uri: str, verifier: str) -> Tokens:
    api = app.url("api", API_BASE).rstrip("/")
    now = clock.now()
    form = code_form(app, code, redirect_uri)
    short = connect_call(PROVIDER, "the authorization code", "POST", f"{api}/oauth/access_token", data=form).body
    if not isinstance(short.get("access_token"), str):
        raise ConnectFailed(424, "code", f"Threads answered without an access token; {PROVIDER.start_again}")
    long = long_lived_token(PROVIDER, api, "th_exchange_token", app.client_secret, short["access_token"])
    return Tokens(
        long["access_token"], expires_at=expiry(now, long.get("expires_in")), user_id=str(short.get("user_id") or "")
    )


def read_account(app: OAuthApp, tokens: Tokens, options: Options) -> Connected:
    api = app.url("api", API_BASE).rstrip("/")
    query = {"fields": "id,username", "access_token": tokens.access_token}
    me = connect_call(PROVIDER, "reading the account", "GET", f"{api}/v1.0/me", params=query).body
    if not me.get("id"):
        raise ConnectFailed(424, "code", f"Threads did not say who the account is; {PROVIDER.start_again}")
    user_id = str(me["id"])
    return Connected(str(me.get("username") or user_id), user_id, Credential(user_id, tokens.access_token, api), tokens)


def renew(app: OAuthApp, session: Mapping[str, str], now: datetime) -> Tokens:
    return refresh_long_lived_token(PROVIDER, app.url("api", API_BASE).rstrip("/"), "th_refresh_token", session, now)


PROVIDER = Provider(
    network="threads",
    title="Threads",
    docs="https://developers.facebook.com/docs/threads/get-started/get-access-tokens-and-permissions",
    authorize_url=AUTHORIZE_URL,
    scopes=scopes,
    exchange=exchange,
    read_account=read_account,
    renewal=Renewal.REFRESH_ACCESS_TOKEN,
    renew=renew,
    scope_separator=",",
)
