"""Facebook Pages through Facebook Login (the manual flow), for a Page the person manages.

code -> short-lived user token -> long-lived user token (`fb_exchange_token`) -> `GET /me/accounts`, whose
Page tokens do not expire when read with a long-lived user token (nothing to renew; a revoked app or a lost
Page role shows up as a refused token, and the channel moves to needs_reauth).

Shaped from Meta's docs:
- the flow: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
- long-lived tokens and Page tokens: https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
- the Pages a person manages: https://developers.facebook.com/docs/pages-api/getting-started
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from parley.connect.apps import OAuthApp
from parley.connect.base import Connected, ConnectFailed, Options, Provider, Renewal, Tokens, connect_call, expiry
from parley.networks.base import Credential
from parley.networks.facebook import GRAPH_VERSION
from parley.shared import clock

AUTHORIZE_URL = f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth"
GRAPH_BASE = "https://graph.facebook.com"
SCOPES = (
    "pages_show_list",
    "pages_manage_posts",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_engagement",
)


def scopes(options: Options) -> tuple[str, ...]:
    return SCOPES


def _graph(app: OAuthApp) -> str:
    return f"{app.url('api', GRAPH_BASE).rstrip('/')}/{GRAPH_VERSION}"


def exchange(app: OAuthApp, code: str, redirect_uri: str, verifier: str) -> Tokens:
    """The code for a short-lived user token, then that for a long-lived one (the Page tokens read with it
    do not expire)."""
    now = clock.now()
    token_url = f"{_graph(app)}/oauth/access_token"
    short = connect_call(
        PROVIDER,
        "the authorization code",
        "GET",
        token_url,
        params={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "redirect_uri": redirect_uri,
            "code": code,
        },
    ).body
    short_token = _token(short)
    long = connect_call(
        PROVIDER,
        "the long-lived token exchange",
        "GET",
        token_url,
        params={
            "grant_type": "fb_exchange_token",
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "fb_exchange_token": short_token,
        },
    ).body
    return Tokens(_token(long), expires_at=expiry(now, long.get("expires_in")))


def _token(body: Mapping[str, Any]) -> str:
    token = body.get("access_token")
    if not isinstance(token, str) or not token:
        raise ConnectFailed(424, "code", f"Facebook answered without an access token; {PROVIDER.start_again}")
    return token


def read_account(app: OAuthApp, tokens: Tokens, options: Options) -> Connected:
    answer = connect_call(
        PROVIDER,
        "listing the person's Pages",
        "GET",
        f"{_graph(app)}/me/accounts",
        params={"fields": "id,name,access_token,tasks", "access_token": tokens.access_token},
    ).body
    pages = [p for p in answer.get("data", []) if isinstance(p, dict) and p.get("id") and p.get("access_token")]
    page = choose(pages, options.get("page") or "")
    page_tokens = Tokens(str(page["access_token"]), scope=tokens.scope)  # no expiry (see the module's docs)
    credential = Credential(str(page["id"]), page_tokens.access_token, app.url("api", GRAPH_BASE).rstrip("/"))
    return Connected(str(page.get("name") or page["id"]), str(page["id"]), credential, page_tokens)


def choose(pages: list[dict[str, Any]], wanted: str) -> dict[str, Any]:
    listing = ", ".join(f"{p['id']} ({p.get('name', '')})" for p in pages)
    if not pages:
        reason = "the person manages no Facebook Page, or granted parley none (pages_show_list)"
        raise ConnectFailed(422, "page", reason)
    if wanted:
        for page in pages:
            if str(page["id"]) == wanted:
                return page
        raise ConnectFailed(422, "page", f"{wanted!r} is not a Page the person granted: {listing}")
    if len(pages) > 1:
        reason = f"the person manages several Pages: {listing}; start again with GET /channels/facebook/connect?page=ID"
        raise ConnectFailed(409, "page", reason)
    return pages[0]


PROVIDER = Provider(
    network="facebook",
    title="Facebook",
    docs="https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow",
    authorize_url=AUTHORIZE_URL,
    scopes=scopes,
    exchange=exchange,
    read_account=read_account,
    renewal=Renewal.NEVER_EXPIRES,
    scope_separator=",",
    options=("page",),
)
