"""Connecting an X account (parley.connect.x): GET /channels/x/connect (a writer's token) and the public
GET /channels/x/callback that X sends the person's browser to. The callback answers a small HTML page for a
browser, and JSON (a channel, or an RFC 9457 problem) for anything that does not ask for HTML."""

from __future__ import annotations

import html
import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from parley.connect import x as x_connect
from parley.http.fields import QueryZone
from parley.http.problems import problem
from parley.scheduling import wiring
from parley.shared.config import get_settings
from parley.team import members

router = Router()


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


def public_base_url() -> str:
    """The configured public base URL, or (unset, e.g. a bare local setup) the one this request came in on."""
    configured = get_settings().public_base_url
    if configured:
        return configured.rstrip("/")
    event = router.current_event
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    host = headers.get("host") or "127.0.0.1"
    scheme = headers.get("x-forwarded-proto") or "http"
    stage = str((event.raw_event.get("requestContext") or {}).get("stage") or "")
    if not host.endswith(".amazonaws.com"):
        stage = ""  # a custom domain (or the local front) carries no stage in its paths
    return f"{scheme}://{host}" + (f"/{stage}" if stage else "")


@router.get(
    "/channels/x/connect",
    summary="Start connecting an X account: open `authorization_url` in a browser within 10 minutes",
)
def connect_x(
    time_zone: QueryZone = "UTC",
) -> dict[str, Any]:
    pending = x_connect.begin(_caller(), get_settings(), public_base_url(), time_zone)
    return {
        "authorization_url": pending.authorization_url,
        "state": pending.state,
        "expires_at": pending.expires_at.isoformat(),
        "callback_url": x_connect.callback_url(public_base_url()),
    }


@router.get("/channels/x/callback", summary="Where X sends the browser back (public: the state is the proof)")
def x_callback(
    state: Annotated[str, Query()] = "",
    code: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
) -> Response[Any]:
    settings = get_settings()
    try:
        record, created = x_connect.complete(settings, wiring.tokens(), state=state, code=code, error=error)
    except x_connect.ConnectFailed as exc:
        if _wants_html():
            return _page(exc.status, "X account not connected", f"{exc.field}: {exc.reason}")
        return problem(
            exc.status,
            "The X account was not connected.",
            errors=[{"field": exc.field, "reason": exc.reason}],
            instance=x_connect.CALLBACK_PATH,
        )
    view = {
        "id": record.channel_id,
        "network": record.network,
        "handle": record.handle,
        "remote_id": record.remote_id,
        "status": record.status,
        "created": created,
    }
    if _wants_html():
        again = "" if created else " again (it was connected before)"
        return _page(
            200, "X account connected", f"@{record.handle} is connected{again} as channel {record.channel_id}."
        )
    return Response(200, "application/json", body=json.dumps(view))


def _wants_html() -> bool:
    headers = {k.lower(): v for k, v in (router.current_event.headers or {}).items()}
    return "text/html" in (headers.get("accept") or "")


def _page(status: int, title: str, message: str) -> Response[str]:
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>parley: {html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        "<p>You can close this page.</p></body></html>"
    )
    return Response(status, "text/html; charset=utf-8", body=body)
