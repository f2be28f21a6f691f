"""schemathesis hooks of the contract run: the refusals no schema can state, each named and why.

A request can match the schema and still be refused for a reason that lives outside it: the clock, another
resource's state, a network's rules, a credential the network checks, a value that only the API hands out.
Each rule below drops schemathesis' "schema-valid request rejected" (ST202) only for such a refusal, only
on its operations, and only when every error of the answer is of that kind: any other refusal still fails.
"""

from __future__ import annotations

import re
from typing import Any

import schemathesis

# Operation (METHOD path, regex) -> the fields whose refusal is such a reason, with the reason's words
SEMANTIC: list[tuple[str, dict[str, str]]] = [
    # A cursor is only what a previous page gave out; made-up base64url is refused by its content.
    (r"GET .*", {"cursor": "is not a cursor this API gave out"}),
    # A time range's length and order: a relation between two fields (JSON Schema cannot compare them).
    (r"GET /metrics/summary", {"from": "", "to": ""}),
    (r"GET /posts", {"since": "", "until": "", "from": "", "to": ""}),
    # publish_at must be in the future (the clock) and exist in its zone (DST gaps); texts and media are
    # judged by each target channel's network (graphemes, weighted characters, images per network).
    (r"(POST /posts|PATCH /posts/\{post_id\})", {"publish_at": "", "text": "", "overrides": "", "media": ""}),
    # A credential is checked by the network it is for (here: a made-up handle on a made-up server).
    (r"POST /channels", {"identifier": "", "app_password": "", "access_token": "", "service_url": ""}),
    # A webhook's URL must resolve to public addresses only (DNS; here nothing but loopback resolves).
    (r"(POST /webhooks|PATCH /webhooks/\{webhook_id\})", {"url": ""}),
]
# The OAuth callbacks take only the `state` parley issued (and a code the network issued for it).
CALLBACKS = re.compile(r"GET /channels/(x|\{network\})/callback")


def _errors(response: Any) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    return list(body.get("errors") or []) if isinstance(body, dict) else []


def _semantic(operation: str, status: int, errors: list[dict[str, Any]]) -> bool:
    if CALLBACKS.fullmatch(operation) and status == 400:
        return True
    if status != 422 or not errors:
        return False
    for pattern, fields in SEMANTIC:
        if not re.fullmatch(pattern, operation):
            continue
        if all(
            (field := str(e.get("field", "")).split(".")[0]) in fields and fields[field] in str(e.get("reason", ""))
            for e in errors
        ):
            return True
    return False


@schemathesis.hook
def filter_failure(ctx: Any, failure: Any, case: Any, response: Any) -> bool:
    if getattr(failure, "code", "") != "ST202":
        return True
    operation = f"{case.operation.method.upper()} {case.operation.path}"
    return not _semantic(operation, response.status_code, _errors(response))
