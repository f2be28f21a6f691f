"""Public `GET /l/{code}` -> count the click (people apart from link-preview crawlers, once per visitor and
hour), 302 to the link's target at once; an unknown or malformed code is a small 404 page.
parley.links.clicks does the work."""

from __future__ import annotations

from typing import Any

from parley.links import clicks
from parley.shared.names import SHORT_LINK_PATH
from parley.shared.observability import logger

NOT_FOUND_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Link not found</title>"
    "<body style='font-family:sans-serif;margin:3em'><h1>Link not found</h1>"
    "<p>This short link does not exist, or the post it was made for was cancelled."
    " Check that it was copied whole.</p></body></html>"
)
UNAVAILABLE_PAGE = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Try again</title>"
    "<body style='font-family:sans-serif;margin:3em'><h1>Try again in a moment</h1></body></html>"
)


def _code(event: dict[str, Any]) -> str:
    """From API Gateway's `{code}` path parameter, or from the path (the local HTTP front's proxy)."""
    parameters = event.get("pathParameters") or {}
    if "code" in parameters:
        return str(parameters["code"] or "")
    path = str(event.get("path") or "")
    return path[len(SHORT_LINK_PATH) :] if path.startswith(SHORT_LINK_PATH) else ""


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _client_ip(event: dict[str, Any]) -> str | None:
    """The address API Gateway saw the request come from (not X-Forwarded-For, which the client writes)."""
    identity = (event.get("requestContext") or {}).get("identity") or {}
    return str(identity["sourceIp"]) if identity.get("sourceIp") else None


def _page(status: int, body: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"},
        "body": body,
    }


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        followed = clicks.follow(_code(event), _header(event, "user-agent"), _client_ip(event))
    except Exception:
        logger.exception("could not follow a short link")
        return _page(503, UNAVAILABLE_PAGE) | {"headers": {"Retry-After": "5", "Content-Type": "text/html"}}
    if followed is None:
        return _page(404, NOT_FOUND_PAGE)
    # no-store: a browser that cached the redirect would click again without being counted
    return {
        "statusCode": 302,
        "headers": {"Location": followed.target, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        "body": "",
    }
