"""Routes of the web app (docs/web.md): `/` and everything under `/app/`. Each route: who is signed in, the form's
CSRF token when it changes something, one call into the core, a page (or a redirect after a post).

Sign-in: a member pastes an API token, or opens a one-time link (`parley admin login-link`); either makes a
browser session (parley.team.sessions) kept in an HttpOnly cookie (parley.web.security). A page asked for without
a valid session redirects to the sign-in page (an htmx request gets 401 and `HX-Redirect`)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from parley.shared.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from parley.team import sessions
from parley.web import calendar_page
from parley.web.render import HTML, page, redirect
from parley.web.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    SIGN_IN_SECONDS,
    cleared,
    cookie,
    cookies_of,
    form_of,
    new_token,
    same,
    with_security_headers,
)

app = APIGatewayRestResolver()  # no request validation: forms and query strings, checked where they are read

SIGN_IN = "/app/sign-in"
HOME = "/app/calendar"
CSRF_REFUSED = "this form has expired or did not come from parley's own page: reload the page and try again"
PAGES_TO_COME = {
    "/app/compose": "Compose",
    "/app/inbox": "Inbox",
    "/app/reports": "Reports",
    "/app/settings": "Settings",
}


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The web function's work: the page, with the security headers on every answer."""
    return with_security_headers(app.resolve(event, context))


# ---- requests ---------------------------------------------------------------------------------


def _cookies() -> dict[str, str]:
    event = app.current_event
    return cookies_of(dict(event.headers or {}), event.multi_value_headers)


def _form() -> dict[str, str]:
    event = app.current_event
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            body = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeError):
            return {}
    return form_of(body)


def _session() -> sessions.WebSession:
    return sessions.current(_cookies().get(SESSION_COOKIE))


def _posted_by_session() -> tuple[sessions.WebSession, dict[str, str]]:
    """The session of a state-changing request and its form, when it carries the session's CSRF token."""
    session = _session()
    form = _form()
    presented = form.get(CSRF_FIELD) or app.current_event.headers.get(CSRF_HEADER)
    if not sessions.csrf_matches(session, presented):
        raise Forbidden(CSRF_REFUSED)
    return session, form


def _sign_in_form_posted() -> dict[str, str]:
    """A sign-in form's fields, when its token matches the sign-in cookie (double submit: no session yet)."""
    form = _form()
    if not same(_cookies().get(SIGN_IN_COOKIE), form.get(CSRF_FIELD)):
        raise Forbidden(CSRF_REFUSED)
    return form


# ---- errors -----------------------------------------------------------------------------------


@app.exception_handler(Unauthenticated)
def _not_signed_in(exc: Unauthenticated) -> Response[str]:
    cookies = [cleared(SESSION_COOKIE)] if SESSION_COOKIE in _cookies() else []
    if app.current_event.headers.get("HX-Request"):
        return Response(401, HTML, "", headers={"HX-Redirect": SIGN_IN}, cookies=cookies)
    return redirect(SIGN_IN, cookies)


@app.exception_handler(Forbidden)
def _forbidden(exc: Forbidden) -> Response[str]:
    return page("error.html", status=403, title="Not allowed", message=str(exc), problems=[])


@app.exception_handler(NotFound)
def _not_found_error(exc: NotFound) -> Response[str]:
    return page("error.html", status=404, title="Not found", message=str(exc), problems=[])


@app.exception_handler(ValidationFailed)
def _invalid(exc: ValidationFailed) -> Response[str]:
    return page(
        "error.html", status=422, title="Not valid", message="This address is not valid.", problems=exc.problems
    )


@app.not_found
def _no_such_page(exc: Exception) -> Response[str]:
    return page("error.html", status=404, title="Not found", message="There is no such page.", problems=[])


# ---- sign in and out --------------------------------------------------------------------------


@app.get("/")
def home() -> Response[str]:
    try:
        _session()
    except Unauthenticated:
        return redirect(SIGN_IN)
    return redirect(HOME)


def _sign_in_page(template: str, *, status: int = 200, **context: Any) -> Response[str]:
    """A sign-in form with a fresh double-submit token (its cookie set beside it)."""
    token = new_token()
    return page(
        template,
        status=status,
        form_token=token,
        cookies=[cookie(SIGN_IN_COOKIE, token, SIGN_IN_SECONDS)],
        **context,
    )


@app.get(SIGN_IN)
def sign_in_page() -> Response[str]:
    try:
        _session()
        return redirect(HOME)
    except Unauthenticated:
        return _sign_in_page("sign_in.html", error=None)


@app.post(SIGN_IN)
def sign_in() -> Response[str]:
    form = _sign_in_form_posted()
    token = form.get("token", "").strip()
    if not token:
        return _sign_in_page("sign_in.html", status=422, error="Paste your API token (it starts with pk_).")
    try:
        started = sessions.sign_in_with_token(token)
    except Unauthenticated:
        error = "This token is unknown or revoked: check it, or ask an admin for a new one."
        return _sign_in_page("sign_in.html", status=401, error=error)
    return _signed_in(started)


@app.get(sessions.LINK_PATH)
def link_page() -> Response[str]:
    """Opening a sign-in link shows a button; only pressing it uses the link (a link preview or prefetch that
    GETs the URL does not spend it)."""
    code = app.current_event.get_query_string_value("code") or ""
    return _sign_in_page("link.html", code=code, error=None)


@app.post(sessions.LINK_PATH)
def link_sign_in() -> Response[str]:
    form = _sign_in_form_posted()
    try:
        started = sessions.sign_in_with_link(form.get("code", ""))
    except Unauthenticated as exc:
        return _sign_in_page("link.html", status=401, code="", error=str(exc).capitalize() + ".")
    return _signed_in(started)


def _signed_in(started: sessions.Started) -> Response[str]:
    """The new session's cookie; a session this browser still had ends (one session per browser)."""
    sessions.sign_out(_cookies().get(SESSION_COOKIE))
    seconds = sessions.SESSION_HOURS * 3600
    return redirect(HOME, [cookie(SESSION_COOKIE, started.secret, seconds), cleared(SIGN_IN_COOKIE)])


@app.post("/app/sign-out")
def sign_out() -> Response[str]:
    _posted_by_session()
    sessions.sign_out(_cookies().get(SESSION_COOKIE))
    return redirect(SIGN_IN, [cleared(SESSION_COOKIE)])


# ---- pages ------------------------------------------------------------------------------------


@app.get(HOME)
def calendar() -> Response[str]:
    session = _session()
    params = dict(app.current_event.query_string_parameters or {})
    wanted = calendar_page.parse(params)
    context = calendar_page.build(session.principal, wanted)
    return page("calendar.html", session=session, here=HOME, **context)


def _to_come(path: str) -> Response[str]:
    return page("soon.html", session=_session(), here=path, title=PAGES_TO_COME[path])


for _path in PAGES_TO_COME:
    app.get(_path)(lambda path=_path: _to_come(path))
