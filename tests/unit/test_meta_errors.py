"""How Meta's Graph API errors read (parley.networks.meta_containers.classify), from the shapes recorded in
tests/support/instagram_recorded.py and threads_recorded.py; and the publishing limit's answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from parley.networks.base import InvalidCredential, PermanentNetworkError, TransientNetworkError
from parley.networks.meta_containers import Gone, NotGranted, classify, publishing_limit
from tests.support import instagram_recorded as ig
from tests.support import threads_recorded as th

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers.update(headers or {})
    return response


def test_code_190_is_an_invalid_credential() -> None:
    assert isinstance(classify("Instagram", _response(400, ig.TOKEN_EXPIRED_190), "publish", NOW), InvalidCredential)
    assert isinstance(classify("Threads", _response(400, th.TOKEN_EXPIRED_190), "publish", NOW), InvalidCredential)


def test_throttling_defers_to_the_time_the_usage_header_or_retry_after_gives() -> None:
    error = classify("Instagram", _response(400, ig.RATE_LIMITED, ig.RATE_LIMIT_HEADERS), "publish", NOW)
    assert isinstance(error, TransientNetworkError) and error.retry_at == NOW + timedelta(minutes=17)
    error = classify("Threads", _response(400, th.RATE_LIMITED, th.RETRY_AFTER_HEADERS), "publish", NOW)
    assert isinstance(error, TransientNetworkError) and error.retry_at == NOW + timedelta(seconds=600)


def test_throttling_without_a_time_still_defers_never_at_once() -> None:
    for code in (4, 17, 32, 613):
        error = classify("Instagram", _response(400, {"error": {"message": "limit", "code": code}}), "publish", NOW)
        assert isinstance(error, TransientNetworkError) and error.retry_at is not None and error.retry_at > NOW


def test_the_daily_publishing_limit_defers_an_hour() -> None:
    body = {"error": {"message": "limit", "code": 9, "error_subcode": 2207042}}
    error = classify("Instagram", _response(400, body), "publish", NOW)
    assert isinstance(error, TransientNetworkError) and error.retry_at == NOW + timedelta(hours=1)


def test_media_not_ready_and_server_trouble_are_transient() -> None:
    not_ready = classify("Instagram", _response(400, {"error": {"message": "not ready", "code": 9007}}), "x", NOW)
    assert isinstance(not_ready, TransientNetworkError) and not_ready.retry_at is not None
    trouble = classify("Threads", _response(500, {"error": {"message": "oops", "code": 2}}), "x", NOW)
    assert isinstance(trouble, TransientNetworkError) and trouble.retry_at is None  # the usual backoff


def test_gone_not_granted_and_refused() -> None:
    gone = {"error": {"message": "does not exist", "code": 100, "error_subcode": 33}}
    assert isinstance(classify("Instagram", _response(400, gone), "read", NOW), Gone)
    denied = {"error": {"message": "(#10) Permission denied", "code": 10}}
    assert isinstance(classify("Instagram", _response(403, denied), "read", NOW), NotGranted)
    refused = classify("Instagram", _response(400, {"error": {"message": "Invalid caption", "code": 100}}), "x", NOW)
    assert type(refused) is PermanentNetworkError and "Invalid caption" in refused.reason


def test_publishing_limit_answers() -> None:
    limit = publishing_limit(ig.CONTENT_PUBLISHING_LIMIT, 100)
    assert (limit.used, limit.total, limit.window_seconds) == (2, 100, 86400)
    assert publishing_limit({"data": []}, 250).total == 250  # nothing said: the documented default
