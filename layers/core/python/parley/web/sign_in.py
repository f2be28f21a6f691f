"""Signing in and out (docs/web.md): with a pasted API token or a one-time link, each a form with a double-submit
token; signing out with the session's CSRF token. The sessions themselves: parley.team.sessions."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from parley.shared.errors import Unauthenticated
from parley.team import sessions
from parley.web import requests
from parley.web.render import page, redirect
from parley.web.security import SESSION_COOKIE, SIGN_IN_COOKIE, SIGN_IN_SECONDS, cleared, cookie, new_token

router = Router()

SIGN_IN = "/app/sign-in"
HOME = "/app/calendar"


@router.get("/")
def home() -> Response[str]:
    try:
        requests.session(router.current_event)
    except Unauthenticated:
        return redirect(SIGN_IN)
    return redirect(HOME)


def _form_page(template: str, *, status: int = 200, **context: Any) -> Response[str]:
    """A sign-in form with a fresh double-submit token (its cookie set beside it)."""
    token = new_token()
    return page(
        template,
        status=status,
        form_token=token,
        cookies=[cookie(SIGN_IN_COOKIE, token, SIGN_IN_SECONDS)],
        **context,
    )


@router.get(SIGN_IN)
def sign_in_page() -> Response[str]:
    try:
        requests.session(router.current_event)
        return redirect(HOME)
    except Unauthenticated:
        return _form_page("sign_in.html", error=None)


@router.post(SIGN_IN)
def sign_in() -> Response[str]:
    fields = requests.sign_in_form_posted(router.current_event)
    token = fields.get("token", "").strip()
    if not token:
        return _form_page("sign_in.html", status=422, error="Paste your API token (it starts with pk_).")
    try:
        started = sessions.sign_in_with_token(token)
    except Unauthenticated:
        error = "This token is unknown or revoked: check it, or ask an admin for a new one."
        return _form_page("sign_in.html", status=401, error=error)
    return _signed_in(started)


@router.get(sessions.LINK_PATH)
def link_page() -> Response[str]:
    """Opening a sign-in link shows a button; only pressing it uses the link (a link preview or prefetch that
    GETs the URL does not spend it)."""
    code = router.current_event.get_query_string_value("code") or ""
    return _form_page("link.html", code=code, error=None)


@router.post(sessions.LINK_PATH)
def link_sign_in() -> Response[str]:
    fields = requests.sign_in_form_posted(router.current_event)
    try:
        started = sessions.sign_in_with_link(fields.get("code", ""))
    except Unauthenticated as exc:
        return _form_page("link.html", status=401, code="", error=str(exc).capitalize() + ".")
    return _signed_in(started)


def _signed_in(started: sessions.Started) -> Response[str]:
    """The new session's cookie; a session this browser still had ends (one session per browser)."""
    sessions.sign_out(requests.cookies(router.current_event).get(SESSION_COOKIE))
    seconds = sessions.SESSION_HOURS * 3600
    return redirect(HOME, [cookie(SESSION_COOKIE, started.secret, seconds), cleared(SIGN_IN_COOKIE)])


@router.post("/app/sign-out")
def sign_out() -> Response[str]:
    requests.posted_by_session(router.current_event)
    sessions.sign_out(requests.cookies(router.current_event).get(SESSION_COOKIE))
    return redirect(SIGN_IN, [cleared(SESSION_COOKIE)])
