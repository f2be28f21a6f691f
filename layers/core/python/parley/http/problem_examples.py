"""Examples of the problems (4xx/5xx) every operation may answer, one per status, worded as the API words
them, for the OpenAPI document (http/contract.py attaches them; the success answers are in http/examples.py).
Ids are made up but of the real forms."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from parley.shared import pagination

# A made-up id of each kind, by the path parameter that takes it.
IDS = {
    "post_id": "p_01m8zfz4eh0xe9b6728nrcrqad",
    "channel_id": "ch_01m8zg3q7k2v9x4t6b8n0c5dre",
    "media_id": "m_01m8zgb2xw5c0r7y3k9d4f6hta",
    "answer_id": "ans_01m8zh0v3n6q8s1t4w7y9b2c5e",
    "item_id": "in_4f1c9a0e7b2d5c8a3f6e9b1d4c",
    "listener_id": "lst_01m8zhq5c7e9g1j3l5n7p9r1t3",
    "member_id": "mem_01m8zj4r6t8v0x2z4b6d8f0h2k",
    "token_id": "tok_01m8zjm2p4r6t8v0x2z4b6d8f0",
    "webhook_id": "wh_01m8zk1a3c5e7g9j1l3n5q7s9u",
    "name": "spring-sale",
    "network": "linkedin",
    "series_id": "s_01m8zr3x5z7b9d1f3h5k7m9p1r",
}
WORKSPACE = "ws_01m8zf0d2f4h6k8m0p2r4t6v8x"

# What each status' problem says, as the API words it; {path} is the request's path.
_DETAILS: dict[int, tuple[str, str]] = {
    400: ("The body is not JSON", "The body is not valid JSON."),
    401: ("No token, or one that is revoked", "A valid bearer token is needed (unknown or revoked token)."),
    403: (
        "A viewer tried to change something",
        "this needs the editor role or higher; this token's member is a viewer",
    ),
    404: ("Not found, or another workspace's", "no such resource"),
    409: ("The resource's state is in the way", "nothing to edit: every delivery has gone out or ended"),
    413: ("Over 10 MB", "The request body is too large (API Gateway takes up to 10 MB)."),
    415: ("Not sent as JSON", "The body must be JSON (Content-Type: application/json)."),
    422: ("A field is not valid", "The request is not valid."),
    424: ("The network did not finish the connection", "LinkedIn refused the code: it expired; connect again."),
    429: ("Throttled: wait for Retry-After seconds", "Too many requests: slow down and retry after Retry-After."),
    503: (
        "The network is busy: nothing was recorded; retry after Retry-After seconds",
        "Bluesky is busy (rate limited); try again in 30 seconds.",
    ),
}
_NOT_FOUND = {
    "post_id": "no post {}",
    "channel_id": "no channel {}",
    "media_id": "no media {}",
    "answer_id": "no approved answer {}",
    "item_id": "no inbox item {}",
    "listener_id": "no listener {}",
    "member_id": "no member {}",
    "token_id": "no token {}",
    "webhook_id": "no webhook {}",
    "name": "no campaign {}",
    "network": "{} is not a network parley connects through a consent page",
    "series_id": "no series {}",
}


def instance(path: str) -> str:
    """The path as a request would give it, its parameters filled with made-up ids."""
    for parameter, value in IDS.items():
        path = path.replace("{" + parameter + "}", value)
    return path


def problem(status: int, method: str, path: str, *, cursor: bool = False) -> dict[str, Any]:
    """An Example Object of the problem a request to (method, path) gets with this status (`cursor`: the
    400 of a listing, for its cursor)."""
    summary, detail = _DETAILS[status]
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    if status == 404:
        named = [p for p in _NOT_FOUND if "{" + p + "}" in path] or ["channel_id"]  # or one the body names
        parameter = named[-1]
        detail = _NOT_FOUND[parameter].format(IDS[parameter])
    if status == 404 and path in _OWN_NOT_FOUND:
        detail = _OWN_NOT_FOUND[path]
    if status == 403 and method == "get":
        detail = "only the member themselves or an admin may see this"
    body["detail"] = detail
    if status != 401:
        body["instance"] = instance(path)
    if status == 403 and method != "get":
        body |= {"needed_role": "editor", "role": "viewer"}
    if status == 409 and path.startswith("/posts"):
        body["deliveries"] = {IDS["channel_id"]: "published"}
    if status == 409 and not path.startswith("/posts"):
        body["detail"] = "The resource's state does not allow this now."
    if status == 422:
        body["errors"] = [_bad_field(method, path)]
    if status == 400 and path.endswith(("/callback", "/consent")):
        summary, body = _refused_state(path, body)
    if cursor:
        summary, body["detail"] = "The cursor is not one this listing gave out", pagination.DETAIL
        body["errors"] = [{"field": "cursor", "reason": pagination.REASON}]
    return {"summary": summary, "value": body}


# What a 404 says on paths that name no id of their own (parley.team.feeds).
_OWN_NOT_FOUND = {
    "/calendar.ics": "no calendar feed has this token: it was revoked or replaced, or never existed",
    "/me/calendar-feed": "you have no calendar feed",
}
# A query field each of these is often refused for, and why.
_QUERY_FIELDS = {
    "/calendar": ("tz", "unknown time zone 'Europe/Pariss' (use an IANA name such as Europe/Paris)"),
    "/calendar.ics": ("token", "Field required"),
}


# How a connection's state is refused at its consent link and at its callback (parley.connect.states).
_START = "start again with GET /channels/{}/connect"
_ELSEWHERE = (
    "was issued to another browser: a connection must be finished in the browser that started it (the one that "
    "called GET /channels/{0}/connect, or that opened its connect_url); nothing was connected. To connect from "
    "this browser, start again with GET /channels/{0}/connect and open its connect_url here"
)


def _refused_state(path: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    network = "x" if "/x/" in path else IDS["network"]
    title = "X" if network == "x" else "LinkedIn"
    if path.endswith("/consent"):
        summary = "The consent link was opened before (it works once, in one browser)"
        reason = f"was already opened: a consent link works once, in one browser; {_START.format(network)}"
    else:
        summary = "Another browser: the connection must be finished in the browser that started it"
        reason = _ELSEWHERE.format(network)
    detail = f"The {title} account was not connected."
    return summary, body | {"detail": detail, "errors": [{"field": "state", "reason": reason}]}


# A field a body without path parameters is often refused for, and why.
_BODY_FIELDS = {
    "/answers": ("text", "String should have at least 1 character"),
    "/channels": ("identifier", "Bluesky needs identifier and app_password"),
    "/listeners": ("value", "a hashtag needs a value"),
    "/media": ("size", "Input should be less than or equal to 10000000"),
    "/members": ("role", "Input should be 'viewer', 'contributor', 'editor' or 'admin'"),
    "/webhooks": ("url", "must resolve to public addresses only"),
    "/workspace/alerts": ("k", "Input should be greater than 0"),
    "/workspace/media": ("require_alt_text", "Input should be a valid boolean"),
}


def _bad_field(method: str, path: str) -> dict[str, str]:
    if path.startswith("/posts") and method != "get":
        return {"field": "publish_at", "pointer": "/publish_at", "reason": "is in the past"}
    if path in _BODY_FIELDS and method != "get":
        field, reason = _BODY_FIELDS[path]
        return {"field": field, "pointer": "/" + field, "reason": reason}
    if path in _QUERY_FIELDS:
        field, reason = _QUERY_FIELDS[path]
        return {"field": field, "reason": reason}
    parameters = [p for p in IDS if "{" + p + "}" in path]
    if parameters:
        return {"field": parameters[-1], "reason": "is not a parley id (letters, digits, '_' and '-', 1-100 of them)"}
    return {"field": "limit", "reason": "Input should be less than or equal to 100"}
