"""The local API Gateway (`infra/local/http_front.py`) turns HTTP requests into REST proxy events for
the api function, and its answers back into HTTP. A stand-in api function echoes what it was given."""

from __future__ import annotations

import base64
import http.client
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from infra.local.functions import FunctionRegistry
from infra.local.http_front import HttpFront
from parley.shared.clock import ManualClock
from parley.shared.names import Function

START = datetime(2030, 5, 1, 8, 30, tzinfo=UTC)


@dataclass
class Api:
    """Records each event; answers with `reply(event)` (by default, the event echoed as JSON)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)
    reply: Callable[[dict[str, Any]], Any] | None = None

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        if self.reply is not None:
            return self.reply(event)
        return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}


@dataclass
class Front:
    server: HttpFront
    api: Api
    web: Api = field(default_factory=Api)  # the web app's function: `/` and `/app/...`

    def url(self, path: str) -> str:
        return self.server.url + path


@pytest.fixture(scope="module")
def front() -> Iterator[Front]:
    """The front alone (the runtime starts the same object in front of the real api function)."""
    api = Api()
    functions = FunctionRegistry(functions_dir=None)
    web = Api()
    functions.register(Function.API, api)
    functions.register(Function.WEB, web)
    server = HttpFront(functions, ManualClock(START)).start()
    yield Front(server, api, web)
    server.stop()


@pytest.fixture(autouse=True)
def fresh_api(front: Front) -> None:
    for function in (front.api, front.web):
        function.events.clear()
        function.contexts.clear()
        function.reply = None


def test_method_path_query_headers_and_body_reach_the_function_as_a_proxy_event(front: Front) -> None:
    # When a client posts JSON with a query string and repeated headers
    response = requests.post(
        front.url("/posts/p%201/deliveries?limit=5&label=a&label=b&empty="),
        data=json.dumps({"text": "héllo"}).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer t0ken", "Idempotency-Key": "k-1"},
        timeout=10,
    )

    # Then the function saw an API Gateway REST proxy event
    assert response.status_code == 200
    [event] = front.api.events
    assert event["httpMethod"] == "POST"
    assert event["path"] == "/posts/p 1/deliveries"
    assert event["resource"] == "/{proxy+}"
    assert event["pathParameters"] == {"proxy": "posts/p 1/deliveries"}
    assert event["queryStringParameters"] == {"limit": "5", "label": "b", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"limit": ["5"], "label": ["a", "b"], "empty": [""]}
    assert event["headers"]["Authorization"] == "Bearer t0ken"
    assert event["headers"]["Idempotency-Key"] == "k-1"
    assert event["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert json.loads(event["body"]) == {"text": "héllo"}
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "local"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestTimeEpoch"] == int(START.timestamp() * 1000)
    assert context["path"] == "/local/posts/p 1/deliveries"
    assert context["requestId"]
    # And a Lambda context fit for Powertools
    lambda_context = front.api.contexts[0]
    assert lambda_context.function_name == "parley-api"
    assert lambda_context.invoked_function_arn.endswith(":function:parley-api")
    assert lambda_context.get_remaining_time_in_millis() > 0


def test_a_get_without_query_or_body_has_null_fields(front: Front) -> None:
    requests.get(front.url("/"), timeout=10)

    [event] = front.web.events
    assert (event["httpMethod"], event["path"], event["resource"]) == ("GET", "/", "/")
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["body"] is None


def test_the_web_apps_paths_go_to_the_web_function_and_its_files_are_served(front: Front) -> None:
    for path in ("/", "/app/", "/app/calendar?view=month"):
        assert requests.get(front.url(path), timeout=10).status_code == 200
    for path in ("/posts", "/app", "/application"):  # as on AWS: `/`, `/app` and `/app/{proxy+}` only
        requests.get(front.url(path), timeout=10)
    assert [e["path"] for e in front.web.events] == ["/", "/app/", "/app/calendar", "/app"]
    assert [e["path"] for e in front.api.events] == ["/posts", "/application"]

    css = requests.get(front.url("/static/app.css"), timeout=10)
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css") and b"--ink" in css.content
    for raw in ("/static/../pyproject.toml", "/static/%2e%2e/%2e%2e/pyproject.toml", "/static/vendor/"):
        connection = http.client.HTTPConnection(urlsplit(front.server.url).netloc, timeout=10)
        connection.request("GET", raw)  # as sent, not normalized by a client
        assert connection.getresponse().status == 404, raw
        connection.close()
    assert front.api.events[2:] == [] and front.web.events[4:] == []  # files never reach a function


def test_the_functions_answer_becomes_the_http_response(front: Front) -> None:
    front.api.reply = lambda event: {
        "statusCode": 201,
        "headers": {"Content-Type": "application/problem+json", "Location": "/posts/p-2"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps({"id": "p-2"}),
        "isBase64Encoded": False,
    }

    response = requests.put(front.url("/posts/p-2"), json={"x": 1}, timeout=10)

    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Location"] == "/posts/p-2"
    assert response.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.json() == {"id": "p-2"}


def test_binary_bodies_travel_base64_both_ways(front: Front) -> None:
    image = b"\x89PNG\r\n\x1a\n\x00\xff"
    front.api.reply = lambda event: {
        "statusCode": 200,
        "headers": {"Content-Type": "image/png"},
        "body": event["body"],
        "isBase64Encoded": True,
    }

    response = requests.post(front.url("/media"), data=image, headers={"Content-Type": "image/png"}, timeout=10)

    [event] = front.api.events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == image
    assert response.content == image


def test_a_function_that_raises_gives_api_gateways_502(front: Front) -> None:
    def broken(event: dict[str, Any]) -> Any:
        raise RuntimeError("bug")

    front.api.reply = broken

    response = requests.delete(front.url("/posts/p-3"), timeout=10)

    assert response.status_code == 502
    assert response.json() == {"message": "Internal server error"}


def test_requests_in_parallel_are_all_answered(front: Front) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda i: requests.get(front.url(f"/n/{i}"), timeout=10).status_code, range(16)))

    assert statuses == [200] * 16
    assert sorted(e["path"] for e in front.api.events) == sorted(f"/n/{i}" for i in range(16))
