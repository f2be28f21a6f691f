"""RFC 9457 problem details: one shape for every error, with `errors: [{field, reason}]`."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response

CONTENT_TYPE = "application/problem+json"


def problem(
    status: int,
    detail: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    # What is in the way (a 409's holder, the deliveries' states); it never replaces a member of RFC 9457's.
    body.update({key: value for key, value in (extra or {}).items() if key not in body})
    return Response(status_code=status, content_type=CONTENT_TYPE, body=json.dumps(body), headers=headers)


def pointer(field: str) -> str:
    """A body field as a JSON pointer (RFC 6901): `overrides.x.text` -> `/overrides/x/text`."""
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in field.split(".")) if field else ""


def field_of(location: tuple[Any, ...] | list[Any]) -> str:
    """Powertools' error locations look like ('body', 'text') or ('header', 'idempotency-key')."""
    parts = [str(p) for p in location]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"
