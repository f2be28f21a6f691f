"""LinkedIn: OAuth 2.0 three-legged authorization code flow, a member profile or an organization page.

Shaped from LinkedIn's docs:
- the flow: https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow
- refresh tokens (only for apps LinkedIn approved for them; 60-day access tokens, 365-day refresh tokens):
  https://learn.microsoft.com/en-us/linkedin/shared/authentication/programmatic-refresh-tokens
- the member (`sub` of userinfo, OpenID Connect):
  https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2
- the organizations a member administers:
  https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-access-control-by-role

`GET /channels/linkedin/connect` connects the member's profile; with `account=organization` (or an
`organization` id/URN) it asks for the organization scopes and connects the page the member administers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

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
    renew_call,
    renew_failure,
)
from parley.networks.base import Credential
from parley.networks.linkedin import LINKEDIN_VERSION, RESTLI_PROTOCOL_VERSION
from parley.shared import clock

AUTHORIZE_URL = "https://www.linkedin.com/oauth/v2/authorization"
TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken"
API_BASE = "https://api.linkedin.com"
# The Posts API's monthly version (the adapters keep theirs in one place; this one only lists organizations).
MEMBER_SCOPES = ("openid", "profile", "w_member_social")
ORGANIZATION_SCOPES = ("w_organization_social", "r_organization_social", "rw_organization_admin")
PERSON_URN = "urn:li:person:"
ORGANIZATION_URN = "urn:li:organization:"


def wants_organization(options: Options) -> bool:
    return options.get("account") == "organization" or bool(options.get("organization"))


def scopes(options: Options) -> tuple[str, ...]:
    return MEMBER_SCOPES + ORGANIZATION_SCOPES if wants_organization(options) else MEMBER_SCOPES


def exchange(app: OAuthApp, code: str, redirect_uri: str, verifier: str) -> Tokens:
    """POST accessToken with the client id and secret in the form (LinkedIn's documented style)."""
    now = clock.now()
    answer = connect_call(
        PROVIDER, "the authorization code", "POST", app.url("token", TOKEN_URL), data=code_form(app, code, redirect_uri)
    )
    return _tokens(answer.body, now)


def _tokens(body: Mapping[str, object], now: datetime) -> Tokens:
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise ConnectFailed(424, "code", f"LinkedIn answered without an access token; {PROVIDER.start_again}")
    refresh = body.get("refresh_token")
    return Tokens(
        access_token=access,
        expires_at=expiry(now, body.get("expires_in")),
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        refresh_expires_at=expiry(now, body.get("refresh_token_expires_in")),
        scope=str(body.get("scope") or ""),
    )


def read_account(app: OAuthApp, tokens: Tokens, options: Options) -> Connected:
    api = app.url("api", API_BASE).rstrip("/")
    bearer = {"Authorization": f"Bearer {tokens.access_token}"}
    member = connect_call(PROVIDER, "reading the member", "GET", f"{api}/v2/userinfo", headers=bearer).body
    sub = str(member.get("sub") or "")
    if not sub:
        raise ConnectFailed(424, "code", f"LinkedIn did not say who the member is; {PROVIDER.start_again}")
    if not wants_organization(options):
        name = str(member.get("name") or sub)
        return Connected(name, PERSON_URN + sub, Credential(PERSON_URN + sub, tokens.access_token, api), tokens)

    rest = {**bearer, "LinkedIn-Version": LINKEDIN_VERSION, "X-Restli-Protocol-Version": RESTLI_PROTOCOL_VERSION}
    query = {"q": "roleAssignee", "role": "ADMINISTRATOR", "state": "APPROVED"}
    acls = connect_call(
        PROVIDER,
        "listing the member's organizations",
        "GET",
        f"{api}/rest/organizationAcls",
        params=query,
        headers=rest,
    ).body
    urns = sorted(
        {str(e["organization"]) for e in acls.get("elements", []) if isinstance(e, dict) and e.get("organization")}
    )
    urn = choose(urns, options.get("organization") or "")
    name = _organization_name(api, rest, urn)
    return Connected(name, urn, Credential(urn, tokens.access_token, api), tokens)


def choose(urns: list[str], wanted: str) -> str:
    """The organization asked for (an id or its URN), or the only one; several and none named is a 4xx."""
    if not urns:
        reason = "the member administers no LinkedIn organization page (an approved ADMINISTRATOR role is needed)"
        raise ConnectFailed(422, "organization", reason)
    if wanted:
        urn = wanted if wanted.startswith(ORGANIZATION_URN) else ORGANIZATION_URN + wanted
        if urn not in urns:
            raise ConnectFailed(422, "organization", f"{wanted!r} is not one the member administers: {', '.join(urns)}")
        return urn
    if len(urns) > 1:
        reason = (
            f"the member administers several organizations: {', '.join(urns)}; start again with "
            "GET /channels/linkedin/connect?organization=ID naming one"
        )
        raise ConnectFailed(409, "organization", reason)
    return urns[0]


def _organization_name(api: str, headers: Mapping[str, str], urn: str) -> str:
    """The page's name for the channel's handle; its URN when LinkedIn does not say (the name is cosmetic)."""
    from parley.connect.base import Unreachable, call

    try:
        answer = call("GET", f"{api}/rest/organizations/{urn.removeprefix(ORGANIZATION_URN)}", headers=headers)
    except Unreachable:
        return urn
    name = answer.body.get("localizedName") if answer.ok else None
    return str(name) if name else urn


def renew(app: OAuthApp, session: Mapping[str, str], now: datetime) -> Tokens:
    """grant_type=refresh_token: a new 60-day access token; the refresh token keeps its own first expiry."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": session["refresh_token"],
        "client_id": app.client_id,
        "client_secret": app.client_secret,
    }
    answer = renew_call(PROVIDER, "POST", app.url("token", TOKEN_URL), data=form)
    access = answer.body.get("access_token")
    if not answer.ok or not isinstance(access, str):
        raise renew_failure(PROVIDER, answer)
    refresh = answer.body.get("refresh_token")
    return Tokens(
        access_token=access,
        expires_at=expiry(now, answer.body.get("expires_in")),
        refresh_token=refresh if isinstance(refresh, str) and refresh else session["refresh_token"],
        refresh_expires_at=expiry(now, answer.body.get("refresh_token_expires_in"))
        or Tokens.from_session(session).refresh_expires_at,
        scope=str(answer.body.get("scope") or session.get("scope", "")),
    )


PROVIDER = Provider(
    network="linkedin",
    title="LinkedIn",
    docs="https://learn.microsoft.com/en-us/linkedin/shared/authentication/authorization-code-flow",
    authorize_url=AUTHORIZE_URL,
    scopes=scopes,
    exchange=exchange,
    read_account=read_account,
    renewal=Renewal.REFRESH_TOKEN,
    renew=renew,
    options=("account", "organization"),
    refresh_margin=timedelta(days=2),
)
