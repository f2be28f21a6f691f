"""Connecting a LinkedIn, Facebook, Instagram or Threads account (parley.connect.flow): GET
/channels/{network}/connect (a writer's token) and the public GET /channels/{network}/callback the network
sends the browser to. X has its own routes (parley.http.x_connect); `x` here is handed to them, so
/channels/x/... behaves the same whichever route matches. An unknown network is a 404 naming it."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from parley.connect import flow
from parley.connect.base import ConnectFailed
from parley.http import x_connect as x_routes
from parley.http.fields import QueryZone
from parley.http.problems import problem
from parley.scheduling import wiring
from parley.shared.config import get_settings
from parley.team import members

router = Router()


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


def _base_url() -> str:
    return x_routes.public_base_url()  # routers share the current request


@router.get(
    "/channels/<network>/connect",
    summary="Start connecting a LinkedIn, Facebook Page, Instagram or Threads account (X: /channels/x/connect)",
)
def connect(
    network: Annotated[str, Path(pattern=r"^[a-z]{1,20}$", description="linkedin, facebook, instagram or threads")],
    time_zone: QueryZone = "UTC",
    account: Annotated[str | None, Query(description="LinkedIn: member (default) or organization")] = None,
    organization: Annotated[str | None, Query(description="LinkedIn: the organization page (id or URN)")] = None,
    page: Annotated[str | None, Query(description="Facebook: the Page's id, when the person manages several")] = None,
) -> dict[str, Any]:
    if network == "x":  # X's static routes match first; kept for any other way in
        return x_routes.connect_x(time_zone)
    provider = flow.provider_for(network)
    given = {"account": account, "organization": organization, "page": page}
    options = {k: v for k, v in given.items() if v and k in provider.options}
    pending = flow.begin(network, _caller(), get_settings(), _base_url(), time_zone, options)
    return {
        "authorization_url": pending.authorization_url,
        "state": pending.state,
        "expires_at": pending.expires_at.isoformat(),
        "callback_url": flow.callback_url(_base_url(), network),
        "scopes": list(pending.scopes),
    }


@router.get("/channels/<network>/callback", summary="Where the network sends the browser back (public)")
def callback(
    network: Annotated[str, Path(pattern=r"^[a-z]{1,20}$", description="linkedin, facebook, instagram or threads")],
    state: Annotated[str, Query()] = "",
    code: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
) -> Response[Any]:
    if network == "x":
        return x_routes.x_callback(state, code, error)
    provider = flow.provider_for(network)
    settings = get_settings()
    try:
        finished = flow.complete(network, settings, wiring.tokens(), state=state, code=code, error=error)
    except ConnectFailed as exc:
        title = f"{provider.title} account not connected"
        if x_routes._wants_html():
            return x_routes._page(exc.status, title, f"{exc.field}: {exc.reason}")
        errors = [{"field": exc.field, "reason": exc.reason}]
        return problem(
            exc.status,
            f"The {provider.title} account was not connected.",
            errors=errors,
            instance=flow.callback_path(network),
        )
    record = finished.channel
    view = {
        "id": record.channel_id,
        "network": record.network,
        "handle": record.handle,
        "remote_id": record.remote_id,
        "status": record.status,
        "created": finished.created,
        "token_upkeep": finished.upkeep,
    }
    if x_routes._wants_html():
        again = "" if finished.created else " again (it was connected before)"
        message = f"{record.handle} is connected{again} as channel {record.channel_id}. Token: {finished.upkeep}."
        return x_routes._page(200, f"{provider.title} account connected", message)
    return Response(200, "application/json", body=json.dumps(view))
