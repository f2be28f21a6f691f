"""schemathesis hooks of the contract run: the refusals no schema can state, each named and why.

A request can match the schema and still be refused for a reason that lives outside it: the clock, another
resource's state, a network's rules, a credential the network checks, a value that only the API hands out.
Each rule below drops schemathesis' "schema-valid request rejected" (ST202) only for such a refusal, only
on its operations, and only when every error of the answer is of that kind: any other refusal still fails.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import schemathesis

IMPORT_COLUMNS = ("text", "channels", "publish_at", "time_zone", "media_urls", "alt_texts", "link", "utm_campaign")
# Operation (METHOD path, regex) -> the fields whose refusal is such a reason, with the reason's words
SEMANTIC: list[tuple[str, dict[str, str]]] = [
    # A cursor is only what a previous page of the same listing gave out; made-up base64url is refused by its
    # content (a 400: its signature does not verify; parley.shared.pagination).
    (r"GET .*", {"cursor": "is not a cursor this API gave out"}),
    # A time range's length and order: a relation between two fields (JSON Schema cannot compare them).
    (r"GET /metrics/summary", {"from": "", "to": ""}),
    (r"GET /posts", {"since": "", "until": "", "from": "", "to": ""}),
    (r"GET /calendar", {"from": "", "to": ""}),
    (r"GET /channels/\{channel_id\}/queue", {"from": ""}),
    # Posting times: a (day, time) named by two rules, or more than 48 times on one day across rules (relations
    # between items of different rules; docs/queue.md).
    (r"PUT /(channels/\{channel_id\}/slots|channel-groups/\{name\})", {"times": ""}),
    # publish_at must be in the future (the clock) and exist in its zone (DST gaps); texts and media are
    # judged by each target channel's network (graphemes, weighted characters, images per network).
    # A thread's parts and a first comment are judged by each network like the text (a network without threads
    # or comments refuses them); a series' rule by its occurrences (how many, how far ahead, a local time a DST
    # change skips); variants change a series only with scope "future" (a relation between two fields).
    (
        r"(POST /posts|PATCH /posts/\{post_id\}|PATCH /series/\{series_id\})",
        dict.fromkeys(
            (
                "publish_at",
                "text",
                "overrides",
                "media",
                "thread",
                "thread_mode",
                "first_comment",
                "repeat",
                "variants",
            ),
            "",
        ),
    ),
    # A CSV import's body is a file the schema can only call text/csv: its header and each row are judged as
    # POST /posts judges a post (parley.publishing.csv_rows, .imports), a refusal naming the line's column.
    (r"POST /posts/import", dict.fromkeys(("file", "header", "row", "Idempotency-Key", *IMPORT_COLUMNS), "")),
    # A credential is checked by the network it is for (here: a made-up handle on a made-up server).
    (r"POST /channels", {"identifier": "", "app_password": "", "access_token": "", "service_url": ""}),
    # A webhook's URL must resolve to public addresses only (DNS; here nothing but loopback resolves).
    (r"(POST /webhooks|PATCH /webhooks/\{webhook_id\})", {"url": ""}),
    (r"PUT /workspace/alerts", {"webhook_url": ""}),
]
# The OAuth consent links and callbacks take only the `state` parley issued (and, at the callback, a code the
# network issued for it, from the browser holding the state's cookie).
CALLBACKS = re.compile(r"GET /channels/(x|\{network\})/(callback|consent)")


def _errors(response: Any) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    return list(body.get("errors") or []) if isinstance(body, dict) else []


def _semantic(operation: str, status: int, errors: list[dict[str, Any]]) -> bool:
    if CALLBACKS.fullmatch(operation) and status == 400:
        return True
    if status not in (400, 422) or not errors:  # 400: a cursor that does not verify; 422: any other field
        return False
    for pattern, fields in SEMANTIC:
        if not re.fullmatch(pattern, operation):
            continue
        if all(
            (field := re.sub(r"\[\d+\]$", "", str(e.get("field", "")).split(".")[0])) in fields
            and fields[field] in str(e.get("reason", ""))
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


# The stateful phase follows the document's links from a created post (get, patch, publish now, cancel it):
# that needs posts that can be created. A generated positive body names a made-up channel and a random
# time, so the stateful phase's positive POST /posts cases are pointed at the run's real channel, a time in
# the future and a text any network takes; negative cases are left as generated.
CHANNEL = os.environ.get("PARLEY_CONTRACT_CHANNEL", "")
# And a second account of the local network ("<handle> <app password> <PDS URL>") that the stateful phase
# connects, reads, changes and disconnects.
ACCOUNT = os.environ.get("PARLEY_CONTRACT_ACCOUNT", "")
OPTIONAL = ("campaign", "time_zone")  # kept when generated: the schema's rules are the API's


def _fits(text: object) -> bool:
    """A generated text every network takes as it is (short, and not only spaces)."""
    return isinstance(text, str) and 0 < len(text) <= 200 and bool(text.strip())


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    phase = getattr(getattr(meta, "phase", None), "name", None)
    # the stateful phase only: posts made in every phase would pile up (hold and resume act on them all)
    if str(phase) != "stateful" or str(mode) != "positive" or not isinstance(case.body, dict):
        return
    operation = (case.operation.method.upper(), case.operation.path)
    if operation == ("POST", "/channels") and ACCOUNT:
        identifier, password, service_url = ACCOUNT.split(" ")
        case.body = {"identifier": identifier, "app_password": password, "service_url": service_url}
        return
    if operation == ("PATCH", "/posts/{post_id}"):
        text = case.body.get("text")
        case.body = {"text": text if _fits(text) else "An edited contract post"}
        return
    if not CHANNEL or operation != ("POST", "/posts"):
        return
    text = case.body.get("text")
    body = {
        "text": text if _fits(text) else "A contract post",
        "channels": [CHANNEL],
        "publish_at": (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    body |= {k: case.body[k] for k in OPTIONAL if k in case.body}
    case.body = body
    if case.headers and any(k.lower() == "idempotency-key" for k in case.headers):
        case.headers = {k: v for k, v in case.headers.items() if k.lower() != "idempotency-key"}
        case.headers["Idempotency-Key"] = uuid.uuid4().hex  # a generated key may repeat with another body


CALLS = os.environ.get("PARLEY_CONTRACT_CALLS", "")  # a file: each call's operation and status, for the test


@schemathesis.hook
def after_call(ctx: Any, case: Any, response: Any) -> None:
    if CALLS:
        with open(CALLS, "a", encoding="utf-8") as calls:
            calls.write(f"{case.operation.method.upper()} {case.operation.path} {response.status_code}\n")
