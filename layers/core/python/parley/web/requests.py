"""What a page reads of its request: the cookies, a posted form, the session, and the CSRF checks every
state-changing request passes (parley.web.security says why each is as it is). A page's route calls these with
its router's `current_event`."""

from __future__ import annotations

import base64
import binascii

from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from parley.shared.errors import Forbidden
from parley.team import sessions
from parley.web.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, SIGN_IN_COOKIE, cookies_of, form_of, same

CSRF_REFUSED = "this form has expired or did not come from parley's own page: reload the page and try again"


def cookies(event: BaseProxyEvent) -> dict[str, str]:
    return cookies_of(dict(event.headers or {}), event.get("multiValueHeaders"))


def body(event: BaseProxyEvent) -> str:
    """The request's body as text (a body that is not UTF-8: empty), for a form with repeated fields."""
    text = event.body or ""
    if event.is_base64_encoded:
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeError):
            return ""
    return text


def form(event: BaseProxyEvent) -> dict[str, str]:
    """A urlencoded body's fields, the first value of each (a body that is not UTF-8: none)."""
    return form_of(body(event))


def session(event: BaseProxyEvent) -> sessions.WebSession:
    """The signed-in member's session (Unauthenticated otherwise: the app sends the browser to sign in)."""
    return sessions.current(cookies(event).get(SESSION_COOKIE))


def posted_by_session(event: BaseProxyEvent) -> tuple[sessions.WebSession, dict[str, str]]:
    """The session of a state-changing request and its form, when it carries the session's CSRF token (a form's
    `csrf` field or htmx's `X-CSRF-Token` header); Forbidden otherwise."""
    found = session(event)
    fields = form(event)
    if not sessions.csrf_matches(found, fields.get(CSRF_FIELD) or event.headers.get(CSRF_HEADER)):
        raise Forbidden(CSRF_REFUSED)
    return found, fields


def sign_in_form_posted(event: BaseProxyEvent) -> dict[str, str]:
    """A sign-in form's fields, when its token matches the sign-in cookie (double submit: no session yet)."""
    fields = form(event)
    if not same(cookies(event).get(SIGN_IN_COOKIE), fields.get(CSRF_FIELD)):
        raise Forbidden(CSRF_REFUSED)
    return fields
