"""Connecting a LinkedIn, Facebook, Instagram or Threads account (parley.connect.flow): GET
/channels/{network}/connect (a writer's token), the public GET /channels/{network}/consent (the connect
answer's `connect_url`: the browser opening it is the one that may finish) and the public
GET /channels/{network}/callback the network sends the browser to. X has its own routes
(parley.http.x_connect, which also holds what they share); `x` here is handed to them, so /channels/x/...
behaves the same whichever route matches. An unknown network is a 404 naming it."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from parley.connect import flow
from parley.connect.base import ConnectFailed
from parley.http import x_connect as x_routes
from parley.http.fields import QueryZone
from parley.http.x_connect import BrowserCookie, StateQuery
from parley.scheduling import wiring
from parley.shared.config import get_settings
from parley.team import members

router = Router()


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


def _base_url() -> str:
    return x_routes.public_base_url()  # routers share the current request


Network = Annotated[str, Path(pattern=r"^[a-z]{1,20}$", description="linkedin, facebook, instagram or threads")]


@router.get(
    "/channels/<network>/connect",
    summary="Start connecting a LinkedIn, Facebook Page, Instagram or Threads account (X: /channels/x/connect):"
    " open `connect_url` in a browser within 10 minutes and approve there",
)
def connect(
    network: Network,
    time_zone: QueryZone = "UTC",
    account: Annotated[str | None, Query(description="LinkedIn: member (default) or organization")] = None,
    organization: Annotated[str | None, Query(description="LinkedIn: the organization page (id or URN)")] = None,
    page: Annotated[str | None, Query(description="Facebook: the Page's id, when the person manages several")] = None,
) -> Response[dict[str, Any]]:
    if network == "x":  # X's static routes match first; kept for any other way in
        return x_routes.connect_x(time_zone)
    provider = flow.provider_for(network)
    given = {"account": account, "organization": organization, "page": page}
    options = {k: v for k, v in given.items() if v and k in provider.options}
    pending = flow.begin(network, _caller(), get_settings(), _base_url(), time_zone, options)
    callback = flow.callback_url(_base_url(), network)
    body = {
        "authorization_url": pending.authorization_url,
        "state": pending.state,
        "expires_at": pending.expires_at.isoformat(),
        "callback_url": callback,
        "scopes": list(pending.scopes),
    }
    return x_routes.started(network, callback, pending.state, pending.browser, body)


@router.get(
    "/channels/<network>/consent",
    summary="The connect call's `connect_url` (public, once): binds this browser to the connection, then on to"
    " the network's consent page",
)
def consent(network: Network, state: StateQuery = "") -> Response[Any]:
    if network == "x":
        return x_routes.x_consent(state)
    provider = flow.provider_for(network)
    try:
        opened = flow.open_consent(network, get_settings(), state)
    except ConnectFailed as exc:
        return x_routes.refused(exc, provider.title, flow.consent_path(network), None)
    callback = flow.callback_url(_base_url(), network)
    return x_routes.redirect(opened.authorization_url, callback, opened.browser, opened.max_age)


@router.get(
    "/channels/<network>/callback",
    summary="Where the network sends the browser back (public: the state, from the browser holding its cookie,"
    " is the proof)",
)
def callback(
    network: Network,
    state: StateQuery = "",
    code: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
    browser: BrowserCookie = None,
) -> Response[Any]:
    if network == "x":
        return x_routes.x_callback(state, code, error, browser)
    provider = flow.provider_for(network)
    callback = flow.callback_url(_base_url(), network)
    try:
        finished = flow.complete(
            network, get_settings(), wiring.tokens(), state=state, browser=browser, code=code, error=error
        )
    except ConnectFailed as exc:
        return x_routes.refused(exc, provider.title, flow.callback_path(network), callback)
    record = finished.channel
    again = "" if finished.created else " again (it was connected before)"
    message = f"{record.handle} is connected{again} as channel {record.channel_id}. Token: {finished.upkeep}."
    extra = {"token_upkeep": finished.upkeep}
    return x_routes.connected(
        record, finished.created, finished.started_by, provider.title, record.handle, message, callback, extra
    )
