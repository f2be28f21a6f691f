"""Connecting an account on LinkedIn, Facebook, Instagram or Threads (X: parley.connect.x, the same steps).

1. `begin` (GET /channels/{network}/connect, a writer's token): a random `state` (and a PKCE verifier, sent
   only to providers that take one) kept for names.OAUTH_STATE_SECONDS in the oauth-states table with the
   network and the connect call's choices (LinkedIn's organization, Facebook's page), bound to the caller's
   browser (parley.connect.states); the caller gets the network's consent page for parley's app
   (`parley.connect.apps`) and parley's own link to it (`connect_url`).
2. `open_consent` (GET /channels/{network}/consent, public, once): a browser opening the link is bound to
   the state instead and sent on to the consent page: how a caller whose cookies reach no browser (curl)
   hands the flow to one.
3. The network sends the browser to GET /channels/{network}/callback (public: the state and the browser's
   cookie are the proof). `complete` uses the state once, only from its browser, trades the code for tokens
   (and a long-lived token where the network has one), reads the account the provider module describes,
   keeps the channel (`channels.connect_account`) with its credential and its session in SSM, and arms its
   token upkeep (`parley.connect.upkeep`).

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
from parley.connect.states import Starter, code_challenge, open_state, remember_state, starter, use_state
from parley.networks.base import Account
from parley.scheduling.tokens import TokenScheduler
from parley.shared.config import Settings
from parley.shared.errors import Conflict, FieldProblem, Forbidden, NotFound, ValidationFailed
from parley.shared.timeparse import zone
from parley.store import ChannelRecord
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


def consent_path(network: str) -> str:
    return f"/channels/{network}/consent"


def connect_url(public_base_url: str, network: str, state: str) -> str:
    """parley's own link to the consent page: opened in a browser, it binds the state to that browser."""
    return f"{public_base_url.rstrip('/')}{consent_path(network)}?{urlencode({'state': state})}"


@dataclass(frozen=True)
class Pending:
    authorization_url: str
    state: str
    expires_at: datetime
    scopes: tuple[str, ...]
    browser: str  # the caller's browser-binding secret (its cookie)


def check_options(provider: Provider, options: Options) -> dict[str, str]:
    chosen = {k: v.strip() for k, v in options.items() if v and v.strip()}
    if provider.network == "linkedin" and chosen.get("account", "member") not in ("member", "organization"):
        raise ValidationFailed(FieldProblem("account", "must be member or organization"))
    return chosen


def _no_app(provider: Provider) -> str:
    return (
        f"parley's {provider.title} app is not configured: an operator runs `{apps.set_app_command(provider.network)}`"
    )


def _app(provider: Provider, settings: Settings) -> apps.OAuthApp:
    app = apps.load_app(settings.parameter_prefix, provider.network)
    if app is None:
        raise Conflict(_no_app(provider))
    return app


def authorization_url(
    provider: Provider, app: apps.OAuthApp, *, state: str, verifier: str, redirect_uri: str, scopes: tuple[str, ...]
) -> str:
    """The network's consent page for parley's app (with the S256 challenge of the verifier, never the
    verifier, where the network takes PKCE)."""
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
    return f"{app.url('authorize', provider.authorize_url)}?{urlencode(query)}"


def begin(
    network: str, principal: Principal, settings: Settings, public_base_url: str, time_zone: str, options: Options
) -> Pending:
    provider = provider_for(network)
    principal.require(Role.EDITOR)
    zone(time_zone)
    chosen = check_options(provider, options)
    app = _app(provider, settings)
    redirect_uri = callback_url(public_base_url, network)
    scopes = provider.scopes(chosen)
    remembered = remember_state(
        principal,
        network=network,
        scopes=scopes,
        redirect_uri=redirect_uri,
        time_zone=time_zone,
        options=json.dumps(chosen) if chosen else None,
    )
    url = authorization_url(
        provider, app, state=remembered.state, verifier=remembered.verifier, redirect_uri=redirect_uri, scopes=scopes
    )
    return Pending(url, remembered.state, remembered.expires_at, scopes, remembered.browser)


@dataclass(frozen=True)
class Opened:
    authorization_url: str
    browser: str  # the opening browser's binding secret (its cookie)
    max_age: int  # seconds the state has left


def open_consent(network: str, settings: Settings, state: str) -> Opened:
    """The consent link opened in a browser: the state is bound to it (once) and it goes on to the network."""
    provider = provider_for(network)
    app = apps.load_app(settings.parameter_prefix, network)
    if app is None:
        raise ConnectFailed(409, "app", _no_app(provider))
    opened = open_state(state, network, f"a {provider.title} account", provider.start_again)
    pending = opened.record  # the same URL the connect call answered, rebuilt from what was saved
    url = authorization_url(
        provider,
        app,
        state=state,
        verifier=pending.code_verifier,
        redirect_uri=pending.redirect_uri,
        scopes=tuple(pending.scopes.split()),
    )
    return Opened(url, opened.browser, opened.max_age)


@dataclass(frozen=True)
class Finished:
    channel: ChannelRecord
    created: bool
    upkeep: str  # how the token stays alive, in words
    started_by: Starter  # who connected it, into which workspace (the callback page says so)


def complete(
    network: str,
    settings: Settings,
    scheduler: TokenScheduler,
    *,
    state: str,
    browser: str | None,
    code: str | None,
    error: str | None,
) -> Finished:
    provider = provider_for(network)
    pending = use_state(state, network, f"a {provider.title} account", browser, provider.start_again)
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
    started_by = starter(pending)
    app = apps.load_app(settings.parameter_prefix, network)
    if app is None:
        raise ConnectFailed(409, "app", _no_app(provider))
    options = json.loads(pending.options) if pending.options else {}

    tokens = provider.exchange(app, code, pending.redirect_uri, pending.code_verifier)
    connected = provider.read_account(app, tokens, options)
    try:
        record, created = channels.connect_account(
            started_by.principal,
            settings,
            network,
            Account(connected.handle, connected.remote_id),
            connected.credential,
            pending.time_zone,
        )
    except Forbidden as exc:
        raise ConnectFailed(403, "state", f"was issued to a member who may no longer connect accounts: {exc}") from exc
    said = upkeep.store_tokens(provider, record, connected.tokens, scheduler)
    return Finished(record, created, said, started_by)
