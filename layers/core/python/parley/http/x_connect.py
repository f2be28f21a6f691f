"""Connecting an X account (parley.connect.x): GET /channels/x/connect (a writer's token), the public
GET /channels/x/consent (the connect answer's `connect_url`: a browser opening it is the one that may finish)
and the public GET /channels/x/callback that X sends the person's browser to. The callback and the consent
link answer a small HTML page for a browser, and JSON (a channel, or an RFC 9457 problem) for anything that
does not ask for HTML. The browser-binding cookie is parley.http.connect_cookie's; the helpers here are shared
with the other networks' routes (parley.http.oauth_connect)."""

from __future__ import annotations

import html
import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Cookie, Query

from parley.connect import flow, states
from parley.connect import x as x_connect
from parley.connect.base import ConnectFailed
from parley.http import connect_cookie
from parley.http.fields import QueryZone
from parley.http.problems import problem
from parley.scheduling import wiring
from parley.shared.config import get_settings
from parley.shared.names import OAUTH_STATE_SECONDS
from parley.store import ChannelRecord
from parley.team import members

router = Router()

# The parameters the consent link and the callbacks share, as the document names them.
StateQuery = Annotated[str, Query(description="The state the connect call answered (and the network sends back)")]
BrowserCookie = Annotated[str | None, Cookie(alias=connect_cookie.NAME, description=connect_cookie.DESCRIPTION)]


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


def started(
    network: str, callback_url: str, state: str, browser: str, body: dict[str, Any]
) -> Response[dict[str, Any]]:
    """The connect call's answer: `body` with parley's consent link, and the caller's browser-binding cookie
    (kept by a browser calling it, e.g. the API's /docs page; from curl, `connect_url` hands the flow over)."""
    answer = body | {"connect_url": flow.connect_url(public_base_url(), network, state)}
    cookie = connect_cookie.binding(callback_url, browser, OAUTH_STATE_SECONDS)
    return Response(200, "application/json", body=answer, cookies=[cookie])


@router.get(
    "/channels/x/connect",
    summary="Start connecting an X account: open `connect_url` in a browser within 10 minutes and approve there",
)
def connect_x(
    time_zone: QueryZone = "UTC",
) -> Response[dict[str, Any]]:
    pending = x_connect.begin(_caller(), get_settings(), public_base_url(), time_zone)
    callback = x_connect.callback_url(public_base_url())
    body = {
        "authorization_url": pending.authorization_url,
        "state": pending.state,
        "expires_at": pending.expires_at.isoformat(),
        "callback_url": callback,
    }
    return started("x", callback, pending.state, pending.browser, body)


def redirect(authorization_url: str, callback_url: str, browser: str, max_age: int) -> Response[Any]:
    """To the network's consent page, this browser bound to the state by its cookie."""
    cookie = connect_cookie.binding(callback_url, browser, max_age)
    headers = {"Location": authorization_url, "Cache-Control": "no-store"}
    return Response(302, headers=headers, cookies=[cookie])


@router.get(
    "/channels/x/consent",
    summary="The connect call's `connect_url` (public, once): binds this browser to the connection, then on to X",
)
def x_consent(state: StateQuery = "") -> Response[Any]:
    try:
        opened = x_connect.open_consent(get_settings(), state)
    except ConnectFailed as exc:
        return refused(exc, "X", x_connect.CONSENT_PATH, None)
    return redirect(opened.authorization_url, x_connect.callback_url(public_base_url()), opened.browser, opened.max_age)


@router.get(
    "/channels/x/callback",
    summary="Where X sends the browser back (public: the state, from the browser holding its cookie, is the proof)",
)
def x_callback(
    state: StateQuery = "",
    code: Annotated[str | None, Query()] = None,
    error: Annotated[str | None, Query()] = None,
    browser: BrowserCookie = None,
) -> Response[Any]:
    settings = get_settings()
    callback = x_connect.callback_url(public_base_url())
    try:
        finished = x_connect.complete(settings, wiring.tokens(), state=state, browser=browser, code=code, error=error)
    except ConnectFailed as exc:
        return refused(exc, "X", x_connect.CALLBACK_PATH, callback)
    record = finished.channel
    handle = f"@{record.handle}"
    again = "" if finished.created else " again (it was connected before)"
    message = f"{handle} is connected{again} as channel {record.channel_id}."
    return connected(record, finished.created, finished.started_by, "X", handle, message, callback, {})


def connected(
    record: ChannelRecord,
    created: bool,
    started_by: states.Starter,
    title: str,
    handle: str,
    message: str,
    callback_url: str,
    extra: dict[str, Any],
) -> Response[Any]:
    """The callback's answer once connected, saying who connected which account into which workspace; the
    browser's cookie is spent."""
    view = {
        "id": record.channel_id,
        "network": record.network,
        "handle": record.handle,
        "remote_id": record.remote_id,
        "status": record.status,
        "created": created,
        "workspace": {"id": started_by.principal.workspace_id, "name": started_by.workspace_name},
        "started_by": {"member_id": started_by.principal.member_id, "name": started_by.member_name},
    } | extra
    if _wants_html():
        who = {
            "Workspace": started_by.workspace_name,
            "Started by": started_by.member_name,
            "Network": title,
            "Account": handle,
        }
        answer = _page(200, f"{title} account connected", message, who)
    else:
        answer = Response(200, "application/json", body=json.dumps(view))
    answer.cookies.append(connect_cookie.cleared(callback_url))
    return answer


def refused(exc: ConnectFailed, title: str, instance: str, callback_url: str | None) -> Response[Any]:
    """A refusal of the consent link or the callback, as a page or a problem; the callback's cookie is
    cleared once its state is used up, never by a refusal that left the state to its browser."""
    if _wants_html():
        answer = _page(exc.status, f"{title} account not connected", f"{exc.field}: {exc.reason}")
    else:
        errors = [{"field": exc.field, "reason": exc.reason}]
        answer = problem(exc.status, f"The {title} account was not connected.", errors=errors, instance=instance)
    if callback_url and exc.state_used:
        answer.cookies.append(connect_cookie.cleared(callback_url))
    return answer


def _wants_html() -> bool:
    headers = {k.lower(): v for k, v in (router.current_event.headers or {}).items()}
    return "text/html" in (headers.get("accept") or "")


def _page(status: int, title: str, message: str, facts: dict[str, str] | None = None) -> Response[str]:
    listed = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in (facts or {}).items())
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>parley: {html.escape(title)}</title></head><body>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p>"
        + (f"<dl>{listed}</dl>" if listed else "")
        + "<p>You can close this page.</p></body></html>"
    )
    return Response(status, "text/html; charset=utf-8", body=body)
