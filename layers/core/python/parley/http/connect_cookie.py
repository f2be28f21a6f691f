"""The cookie that binds a pending connection to one browser (parley.connect.states): set when the connection
starts (GET /channels/{network}/connect, for a browser calling it) and when a browser opens the consent link
(GET /channels/{network}/consent), sent back by that browser only to the network's callback, cleared there
once the state is used.

- `Path` is the callback's path as the browser sees it (with API Gateway's stage, e.g. /v1/channels/x/callback):
  no other page of parley's ever receives it.
- `HttpOnly`: no script reads it. `SameSite=Lax`: the callback is a top-level GET navigation coming from the
  network's site, which Lax lets through and Strict would not.
- `Secure`, except when the public base URL is plain http on a loopback address (a local run), where
  browsers would otherwise never send it back.
- `Max-Age`: what is left of the state's life (names.OAUTH_STATE_SECONDS at the start).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

NAME = "parley_connect"
DESCRIPTION = (
    "The browser-binding cookie set by GET /channels/{network}/connect or its connect_url: a connection is "
    "finished only in the browser that holds it"
)


def _loopback_http(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "http":
        return False
    host = (parts.hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def binding(callback_url: str, secret: str, max_age: int) -> Cookie:
    """The cookie a browser keeps for the callback at `callback_url`."""
    return Cookie(
        NAME,
        secret,
        path=urlsplit(callback_url).path or "/",
        secure=not _loopback_http(callback_url),
        http_only=True,
        max_age=max_age,
        same_site=SameSite.LAX_MODE,
    )


def cleared(callback_url: str) -> Cookie:
    """The same cookie, empty and expired: the browser drops it."""
    return binding(callback_url, "", 0)
