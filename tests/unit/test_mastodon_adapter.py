"""The Mastodon adapter's error classification and lookups on a fake instance (`responses`: no sockets).
Publishing for real runs against mastodon_mock in tests/integration/test_mastodon_adapter.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import responses

from parley.networks.base import (
    Attachment,
    Credential,
    InvalidCredential,
    PermanentNetworkError,
    PublishRequest,
    TransientNetworkError,
)
from parley.networks.mastodon import LimitsCache, MastodonAdapter, MastodonLimits, RateLimited, idempotency_key
from parley.shared.clock import ManualClock
from tests.support.images import png
from tests.support.sessions import MemoryStore

INSTANCE = "http://127.0.0.1:3000"
TOKEN = "mastodon-token-s3cret"
CREDENTIAL = Credential("brand", TOKEN, INSTANCE)
DUE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
REQUEST = PublishRequest(delivery_id="01jdelivery", text="Hello #launch", due_at=DUE, look_first=False)
STATUS = {"id": "109", "url": f"{INSTANCE}/@brand/109", "created_at": "2026-03-01T09:00:01.000Z"}


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def adapter(cache: LimitsCache | None = None, clock: ManualClock | None = None) -> MastodonAdapter:
    return MastodonAdapter(
        CREDENTIAL, MemoryStore(), clock or ManualClock(DUE), requests.Session(), limits_cache=cache or LimitsCache()
    )


def test_publish_sends_the_idempotency_key_of_the_delivery(api: responses.RequestsMock) -> None:
    api.post(f"{INSTANCE}/api/v1/statuses", json=STATUS)

    published = adapter().publish(REQUEST)

    sent = api.calls[0].request
    assert sent.headers["Idempotency-Key"] == idempotency_key("01jdelivery")
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert (published.remote_id, published.url) == ("109", f"{INSTANCE}/@brand/109")


def test_a_429_defers_until_the_iso_reset_time_mastodon_sends(api: responses.RequestsMock) -> None:
    headers = {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "2026-03-01T12:00:00.000Z",
    }
    api.post(f"{INSTANCE}/api/v1/statuses", json={"error": "Too many requests"}, status=429, headers=headers)

    with pytest.raises(RateLimited) as caught:
        adapter().publish(REQUEST)

    assert caught.value.retry_at == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert len(api.calls) == 1


def test_a_429_with_an_epoch_reset_or_only_retry_after_is_understood(api: responses.RequestsMock) -> None:
    api.post(f"{INSTANCE}/api/v1/statuses", status=429, headers={"X-RateLimit-Reset": "1772366400"})
    api.post(f"{INSTANCE}/api/v1/statuses", status=429, headers={"Retry-After": "120"})

    with pytest.raises(RateLimited) as first:
        adapter().publish(REQUEST)
    with pytest.raises(RateLimited) as second:
        adapter().publish(REQUEST)

    assert first.value.retry_at == datetime.fromtimestamp(1772366400, UTC)
    assert second.value.retry_at == DUE + timedelta(seconds=120)


@pytest.mark.parametrize("status", [500, 502, 503, 409])
def test_server_trouble_is_transient(api: responses.RequestsMock, status: int) -> None:
    api.post(f"{INSTANCE}/api/v1/statuses", json={"error": "x"}, status=status)

    with pytest.raises(TransientNetworkError) as caught:
        adapter().publish(REQUEST)

    assert not isinstance(caught.value, PermanentNetworkError)


def test_a_timeout_is_transient(api: responses.RequestsMock) -> None:
    api.post(f"{INSTANCE}/api/v1/statuses", body=requests.ConnectTimeout())

    with pytest.raises(TransientNetworkError, match="did not answer in time"):
        adapter().publish(REQUEST)


def test_a_401_is_a_dead_token(api: responses.RequestsMock) -> None:
    api.post(f"{INSTANCE}/api/v1/statuses", json={"error": "The access token was revoked"}, status=401)

    with pytest.raises(InvalidCredential, match="connect the account again"):
        adapter().publish(REQUEST)


def test_a_token_without_the_write_scope_needs_a_new_connection(api: responses.RequestsMock) -> None:
    api.post(f"{INSTANCE}/api/v1/statuses", json={"error": "This action is outside the authorized scopes"}, status=403)

    with pytest.raises(InvalidCredential, match="write scope"):
        adapter().publish(REQUEST)


def test_a_refused_text_is_permanent_with_mastodons_reason(api: responses.RequestsMock) -> None:
    error = {"error": "Validation failed: Text character limit of 500 exceeded"}
    api.post(f"{INSTANCE}/api/v1/statuses", json=error, status=422)

    with pytest.raises(PermanentNetworkError, match="character limit of 500") as caught:
        adapter().publish(REQUEST)

    assert not isinstance(caught.value, InvalidCredential)


def test_a_garbled_answer_is_transient(api: responses.RequestsMock) -> None:
    api.post(f"{INSTANCE}/api/v1/statuses", body='{"error": "truncated', status=200)

    with pytest.raises(TransientNetworkError, match="unexpected"):
        adapter().publish(REQUEST)


def test_find_matches_the_html_content_of_a_recent_status(api: responses.RequestsMock) -> None:
    api.get(f"{INSTANCE}/api/v1/accounts/verify_credentials", json={"id": "7", "username": "brand"})
    content = (
        '<p>Launch &amp; more: <a href="https://example.com/x"><span class="invisible">https://</span>'
        '<span class="">example.com/x</span></a></p>'
    )
    api.get(
        f"{INSTANCE}/api/v1/accounts/7/statuses",
        json=[
            {"id": "9", "content": "<p>other</p>", "created_at": "2026-03-01T09:00:02Z"},
            {"id": "8", "content": content, "created_at": "2026-03-01T09:00:01Z", "url": f"{INSTANCE}/@brand/8"},
        ],
    )

    found = adapter().find(PublishRequest("01jd", "Launch & more: https://example.com/x", DUE, look_first=True))

    assert found is not None and found.remote_id == "8" and found.already_there


def test_find_ignores_a_same_text_status_from_before_the_delivery_was_due(api: responses.RequestsMock) -> None:
    api.get(f"{INSTANCE}/api/v1/accounts/verify_credentials", json={"id": "7", "username": "brand"})
    api.get(
        f"{INSTANCE}/api/v1/accounts/7/statuses",
        json=[{"id": "5", "content": "<p>Hello #launch</p>", "created_at": "2026-02-28T09:00:00Z"}],
    )

    assert adapter().find(REQUEST) is None


def test_check_text_uses_the_instances_limits_and_asks_once(api: responses.RequestsMock) -> None:
    api.get(
        f"{INSTANCE}/api/v2/instance",
        json={"configuration": {"statuses": {"max_characters": 1000, "characters_reserved_per_url": 23}}},
    )
    subject = adapter()

    assert subject.check_text("a" * 900) == []
    assert subject.check_text("a" * 1001) != []
    assert subject.limits() == MastodonLimits(max_characters=1000)
    assert len(api.calls) == 1
    assert "Authorization" not in api.calls[0].request.headers


def test_check_text_falls_back_to_the_defaults_when_the_instance_is_down(api: responses.RequestsMock) -> None:
    api.get(f"{INSTANCE}/api/v2/instance", status=503)

    assert adapter().check_text("a" * 501) != []
    assert adapter().check_text("a" * 500) == []


def test_the_token_never_reaches_the_logs(api: responses.RequestsMock, caplog: pytest.LogCaptureFixture) -> None:
    api.post(f"{INSTANCE}/api/v1/statuses", json={"error": "The access token is invalid"}, status=401)
    api.get(f"{INSTANCE}/api/v2/instance", status=503)
    caplog.set_level("DEBUG")

    with pytest.raises(InvalidCredential) as caught:
        adapter().publish(REQUEST)
    adapter().check_text("hello")

    assert TOKEN not in caplog.text
    assert TOKEN not in caught.value.reason


# -- look-first finds our own post (issue 15 item 6) ---------------------------------------------------------

REMOTE_MENTION_TEXT = "Thanks @Alice@example.social and @bob for the launch!"
# Mastodon renders a resolved mention as a link showing the username only (the account's `acct` is in
# `mentions`): https://docs.joinmastodon.org/entities/Status/#content and #mentions.
RENDERED_MENTIONS = (
    '<p>Thanks <span class="h-card" translate="no"><a href="https://example.social/@alice" class="u-url mention">'
    '@<span>alice</span></a></span> and <span class="h-card" translate="no"><a href="http://127.0.0.1:3000/@bob" '
    'class="u-url mention">@<span>bob</span></a></span> for the launch!</p>'
)
MENTIONS = [
    {"id": "21", "username": "alice", "acct": "alice@example.social", "url": "https://example.social/@alice"},
    {"id": "22", "username": "bob", "acct": "bob", "url": f"{INSTANCE}/@bob"},
]


def _statuses(api: responses.RequestsMock, *statuses: dict[str, Any]) -> None:
    api.get(f"{INSTANCE}/api/v1/accounts/verify_credentials", json={"id": "7", "username": "brand"})
    api.get(f"{INSTANCE}/api/v1/accounts/7/statuses", json=list(statuses))


def _picture(description: str) -> dict[str, Any]:
    return {"id": "31", "type": "image", "url": f"{INSTANCE}/media/31.png", "description": description}


def test_find_matches_a_status_whose_remote_mention_mastodon_shows_as_the_username(
    api: responses.RequestsMock,
) -> None:
    status = {"id": "8", "content": RENDERED_MENTIONS, "mentions": MENTIONS, "created_at": "2026-03-01T09:00:01Z"}
    _statuses(api, status)

    found = adapter().publish(PublishRequest("01jmention", REMOTE_MENTION_TEXT, DUE, look_first=True))

    assert found.already_there and found.remote_id == "8"
    assert [call.request.method for call in api.calls] == ["GET", "GET"]  # found: nothing posted


def test_find_matches_our_image_status_and_not_one_with_other_images(api: responses.RequestsMock) -> None:
    ours = {
        "id": "8",
        "content": "<p>The new office</p>",
        "media_attachments": [_picture("The front door")],
        "created_at": "2026-03-01T09:00:01Z",
    }
    _statuses(api, ours)
    image = Attachment(png(), "image/png", alt="The front door")

    found = adapter().find(PublishRequest("01jimg", "The new office", DUE, True, images=(image,)))
    two = adapter().find(PublishRequest("01jimg", "The new office", DUE, True, images=(image, image)))
    other = adapter().find(
        PublishRequest("01jimg", "The new office", DUE, True, images=(Attachment(png(), "image/png", alt="A map"),))
    )
    none = adapter().find(PublishRequest("01jimg", "The new office", DUE, True))

    assert found is not None and found.remote_id == "8"
    assert (two, other, none) == (None, None, None)


def test_a_same_text_status_with_a_remote_mention_from_before_the_window_is_not_ours(
    api: responses.RequestsMock,
) -> None:
    status = {"id": "5", "content": RENDERED_MENTIONS, "mentions": MENTIONS, "created_at": "2026-02-28T09:00:00Z"}
    _statuses(api, status)

    assert adapter().find(PublishRequest("01jmention", REMOTE_MENTION_TEXT, DUE, look_first=True)) is None
