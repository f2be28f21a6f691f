"""What every answer of the web app carries and what every request is checked for: the security headers (a strict
Content-Security-Policy: no inline script or style, nothing from another origin), the session cookie, and the
CSRF tokens of form posts (docs/web.md, "Security").

- The session cookie is `__Host-parley-session`: `Secure`, `Path=/`, no `Domain` (what the `__Host-` prefix
  demands: set by this origin only, sent to it only), `HttpOnly` (no script reads it), `SameSite=Strict` (no other
  site's page makes the browser send it). Browsers keep `Secure` cookies from http://127.0.0.1 and
  http://localhost too (they are secure contexts), so the local runtime needs no exception.
- Every state-changing request of a session carries the session's CSRF token: a hidden `csrf` field in forms, the
  `X-CSRF-Token` header in htmx requests (`hx-headers`, from the page); compared in constant time.
- The sign-in forms come before any session: their token is a double-submit one, a random value in a short-lived
  cookie of their own (`__Host-parley-signin`, same attributes) that the form repeats.
"""

from __future__ import annotations

import hmac
import secrets
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",  # ignored by browsers over plain http
    "Cache-Control": "no-store",  # pages show a member's data: no shared or back-button copies
}
SESSION_COOKIE = "__Host-parley-session"
SIGN_IN_COOKIE = "__Host-parley-signin"
SIGN_IN_SECONDS = 3600  # how long a sign-in form's token is good
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"


def with_security_headers(result: dict[str, Any]) -> dict[str, Any]:
    """A proxy answer with the security headers set (replacing any of the same name)."""
    multi = dict(result.get("multiValueHeaders") or {})
    single = dict(result.get("headers") or {})
    names = {name.lower() for name in HEADERS}
    multi = {k: v for k, v in multi.items() if k.lower() not in names}
    single = {k: v for k, v in single.items() if k.lower() not in names}
    multi |= {name: [value] for name, value in HEADERS.items()}
    return result | {"multiValueHeaders": multi, "headers": single}


def cookie(name: str, value: str, max_age: int) -> Cookie:
    return Cookie(name, value, path="/", secure=True, http_only=True, max_age=max_age, same_site=SameSite.STRICT_MODE)


def cleared(name: str) -> Cookie:
    return cookie(name, "", 0)


def cookies_of(headers: dict[str, str], multi: dict[str, list[str]] | None) -> dict[str, str]:
    """The request's cookies by name (the first of a name wins; a malformed header: none from it)."""
    lines = [v for k, values in (multi or {}).items() if k.lower() == "cookie" for v in values]
    if not lines:
        lines = [v for k, v in headers.items() if k.lower() == "cookie"]
    found: dict[str, str] = {}
    for line in lines:
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(line)
        except CookieError:
            continue
        for name, morsel in jar.items():
            found.setdefault(name, morsel.value)
    return found


def form_of(body: str | None) -> dict[str, str]:
    """A urlencoded form's fields (the first value of each)."""
    return {k: v[0] for k, v in parse_qs(body or "", keep_blank_values=True).items()}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(expected: str | None, presented: str | None) -> bool:
    return (
        bool(expected)
        and bool(presented)
        and hmac.compare_digest((expected or "").encode(), (presented or "").encode())
    )
