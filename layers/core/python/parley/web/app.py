"""The web app (docs/web.md): `/` and everything under `/app/`, one Powertools `Router` per page or concern
(`sign_in.py`, `calendar_page.py`, ...), included here. Each route: who is signed in (parley.web.requests), the
form's CSRF token when it changes something, one call into the core, a page (or a redirect after a post).

A page asked for without a valid session redirects to the sign-in page (an htmx request gets 401 and
`HX-Redirect`); the core's refusals become pages with their status (403, 404, 422 naming the fields)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from parley.shared.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from parley.web import calendar_page, compose_page, inbox_page, requests, sign_in
from parley.web.render import HTML, page, redirect
from parley.web.security import SESSION_COOKIE, cleared, with_security_headers

app = APIGatewayRestResolver()  # no request validation: forms and query strings, checked where they are read
app.include_router(sign_in.router)
app.include_router(calendar_page.router)
app.include_router(compose_page.router)
app.include_router(inbox_page.router)

PAGES_TO_COME = {
    "/app/reports": "Reports",
    "/app/settings": "Settings",
}


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The web function's work: the page, with the security headers on every answer."""
    return with_security_headers(app.resolve(event, context))


@app.exception_handler(Unauthenticated)
def _not_signed_in(exc: Unauthenticated) -> Response[str]:
    cookies = [cleared(SESSION_COOKIE)] if SESSION_COOKIE in requests.cookies(app.current_event) else []
    if app.current_event.headers.get("HX-Request"):
        return Response(401, HTML, "", headers={"HX-Redirect": sign_in.SIGN_IN}, cookies=cookies)
    return redirect(sign_in.SIGN_IN, cookies)


@app.exception_handler(Forbidden)
def _forbidden(exc: Forbidden) -> Response[str]:
    return page("error.html", status=403, title="Not allowed", message=str(exc), problems=[])


@app.exception_handler(NotFound)
def _not_found_error(exc: NotFound) -> Response[str]:
    return page("error.html", status=404, title="Not found", message=str(exc), problems=[])


@app.exception_handler(ValidationFailed)
def _invalid(exc: ValidationFailed) -> Response[str]:
    message = "This address is not valid."
    return page("error.html", status=422, title="Not valid", message=message, problems=exc.problems)


@app.not_found
def _no_such_page(exc: Exception) -> Response[str]:
    return page("error.html", status=404, title="Not found", message="There is no such page.", problems=[])


def _to_come(path: str) -> Response[str]:
    return page("soon.html", session=requests.session(app.current_event), here=path, title=PAGES_TO_COME[path])


for _path in PAGES_TO_COME:
    app.get(_path)(lambda path=_path: _to_come(path))
