"""Connecting an account on LinkedIn, Facebook, Instagram or Threads (X: parley.connect.x, the same steps).

1. `begin` (GET /channels/{network}/connect, a writer's token): a random `state` (and a PKCE verifier, sent
   only to providers that take one) kept for names.OAUTH_STATE_SECONDS in the oauth-states table with the
   network and the connect call's choices (LinkedIn's organization, Facebook's page); the caller gets the
   network's consent page for parley's app (`parley.connect.apps`).
2. The network sends the browser to GET /channels/{network}/callback (public: the state is the proof).
   `complete` uses the state once, trades the code for tokens (and a long-lived token where the network has
   one), reads the account the provider module describes, keeps the channel (`channels.connect_account`)
   with its credential and its session in SSM, and arms its token upkeep (`parley.connect.upkeep`).

Every refusal is a `ConnectFailed` naming the field and the reason; nothing is written before the state is used
and nothing after a refusal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from parley.connect import apps, channels, upkeep
from parley.connect.base import ConnectFailed, Options, Provider
from parley.connect.providers import PROVIDERS
from parley.connect.states import code_challenge, remember_state, use_state
from parley.networks.base import Account
from parley.scheduling.tokens import TokenScheduler
from parley.shared.config import Settings
from parley.shared.errors import Conflict, FieldProblem, Forbidden, NotFound, ValidationFailed
from parley.shared.timeparse import zone
from parley.store import ChannelRecord, MemberRecord
from parley.team.members import Principal, Role


def provider_for(network: str) -> Provider:
    provider = PROVIDERS.get(network)
    if provider is None:
        known = ", ".join(["x", *PROVIDERS])
        raise NotFound(f"network {network!r} has no connect flow; one of: {known}")
    return provider


def callback_path(network: str) -> str:
    return f"/channels/{network}/callback"


def callback_url(public_base_url: str, network: str) -> str:
    return public_base_url.rstrip("/") + callback_path(network)


@dataclass(frozen=True)
class Pending:
    authorization_url: str
    state: str
    expires_at: datetime
    scopes: tuple[str, ...]


def check_options(provider: Provider, options: Options) -> dict[str, str]:
    chosen = {k: v.strip() for k, v in options.items() if v and v.strip()}
    if provider.network == "linkedin" and chosen.get("account", "member") not in ("member", "organization"):
        raise ValidationFailed(FieldProblem("account", "must be member or organization"))
    return chosen


def begin(
    network: str, principal: Principal, settings: Settings, public_base_url: str, time_zone: str, options: Options
) -> Pending:
    provider = provider_for(network)
    principal.require(Role.EDITOR)
    zone(time_zone)
    chosen = check_options(provider, options)
    app = apps.load_app(settings.parameter_prefix, network)
    if app is None:
        raise Conflict(
            f"parley's {provider.title} app is not configured: an operator runs `{apps.set_app_command(network)}`"
        )
    redirect_uri = callback_url(public_base_url, network)
    scopes = provider.scopes(chosen)
    state, verifier, expires_at = remember_state(
        principal,
        network=network,
        scopes=scopes,
        redirect_uri=redirect_uri,
        time_zone=time_zone,
        options=json.dumps(chosen) if chosen else None,
    )
    query = {
        "response_type": "code",
        "client_id": app.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scope_separator.join(scopes),
        "state": state,
        **provider.extra_authorize,
    }
    if provider.pkce:
        query |= {"code_challenge": code_challenge(verifier), "code_challenge_method": "S256"}
    url = f"{app.url('authorize', provider.authorize_url)}?{urlencode(query)}"
    return Pending(url, state, expires_at, scopes)


@dataclass(frozen=True)
class Finished:
    channel: ChannelRecord
    created: bool
    upkeep: str  # how the token stays alive, in words


def complete(
    network: str, settings: Settings, scheduler: TokenScheduler, *, state: str, code: str | None, error: str | None
) -> Finished:
    provider = provider_for(network)
    pending = use_state(state, provider.start_again)
    if pending.network != network:
        raise ConnectFailed(
            400, "state", f"was issued to connect a {pending.network} account, not a {provider.title} one"
        )
    if error:
        if error == "access_denied":
            raise ConnectFailed(
                400,
                "error",
                f"access_denied: the authorization was declined on {provider.title}; nothing was connected",
            )
        raise ConnectFailed(
            400,
            "error",
            f"{provider.title} answered {error!r} instead of an authorization code; {provider.start_again}",
        )
    if not code:
        raise ConnectFailed(400, "code", f"is missing; {provider.start_again}")
    try:
        member = MemberRecord.get(pending.workspace_id, pending.member_id)
    except MemberRecord.DoesNotExist:
        raise ConnectFailed(403, "state", "was issued to a member who no longer exists") from None
    principal = Principal(pending.workspace_id, pending.member_id, Role(member.role))
    app = apps.load_app(settings.parameter_prefix, network)
    if app is None:
        reason = f"parley's {provider.title} app is not configured: an operator runs `{apps.set_app_command(network)}`"
        raise ConnectFailed(409, "app", reason)
    options = json.loads(pending.options) if pending.options else {}

    tokens = provider.exchange(app, code, pending.redirect_uri, pending.code_verifier)
    connected = provider.read_account(app, tokens, options)
    try:
        record, created = channels.connect_account(
            principal,
            settings,
            network,
            Account(connected.handle, connected.remote_id),
            connected.credential,
            pending.time_zone,
        )
    except Forbidden as exc:
        raise ConnectFailed(403, "state", f"was issued to a member who may no longer connect accounts: {exc}") from exc
    said = upkeep.store_tokens(provider, record, connected.tokens, scheduler)
    return Finished(record, created, said)
