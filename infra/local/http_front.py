"""The local API Gateway: HTTP requests on 127.0.0.1 become REST API (v1) proxy events for
`functions/api` (`/` and `/app/...`: `functions/web`, the web app), whose answer becomes the HTTP response;
`/static/...` are the web app's files (static_files.py), as CloudFront serves them on AWS.

The API is mounted as one `/{proxy+}` resource (and `/`), stage `local`. A request body is passed as
text when it is UTF-8 and its media type is textual; otherwise base64 with `isBase64Encoded` (as API
Gateway does for binary media types). A handler that raises or answers malformed gets API Gateway's
502 `{"message": "Internal server error"}`.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from parley.shared.clock import Clock
from parley.shared.names import SHORT_LINK_PATH, Function

from . import aws, static_files
from .functions import FunctionRegistry

log = logging.getLogger("parley.local.http")

STAGE = "local"
_TEXT_TYPES = (
    "application/json",
    "application/x-www-form-urlencoded",
    "application/xml",
    "application/javascript",
    "application/problem+json",
    "application/merge-patch+json",
)
_HOP_BY_HOP = {"connection", "content-length", "transfer-encoding", "keep-alive"}


def _is_text(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return not media_type or media_type.startswith("text/") or media_type in _TEXT_TYPES or media_type.endswith("+json")


def build_event(
    *,
    method: str,
    raw_path: str,
    headers: list[tuple[str, str]],
    body: bytes,
    source_ip: str,
    request_time_ms: int,
) -> dict[str, Any]:
    """The API Gateway REST (v1) proxy event for one HTTP request."""
    split = urlsplit(raw_path)
    path = unquote(split.path) or "/"
    single_headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        single_headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in parse_qsl(split.query, keep_blank_values=True):
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    text: str | None = None
    is_base64 = False
    if body:
        if _is_text(content_type):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:
            text = base64.b64encode(body).decode("ascii")
            is_base64 = True
    resource = "/" if path == "/" else "/{proxy+}"
    user_agent = next((v for k, v in headers if k.lower() == "user-agent"), None)
    request_id = str(uuid.uuid4())
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": single_headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None if path == "/" else {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": request_id,
            "requestTime": _request_time(request_time_ms),
            "path": f"/{STAGE}{path}",
            "accountId": aws.ACCOUNT,
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": "localhost",
            "requestTimeEpoch": request_time_ms,
            "requestId": request_id,
            "identity": {"sourceIp": source_ip, "userAgent": user_agent},
            "domainName": "localhost",
            "apiId": "local",
        },
        "body": text,
        "isBase64Encoded": is_base64,
    }


def _request_time(epoch_ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def response_parts(result: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and body bytes from a proxy integration's answer (ValueError when malformed)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        raise ValueError("the handler's answer has no statusCode")
    status = int(result["statusCode"])
    headers: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, values in (result.get("multiValueHeaders") or {}).items():
        seen.add(name.lower())
        headers += [(name, str(v)) for v in values]
    for name, value in (result.get("headers") or {}).items():
        if name.lower() not in seen:
            headers.append((name, str(value)))
    headers = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = str(body).encode("utf-8")
    return status, headers, data


class HttpFront:
    """An HTTP server on 127.0.0.1 in front of the `api` function (threaded; the function registry
    serializes invocations)."""

    def __init__(
        self,
        functions: FunctionRegistry,
        clock: Clock,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        function: Function | str = Function.API,
    ) -> None:
        self.functions = functions
        self.clock = clock
        self.function = str(function)
        self._host = host
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the HTTP front is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> HttpFront:
        front = self

        class Handler(_ProxyHandler):
            pass

        Handler.front = front
        self._server = ThreadingHTTPServer((self._host, self._port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="parley-http", daemon=True
        )
        self._thread.start()
        log.info("API on %s", self.url)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def handle(self, event: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
        function = self.function
        path = str(event.get("path", ""))
        if function == Function.API.value and path.startswith(SHORT_LINK_PATH):
            function = Function.REDIRECT.value  # API Gateway's public /l/{code} route (infra/parley_cdk/api.py)
        elif function == Function.API.value and (path in ("/", "/app") or path.startswith("/app/")):
            function = (
                Function.WEB.value
            )  # the web app's routes: `/`, `/app` and `/app/{proxy+}`, as API Gateway routes them (docs/web.md)
        try:
            result = self.functions.invoke(function, event, clock=self.clock)
            return response_parts(result)
        except Exception:
            log.exception("the api function failed on %s %s", event.get("httpMethod"), event.get("path"))
            body = json.dumps({"message": "Internal server error"}).encode()
            return 502, [("Content-Type", "application/json")], body


class _ProxyHandler(BaseHTTPRequestHandler):
    front: HttpFront
    protocol_version = "HTTP/1.1"
    server_version = "parley-local"

    def _serve(self) -> None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self._reply(411, [("Content-Type", "application/json")], b'{"message":"Length Required"}')
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if static_files.is_static(self.path):  # the web app's files, as CloudFront serves them from S3 on AWS
            self._reply(*static_files.serve(self.command, self.path))
            return
        event = build_event(
            method=self.command,
            raw_path=self.path,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
            request_time_ms=int(self.front.clock.now().timestamp() * 1000),
        )
        status, headers, data = self.front.handle(event)
        self._reply(status, headers, data)

    def _reply(self, status: int, headers: list[tuple[str, str]], data: bytes) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and data:
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def __getattr__(self, name: str) -> Any:
        # Any other method (TRACE, QUERY, ...) reaches the API too, as API Gateway's ANY method passes it on:
        # the API answers 405 with the methods the path takes.
        if name.startswith("do_") and name[3:].isalpha() and name[3:].isupper():
            return self._serve
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.client_address[0], *args)
