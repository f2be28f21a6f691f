"""Calling the API function the way API Gateway does (REST proxy events), without a server."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    set_cookies: tuple[str, ...] = ()  # every Set-Cookie of the answer (`headers` keeps only one per name)


class FakeContext:
    function_name = "parley-api"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:parley-api"
    aws_request_id = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def api_event(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) or None
    # Bytes go as API Gateway passes a body that is not UTF-8 text: base64, flagged.
    encoded = isinstance(body, bytes)
    raw = (
        base64.b64encode(body).decode()
        if encoded
        else body
        if isinstance(body, str) or body is None
        else json.dumps(body)
    )
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return {
        "resource": "/{proxy+}",
        "path": parts.path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": {"proxy": parts.path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "stage": "local",
            "path": parts.path,
            "httpMethod": method,
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": raw,
        "isBase64Encoded": encoded,
    }


class ApiClient:
    """Drives `functions/api/handler.py` in-process with a bearer token."""

    def __init__(self, token: str | None = None) -> None:
        from functions.api.handler import lambda_handler

        self._handler = lambda_handler
        self.token = token

    def call(self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Answer:
        all_headers = dict(headers or {})
        if self.token:
            all_headers.setdefault("Authorization", f"Bearer {self.token}")
        result = self._handler(api_event(method, url, body, all_headers), FakeContext())
        text = result.get("body") or ""
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        headers = {k: v[-1] for k, v in (result.get("multiValueHeaders") or {}).items() if v}
        headers |= result.get("headers") or {}
        multi = result.get("multiValueHeaders") or {}
        set_cookies = tuple(v for k, values in multi.items() if k.lower() == "set-cookie" for v in values)
        return Answer(result["statusCode"], headers, parsed, set_cookies)
