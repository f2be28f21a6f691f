"""The outbound fetcher (`parley.shared.outbound`) as a `requests` transport, for code that speaks to a server
someone else chose through `requests`: the Mastodon instance and the Bluesky PDS a channel names in its
`service_url` (issue 15 item 2). Every request, redirects included, passes the fetcher's rules: public
addresses only (or the allow-list), a connection to the address that was checked, credentials dropped on a
redirect to another origin, a time budget held inside every read and a size budget on the answer.

    http = outbound_requests.session()           # a requests.Session; use it as any other
    http.get(url, headers=..., timeout=10)      # `timeout` becomes the whole request's time budget

What the fetcher refuses surfaces as requests' own exceptions, so callers keep one way of handling them:
a refused address is `InvalidURL` (with the reason), a spent budget `ReadTimeout`, anything else
`ConnectionError`. The answer is read whole (no streaming) and never decompressed.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from parley.shared import outbound
from parley.shared.errors import OutboundFailed, OutboundRefused, OutboundTimedOut, OutboundTooLarge

DEFAULT_SECONDS = 30.0  # when a caller gives no timeout: a request without a budget is not made
MAX_BYTES = 16 * 1024 * 1024  # of one answer: far above what a network's API answers, far below harm


class GuardedTransport(BaseAdapter):
    """A transport that sends every request through `outbound.fetch` (mount it for http:// and https://)."""

    def __init__(self, *, max_bytes: int = MAX_BYTES, allow: Iterable[str] | None = None) -> None:
        super().__init__()
        self._max_bytes = max_bytes
        self._allow = tuple(allow) if allow is not None else None

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        url = request.url or ""
        budget = outbound.Budget(seconds=budget_seconds(timeout), max_bytes=self._max_bytes)
        try:
            answer = outbound.fetch(
                request.method or "GET",
                url,
                headers=dict(request.headers),
                body=_body_bytes(request.body),
                budget=budget,
                allow=self._allow,
            )
        except OutboundRefused as exc:
            raise requests.exceptions.InvalidURL(str(exc), request=request) from exc
        except OutboundTimedOut as exc:
            raise requests.exceptions.ReadTimeout(str(exc), request=request) from exc
        except OutboundTooLarge as exc:
            too_large = f"the answer is larger than {self._max_bytes} bytes"
            raise requests.exceptions.ConnectionError(too_large, request=request) from exc
        except OutboundFailed as exc:
            raise requests.exceptions.ConnectionError(str(exc), request=request) from exc
        return _response(request, answer)

    def close(self) -> None:
        """Nothing to close: the fetcher opens one connection per request and closes it."""


def session(*, max_bytes: int = MAX_BYTES, allow: Iterable[str] | None = None) -> requests.Session:
    """A `requests.Session` whose every request goes through the outbound fetcher. Redirects are followed
    (and checked) by the fetcher itself; the environment's proxies and .netrc are not consulted."""
    http = requests.Session()
    http.trust_env = False
    transport = GuardedTransport(max_bytes=max_bytes, allow=allow)
    http.mount("http://", transport)
    http.mount("https://", transport)
    return http


def budget_seconds(timeout: Any) -> float:
    """requests' `timeout` (seconds, or a (connect, read) pair) as one budget for the whole request."""
    if timeout is None:
        return DEFAULT_SECONDS
    if isinstance(timeout, tuple):
        return float(sum(part for part in timeout if part is not None)) or DEFAULT_SECONDS
    return float(timeout)


def _body_bytes(body: Any) -> bytes | None:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):  # a file given as `data=`
        return bytes(body.read())
    return b"".join(part if isinstance(part, bytes) else str(part).encode("utf-8") for part in body)


def _response(request: requests.PreparedRequest, answer: outbound.Response) -> requests.Response:
    response = requests.Response()
    response.status_code = answer.status
    headers = answer.headers
    merged = headers.itermerged() if hasattr(headers, "itermerged") else headers.items()  # repeated names joined
    response.headers = CaseInsensitiveDict(dict(merged))
    response._content = answer.body  # read whole by the fetcher (the budget counted it)
    response.raw = io.BytesIO(answer.body)
    response.url = answer.url
    response.request = request
    response.encoding = get_encoding_from_headers(response.headers)
    try:
        response.reason = HTTPStatus(answer.status).phrase
    except ValueError:
        response.reason = ""
    return response
