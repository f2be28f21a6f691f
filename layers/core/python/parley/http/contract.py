"""What every operation of the API may answer, declared once in the OpenAPI document.

Powertools writes each route's request schema and its 200 answer; this adds what the routes share, by
rule, so that no answer a route can give goes undeclared:

- every answer that is an error is an RFC 9457 problem (`application/problem+json`, the `Problem` schema);
- a route behind a bearer token may answer 401 (no valid token) and 429 (throttled by API Gateway);
- a route with a path parameter, or a body naming other resources, may answer 404 (missing, or another
  workspace's: nothing revealed);
- a write may answer 400 (its body is not UTF-8 JSON); a route with a body 413 (over API Gateway's 10 MB),
  415 (not JSON) and, as a route with parameters, 422 (a field and its reason);
- a listing that pages (it takes a `cursor`) may answer 400: the cursor is not one the API gave out for this
  listing (changed, cut short, made up, or another listing's, filters' or workspace's);
- a write may answer 403 (the member's role does not allow it) and 409 (the resource's state does not);
- a route that calls a network on the way may answer 503 (the network is busy: nothing was recorded).

Links (OpenAPI 3.1 `links`) say where an answer's id leads: a created post to reading, editing, cancelling
it, so that a client (and schemathesis' stateful runs) can follow a resource through its life.

The success statuses other than 200 (201 created, 204 no content, 302 to a network's consent page, CSV, an HTML
page) and the headers they carry (Location, the connect flow's Set-Cookie) are per route, below.
"""

from __future__ import annotations

from typing import Any

from parley.http import examples, problem_examples
from parley.http.problems import CONTENT_TYPE as PROBLEM

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `errors` names each bad field and why.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "about:blank: the status says it all"},
        "title": {"type": "string", "description": "The status' phrase"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "What happened, in words a person can act on"},
        "instance": {"type": "string", "description": "The path of the request"},
        "request_id": {"type": "string", "description": "Quote it to the operator (a 5xx is always a bug)"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {
                    "field": {"type": "string", "description": "The field, e.g. `text` or `overrides.x.text`"},
                    "pointer": {"type": "string", "description": "The field as a JSON pointer, e.g. `/text`"},
                    "reason": {"type": "string"},
                    "line": {"type": "integer", "description": "A CSV import's line (the header is line 1)"},
                    "column": {"type": "string", "description": "A CSV import's column (empty: the whole row)"},
                },
            },
        },
    },
    "additionalProperties": True,  # a 409 names what is in the way (e.g. the item's `state`, its holder)
}

WHY = {
    400: "The body is not UTF-8 or not JSON",
    401: "No valid bearer token",
    403: "The member's role does not allow this",
    404: "Not found (also another workspace's ids)",
    409: "The resource's state does not allow this now",
    413: "The body is too large",
    415: "The body is not JSON (Content-Type: application/json)",
    422: "A field is not valid: `errors` names it and why",
    424: "The network refused to finish the connection",
    429: "Too many requests: slow down (Retry-After)",
    503: "The network is busy or unreachable: nothing was recorded; try again (Retry-After)",
}
WRITES = {"post", "put", "patch", "delete"}
# A listing's 400 (no read has a body): its `cursor` is not one it gave out (parley.shared.pagination).
WHY_CURSOR = "The cursor is not one this API gave out for this listing: `errors` names it; start again without it"

# Operations that call a network while the request waits (connecting, answering on it).
CALLS_A_NETWORK = {("post", "/channels"), ("post", "/inbox/{item_id}/reply")}
# Reads that start a connection: a writer's (403), and parley's app on that network must be set (409).
STARTS_A_CONNECTION = {("get", "/channels/x/connect"), ("get", "/channels/{network}/connect")}
# Reads of what only its owner or an admin may see (403).
OWNER_OR_ADMIN_READS = {("get", "/members/{member_id}/tokens")}
# Creations whose body names other resources (channels, media), and reads filtered by one (a channel): 404 when
# one is missing.
NAMES_RESOURCES = {("post", "/posts"), ("post", "/listeners"), ("get", "/calendar")}
# Operations on a thing that may not exist yet: 404 when it does not (revoking a calendar feed never made).
MAY_BE_ABSENT = {("delete", "/me/calendar-feed")}

# The OAuth callbacks: public (the state, from the browser holding its cookie, is the proof), an HTML page for a
# browser, JSON otherwise. The consent links (connect_url): public too, a redirect or a refusal.
CALLBACK_ANSWERS = (400, 403, 404, 409, 422, 424, 429, 503)
CONSENT_ANSWERS = (400, 409, 422, 429)
# Public paths with answers of their own: the calendar feed (its token unknown, revoked or replaced: 404).
PUBLIC_ANSWERS: dict[str, tuple[int, ...]] = {"/calendar.ics": (404, 422, 429)}

JSON = "application/json"
HTML = "text/html"


def _created(description: str) -> dict[int, dict[str, Any]]:
    return {201: {"description": description, "headers": {"Location": {"schema": {"type": "string"}}}}}


# The browser-binding cookie (parley.http.connect_cookie), as each connecting step sets it.
def _set_cookie(description: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}}


_BINDS = (
    "parley_connect: this connection's browser-binding secret (HttpOnly, SameSite=Lax, Path the callback's, Max-Age"
    " the state's; Secure unless parley runs on plain http on loopback). A browser calling this keeps it; any other"
    " caller opens `connect_url` in the browser instead"
)
_CONSENT = {
    302: {
        "description": "On to the network's consent page, this browser bound to the connection (it works once)",
        "headers": {
            "Location": {"description": "The network's consent page", "schema": {"type": "string"}},
            "Set-Cookie": _set_cookie(
                "parley_connect: this browser's binding secret, replacing the connect call's (as on that call)"
            ),
        },
    }
}
_CLEARS = "parley_connect, cleared (Max-Age=0): the state is used (also on a refusal after that)"
# Response headers of the success answers, per operation.
SUCCESS_HEADERS: dict[tuple[str, str], dict[str, Any]] = {
    ("get", "/channels/x/connect"): {"Set-Cookie": _set_cookie(_BINDS)},
    ("get", "/channels/{network}/connect"): {"Set-Cookie": _set_cookie(_BINDS)},
    ("get", "/channels/x/callback"): {"Set-Cookie": _set_cookie(_CLEARS)},
    ("get", "/channels/{network}/callback"): {"Set-Cookie": _set_cookie(_CLEARS)},
}
NO_CONTENT = {204, 302}


# Success answers other than Powertools' 200, per operation: {status: response object}; the 200's content
# (its schema) is kept for 201.
SUCCESS: dict[tuple[str, str], dict[int, dict[str, Any]]] = {
    ("post", "/posts"): _created("Queued: the post and its deliveries"),
    ("post", "/answers"): _created("The approved answer"),
    ("post", "/media"): _created("The image, pending, and where to upload it"),
    ("post", "/listeners"): _created("The listener"),
    ("post", "/channels"): {
        201: {"description": "Connected"},
        200: {"description": "Connected again (the account was connected before)"},
    },
    ("delete", "/answers/{answer_id}"): {204: {"description": "Removed"}},
    ("delete", "/listeners/{listener_id}"): {204: {"description": "Stopped"}},
    ("post", "/members"): _created("Invited: the member, and their first token with its secret (shown once)"),
    ("delete", "/members/{member_id}"): {204: {"description": "Removed; their tokens are revoked"}},
    ("post", "/members/{member_id}/tokens"): _created("The token, with its secret (shown once)"),
    ("delete", "/members/{member_id}/tokens/{token_id}"): {204: {"description": "Revoked"}},
    ("post", "/webhooks"): _created("Registered: the endpoint, and its signing secret (shown once)"),
    ("delete", "/webhooks/{webhook_id}"): {204: {"description": "Deleted, with its secret"}},
    ("post", "/me/calendar-feed"): {
        201: {"description": "The feed, with its URL (shown once; the previous one stops)"}
    },
    ("delete", "/me/calendar-feed"): {204: {"description": "Revoked: its URL answers 404"}},
    ("post", "/posts/import"): {
        201: {"description": "Imported: the post created per line (partial: and the lines refused, each with why)"},
        200: {
            "description": "Dry run (`dry_run=true`): the lines that would be imported and each refusal; nothing stored"
        },
    },
    ("get", "/channels/x/consent"): _CONSENT,
    ("get", "/channels/{network}/consent"): _CONSENT,
}
# Bodies that are files, not JSON (Powertools declares JSON bodies only): their media type and what they hold.
FILE_BODIES: dict[tuple[str, str], tuple[str, str]] = {
    ("post", "/posts/import"): (
        "text/csv",
        "A CSV file (UTF-8, with or without a BOM; `,` `;` or tab): a header line naming the columns text, channels, "
        "publish_at, time_zone, media_urls, alt_texts, link, utm_campaign (any case), then one post a line; "
        "at most 1,000 rows (docs/import.md)",
    ),
}
FILE_EXAMPLES = {
    "text/csv": "text,channels,publish_at,time_zone\r\n"
    "Spring sale starts today,@acme.bsky.social,2026-03-02 09:00,Europe/Berlin\r\n"
    '"Two lines,\r\nquoted",@acme.bsky.social|ch_01m8zg3q7k2v9x4t6b8n0c5dre,next_slot,\r\n'
    "A draft for later,@acme.bsky.social,,\r\n"
}
WHY_NOT_CSV = {400: "The body is not UTF-8", 415: "The body is not CSV (Content-Type: text/csv)"}
TEXT_ALTERNATIVES: dict[tuple[str, str], str] = {
    ("get", "/metrics/summary"): "text/csv",  # ?format=csv
    ("get", "/channels/x/callback"): HTML,  # Accept: text/html
    ("get", "/channels/{network}/callback"): HTML,
}


# (method, path, status) of an answer -> the id in it and the operations that take it, as (method, path)
def _follow(parameters: dict[str, str], *operations: tuple[str, str]) -> dict[str, Any]:
    return {"parameters": parameters, "operations": operations}


def _id(parameter: str, at: str = "id") -> dict[str, str]:
    return {parameter: f"$response.body#/{at}"}


_POST = "/posts/{post_id}"
_ANSWER = "/answers/{answer_id}"
_CHANNEL = "/channels/{channel_id}"
_MEMBER = "/members/{member_id}"
_WEBHOOK = "/webhooks/{webhook_id}"
LINKS: dict[tuple[str, str, str], dict[str, Any]] = {
    ("post", "/posts", "201"): _follow(
        _id("post_id"),
        ("get", _POST),
        ("patch", _POST),
        ("delete", _POST),
        ("get", f"{_POST}/deliveries"),
        ("post", f"{_POST}/publish-now"),
        ("get", f"{_POST}/metrics"),
    ),
    ("post", "/answers", "201"): _follow(_id("answer_id"), ("get", _ANSWER), ("put", _ANSWER), ("delete", _ANSWER)),
    ("post", "/media", "201"): _follow(
        _id("media_id"), ("get", "/media/{media_id}"), ("post", "/media/{media_id}/complete")
    ),
    ("post", "/channels", "201"): _follow(
        _id("channel_id"), ("get", _CHANNEL), ("patch", _CHANNEL), ("delete", _CHANNEL)
    ),
    # connected again: the same channel, its id in the answer as well
    ("post", "/channels", "200"): _follow(
        _id("channel_id"), ("get", _CHANNEL), ("patch", _CHANNEL), ("delete", _CHANNEL)
    ),
    ("post", "/members", "201"): _follow(
        _id("member_id"),
        ("get", _MEMBER),
        ("patch", _MEMBER),
        ("delete", _MEMBER),
        ("get", f"{_MEMBER}/tokens"),
        ("post", f"{_MEMBER}/tokens"),
    ),
    ("post", f"{_MEMBER}/tokens", "201"): _follow(
        _id("member_id", "member_id") | _id("token_id"), ("delete", f"{_MEMBER}/tokens/{{token_id}}")
    ),
    ("post", "/webhooks", "201"): _follow(
        _id("webhook_id"),
        ("get", _WEBHOOK),
        ("patch", _WEBHOOK),
        ("delete", _WEBHOOK),
        ("get", f"{_WEBHOOK}/deliveries"),
    ),
    ("post", "/listeners", "201"): _follow(_id("listener_id"), ("delete", "/listeners/{listener_id}")),
}


def _link(document: dict[str, Any]) -> None:
    paths = document.get("paths", {})
    for (method, path, status), follow in LINKS.items():
        answer = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if answer is None:
            continue
        links = answer.setdefault("links", {})
        for target_method, target_path in follow["operations"]:
            target = paths.get(target_path, {}).get(target_method)
            if target is None or "operationId" not in target:
                continue
            name = target["operationId"]
            links[name] = {"operationId": name, "parameters": follow["parameters"]}


# The operations by what they are about, in the order a marketer meets them; an operation's tag is the one
# whose prefix its path starts with (the longest).
TAGS: list[tuple[str, tuple[str, ...], str]] = [
    ("posts", ("/posts", "/series"), "Queue a post for its channels, read, edit, publish now or cancel it; series"),
    (
        "channels",
        ("/channels", "/channel-groups"),
        "The accounts parley publishes to and listens on, how to connect them, and their queues' posting times",
    ),
    ("media", ("/media", "/workspace/media"), "Images: register, upload, check; the workspace's alt-text rule"),
    ("inbox", ("/inbox", "/answers"), "Replies and mentions in one inbox; approved answers keep one voice"),
    ("listeners", ("/listeners",), "Hashtags, keywords and mentions watched on a channel"),
    ("metrics", ("/metrics", "/campaigns"), "Engagement, clicks and campaigns; JSON or CSV"),
    ("workspace", ("/workspace",), "Hold and resume everything queued; alerts on spikes"),
    (
        "calendar",
        ("/calendar", "/me/calendar-feed"),
        "Deliveries by local day, and the iCalendar feed for calendar apps",
    ),
    ("team", ("/members", "/me"), "Members, their roles (admin, editor, contributor, viewer) and their API tokens"),
    ("webhooks", ("/webhooks",), "Endpoints told of events (signed, Standard Webhooks), their health and log"),
]


def _tag(path: str) -> str | None:
    matches = [(len(prefix), name) for name, prefixes, _ in TAGS for prefix in prefixes if path.startswith(prefix)]
    return max(matches)[1] if matches else None


def declare(document: dict[str, Any], public_paths: tuple[str, ...]) -> dict[str, Any]:
    """The document with every operation's answers declared (in place, and returned)."""
    document.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    document["tags"] = [{"name": name, "description": description} for name, _, description in TAGS]
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method not in WRITES | {"get"}:
                continue
            _declare_operation(method, path, operation, public=path in public_paths)
            tag = _tag(path)
            if tag:
                operation["tags"] = [tag]
    _link(document)
    schemas = document["components"]["schemas"]
    schemas.pop("HTTPValidationError", None)  # Powertools' 422 shape: parley's 422 is a Problem
    schemas.pop("ValidationError", None)
    schemas.pop("ResponseValidationError", None)  # referenced by no answer (a response that breaks its schema is a 500)
    return document


def _declare_operation(method: str, path: str, operation: dict[str, Any], *, public: bool) -> None:
    if (method, path) in FILE_BODIES:
        media_type, description = FILE_BODIES[(method, path)]
        schema = {"type": "string", "contentMediaType": media_type}
        operation["requestBody"] = {
            "required": True,
            "description": description,
            "content": {media_type: {"schema": schema, "examples": {"a week": {"value": FILE_EXAMPLES[media_type]}}}},
        }
    responses: dict[str, Any] = operation.setdefault("responses", {})
    ok = responses.pop("200", None) or {"description": "OK"}
    responses.pop("422", None)  # Powertools' own 422 shape; parley's is a Problem, declared below where it applies
    success = SUCCESS.get((method, path), {200: {}})
    for status, extra in success.items():
        answer = {"description": ok.get("description", "OK")} | extra
        if status not in NO_CONTENT and "content" in ok:
            answer["content"] = ok["content"]
        if (method, path) in SUCCESS_HEADERS:
            answer["headers"] = answer.get("headers", {}) | SUCCESS_HEADERS[(method, path)]
        responses[str(status)] = answer
    alternative = TEXT_ALTERNATIVES.get((method, path))
    if alternative:
        responses["200"].setdefault("content", {})[alternative] = {"schema": {"type": "string"}}

    statuses: set[int] = set()
    if public:
        operation["security"] = []  # the OAuth state (and its browser's cookie), or a feed's token, is the proof
        statuses |= set(
            PUBLIC_ANSWERS.get(path) or (CONSENT_ANSWERS if path.endswith("/consent") else CALLBACK_ANSWERS)
        )
    else:
        statuses |= {401, 429}
    if "{" in path:
        statuses.add(404)
    pages = _pages(operation)
    if method in WRITES or pages:
        statuses.add(400)
    if "requestBody" in operation:
        statuses |= {413, 415, 422}
    if operation.get("parameters"):
        statuses.add(422)
    if method in WRITES and not public:
        statuses |= {403, 409}
    if (method, path) in CALLS_A_NETWORK:
        statuses.add(503)
    if (method, path) in STARTS_A_CONNECTION:
        statuses |= {403, 409}
    if (method, path) in NAMES_RESOURCES:
        statuses.add(404)
    if (method, path) in MAY_BE_ABSENT:
        statuses.add(404)
    if (method, path) in OWNER_OR_ADMIN_READS:
        statuses.add(403)
    for status in statuses:
        cursor = status == 400 and pages
        example = {"problem": problem_examples.problem(status, method, path, cursor=cursor)}
        why = WHY_CURSOR if cursor else WHY[status]
        if (method, path) in FILE_BODIES:
            why = WHY_NOT_CSV.get(status, why)
        responses[str(status)] = {
            "description": why,
            "content": {PROBLEM: {"schema": PROBLEM_REF, "examples": example}},
        } | ({"headers": {"Retry-After": RETRY_AFTER}} if status in (429, 503) else {})
    _exemplify(method, path, responses)
    operation["responses"] = dict(sorted(responses.items()))


RETRY_AFTER = {"description": "Seconds to wait before trying again", "schema": {"type": "string"}}


def _pages(operation: dict[str, Any]) -> bool:
    """Whether an operation is a listing that pages: it takes a `cursor` in its query."""
    return any(p.get("in") == "query" and p.get("name") == "cursor" for p in operation.get("parameters", []))


def _exemplify(method: str, path: str, responses: dict[str, Any]) -> None:
    """Each success answer's example (http/examples.py), in a media type of its own (200 and 201 share one)."""
    for status, answer in responses.items():
        if not status.startswith("2") or "content" not in answer:
            continue
        content = {}
        for media_type, media in answer["content"].items():
            value = examples.success(method, path, int(status), media_type)
            content[media_type] = media | ({"examples": {"example": value}} if value is not None else {})
        answer["content"] = content
