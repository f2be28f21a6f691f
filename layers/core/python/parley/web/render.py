"""Pages from the Jinja2 templates in `templates/` (autoescaped: every value a member typed is text, never markup),
as Powertools responses."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.shared.cookies import Cookie
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from parley.team.members import Role
from parley.team.sessions import WebSession
from parley.web.security import CSRF_FIELD, CSRF_HEADER

TEMPLATES = Path(__file__).resolve().parent / "templates"
HTMX = "/static/vendor/htmx-2.0.11.min.js"  # web/static/vendor/README.md: where it came from
HTML = "text/html; charset=utf-8"
# The nav, and the least role each page offers something to (a page itself still checks, in the core).
NAV: tuple[tuple[str, str, Role], ...] = (
    ("Calendar", "/app/calendar", Role.VIEWER),
    ("Compose", "/app/compose", Role.CONTRIBUTOR),
    ("Inbox", "/app/inbox", Role.VIEWER),
    ("Reports", "/app/reports", Role.VIEWER),
    ("Settings", "/app/settings", Role.VIEWER),
)

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def page(
    template: str,
    *,
    status: int = 200,
    session: WebSession | None = None,
    here: str = "",
    cookies: Sequence[Cookie] = (),
    **context: Any,
) -> Response[str]:
    nav = []
    if session is not None:
        nav = [
            {"label": label, "href": href, "current": here == href}
            for label, href, needs in NAV
            if session.principal.role.rank >= needs.rank
        ]
    body = _env.get_template(template).render(
        session=session,
        nav=nav,
        htmx=HTMX,
        csrf_field=CSRF_FIELD,
        csrf_header=CSRF_HEADER,
        **context,
    )
    return Response(status, HTML, body, cookies=list(cookies))


def redirect(location: str, cookies: Sequence[Cookie] = ()) -> Response[str]:
    """303 See Other: after a form post, the browser GETs `location`."""
    return Response(303, HTML, "", headers={"Location": location}, cookies=list(cookies))
