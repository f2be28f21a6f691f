"""Issue 15 item 5 and the clamp of item 2: what a network answers never escapes an adapter as anything but
a typed network error, and every number a peer tells us is taken within bounds (parley.networks.boundary).
Each case here was an escape (ValueError, OverflowError, KeyError) or an unbounded number before."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import responses

from parley.networks import boundary
from parley.networks.base import Credential, PublishRequest, TransientNetworkError
from parley.networks.bluesky import BlueskyAdapter
from parley.networks.linkedin import LinkedInAdapter
from parley.networks.mastodon import (
    LimitsCache,
    MastodonAdapter,
    MastodonLimits,
    RateLimited,
    check_text,
    limits_from_instance,
)
from parley.networks.meta_containers import MAX_QUOTA, MAX_QUOTA_WINDOW, publishing_limit
from parley.networks.x import XAdapter, XClient, refresh_tokens
from parley.shared.clock import ManualClock
from tests.support.sessions import MemoryStore

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
REQUEST = PublishRequest(delivery_id="01jdelivery", text="Hello", due_at=NOW, look_first=False)
LOOKING = PublishRequest(delivery_id="01jdelivery", text="Hello", due_at=NOW, look_first=True)
RESET = 1772366400  # 2026-03-01 12:00 UTC
HUGE = "9" * 40

MASTODON = "http://127.0.0.1:3000"
PDS = "http://127.0.0.1:2583"
X_API = "http://127.0.0.1:4010"
LINKEDIN = "http://127.0.0.1:4020"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def mastodon() -> MastodonAdapter:
    credential = Credential("brand", "token", MASTODON)
    store = MemoryStore({"account_id": "1", "service_url": MASTODON})
    return MastodonAdapter(credential, store, ManualClock(NOW), requests.Session(), limits_cache=LimitsCache())


def bluesky() -> BlueskyAdapter:
    session = {"did": "did:plc:a", "handle": "a.test", "accessJwt": "a", "refreshJwt": "r"}
    store = MemoryStore({**session, "identifier": "a.test", "service_url": PDS})
    return BlueskyAdapter(Credential("a.test", "pw", PDS), store, clock=ManualClock(NOW), http=requests.Session())


def x() -> XAdapter:
    return XAdapter(Credential("2244994945", "token", X_API), MemoryStore(), ManualClock(NOW), requests.Session())


# -- rate-limit resets and retry-after values --------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-RateLimit-Reset": str(RESET * 1000)}, datetime.fromtimestamp(RESET, UTC)),  # milliseconds
        ({"X-RateLimit-Reset": HUGE}, NOW + boundary.MAX_WAIT),
        ({"Retry-After": HUGE}, NOW + boundary.MAX_WAIT),
        ({"Retry-After": "9999999999"}, NOW + boundary.MAX_WAIT),
    ],
)
def test_mastodon_takes_any_reset_and_retry_after_within_bounds(
    api: responses.RequestsMock, headers: dict[str, str], expected: datetime
) -> None:
    api.post(f"{MASTODON}/api/v1/statuses", status=429, headers=headers)
    api.get(f"{MASTODON}/api/v1/accounts/1/statuses", status=429, headers=headers)

    with pytest.raises(RateLimited) as publishing:
        mastodon().publish(REQUEST)
    with pytest.raises(RateLimited) as looking:  # find() read the same headers
        mastodon().publish(LOOKING)

    assert publishing.value.retry_at == looking.value.retry_at == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-rate-limit-reset": str(RESET * 1000)}, datetime.fromtimestamp(RESET, UTC)),
        ({"x-rate-limit-reset": HUGE}, NOW + boundary.MAX_WAIT),
        ({"x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": HUGE}, NOW + boundary.MAX_WAIT),
    ],
)
def test_x_takes_any_reset_within_bounds(
    api: responses.RequestsMock, headers: dict[str, str], expected: datetime
) -> None:
    api.post(f"{X_API}/2/tweets", status=429, headers=headers, json={"title": "Too Many Requests"})

    with pytest.raises(TransientNetworkError) as caught:
        x().publish(REQUEST)

    assert caught.value.retry_at == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"ratelimit-reset": str(RESET * 1000)}, datetime.fromtimestamp(RESET, UTC)),
        ({"ratelimit-reset": HUGE}, NOW + boundary.MAX_WAIT),
        ({"retry-after": HUGE}, NOW + boundary.MAX_WAIT),
    ],
)
def test_bluesky_takes_any_reset_and_retry_after_within_bounds(
    api: responses.RequestsMock, headers: dict[str, str], expected: datetime
) -> None:
    api.post(f"{PDS}/xrpc/com.atproto.repo.createRecord", status=429, headers=headers, json={"error": "RateLimit"})

    with pytest.raises(TransientNetworkError) as caught:
        bluesky().publish(REQUEST)

    assert caught.value.retry_at == expected


# -- answers of the wrong shape ------------------------------------------------------------------------------


def test_a_pds_that_answers_the_create_without_uri_is_transient(api: responses.RequestsMock) -> None:
    api.post(f"{PDS}/xrpc/com.atproto.repo.createRecord", json={"cid": "bafyrei"})

    with pytest.raises(TransientNetworkError, match="Bluesky"):
        bluesky().publish(REQUEST)


def test_a_pds_whose_record_has_no_uri_is_transient(api: responses.RequestsMock) -> None:
    api.get(f"{PDS}/xrpc/com.atproto.repo.getRecord", json={"cid": "bafyrei", "value": {}})

    with pytest.raises(TransientNetworkError, match="Bluesky"):
        bluesky().find(REQUEST)


def test_a_record_whose_value_has_the_wrong_shape_is_found_at_our_clock(api: responses.RequestsMock) -> None:
    api.get(f"{PDS}/xrpc/com.atproto.repo.getRecord", json={"uri": "at://x", "value": ["not", "a", "record"]})

    found = bluesky().find(REQUEST)

    assert found is not None and (found.remote_id, found.acknowledged_at) == ("at://x", NOW)


def test_a_body_cut_short_is_transient(api: responses.RequestsMock) -> None:
    api.post(f"{PDS}/xrpc/com.atproto.repo.createRecord", body=requests.exceptions.ChunkedEncodingError("cut"))
    api.post(f"{MASTODON}/api/v1/statuses", body=requests.exceptions.ContentDecodingError("bad gzip"))

    with pytest.raises(TransientNetworkError):
        bluesky().publish(REQUEST)
    with pytest.raises(TransientNetworkError):
        mastodon().publish(REQUEST)


def test_x_token_renewal_with_an_endless_expiry_is_kept_within_bounds(api: responses.RequestsMock) -> None:
    api.post(f"{X_API}/2/oauth2/token", json={"access_token": "new", "expires_in": 10**30, "refresh_token": "r2"})

    tokens = refresh_tokens(XClient("client", api_base=X_API), "r1", clock=ManualClock(NOW))

    assert tokens.expires_at is not None and tokens.expires_at <= NOW + boundary.MAX_TOKEN_LIFE


def test_linkedin_find_over_a_post_of_an_impossible_time_does_not_escape(api: responses.RequestsMock) -> None:
    post = {"id": "urn:li:share:1", "commentary": "Hello", "publishedAt": 10**30}
    api.get(f"{LINKEDIN}/rest/posts", json={"elements": [post]})

    found = LinkedInAdapter(Credential("urn:li:organization:1", "t", LINKEDIN), clock=ManualClock(NOW)).find(REQUEST)

    assert found is not None and found.remote_id == "urn:li:share:1"


# -- an instance's limits ------------------------------------------------------------------------------------


def test_an_instance_advertising_huge_limits_is_taken_within_bounds() -> None:
    statuses = {"max_characters": 10**12, "characters_reserved_per_url": 10**12, "max_media_attachments": 10**6}
    attachments = {"image_size_limit": 10**15, "supported_mime_types": ["image/png"]}

    limits = limits_from_instance({"configuration": {"statuses": statuses, "media_attachments": attachments}})

    assert limits.max_characters == boundary.MAX_STATUS_CHARACTERS
    assert limits.characters_reserved_per_url == boundary.MAX_URL_LENGTH
    assert limits.max_media_attachments == boundary.MAX_IMAGES
    assert limits.media is not None
    assert limits.media.max_images == boundary.MAX_IMAGES and limits.media.max_bytes == boundary.MAX_IMAGE_BYTES


@pytest.mark.parametrize(
    "instance",
    [
        {"configuration": []},
        {"configuration": {"statuses": "many", "media_attachments": 3}},
        {"configuration": {"media_attachments": {"supported_mime_types": 7}}},
        {"configuration": {"media_attachments": {"supported_mime_types": "image/png"}}},
    ],
)
def test_an_instance_answer_of_the_wrong_shape_keeps_the_defaults(instance: dict[str, Any]) -> None:
    limits = limits_from_instance(instance)

    assert limits.max_characters == 500 and limits.media is not None and limits.media.max_images == 4


def test_check_text_on_an_instance_with_huge_limits_counts_links_within_bounds(api: responses.RequestsMock) -> None:
    statuses = {"max_characters": 10**12, "characters_reserved_per_url": 10**12}
    api.get(f"{MASTODON}/api/v2/instance", json={"configuration": {"statuses": statuses}})

    assert mastodon().check_text("see https://example.com " * 3) == []


def test_limits_kept_on_a_channel_from_before_the_bounds_are_taken_within_them() -> None:
    limits = MastodonLimits(max_characters=10**12, characters_reserved_per_url=10**12, max_media_attachments=0)

    assert (limits.max_characters, limits.characters_reserved_per_url, limits.max_media_attachments) == (
        boundary.MAX_STATUS_CHARACTERS,
        boundary.MAX_URL_LENGTH,
        1,
    )
    assert check_text("see https://example.com", limits) == []


def test_a_meta_publishing_limit_is_taken_within_bounds() -> None:
    config = {"quota_total": 10**20, "quota_duration": 10**20}
    limit = publishing_limit({"data": [{"quota_usage": 10**20, "config": config}]}, 100)
    odd = publishing_limit({"data": [{"quota_usage": "many", "config": {"quota_total": -1, "quota_duration": 0}}]}, 100)

    assert (limit.used, limit.total, limit.window_seconds) == (MAX_QUOTA, MAX_QUOTA, MAX_QUOTA_WINDOW)
    assert (odd.used, odd.total, odd.window_seconds) == (0, 100, 86400)


# -- the numbers themselves ----------------------------------------------------------------------------------


def test_peer_numbers_are_clamped_and_odd_ones_ignored() -> None:
    assert boundary.peer_count(10**9, 4, low=1, high=20) == 20
    assert [boundary.peer_count(v, 4, low=1, high=20) for v in (None, "9", True, 0, -3, 2.5)] == [4] * 6
    assert boundary.after_seconds("120", NOW) == NOW + timedelta(seconds=120)
    assert boundary.after_seconds("-5", NOW) is None and boundary.after_seconds("٣", NOW) is None
    assert boundary.at_epoch(str(RESET), NOW) == datetime.fromtimestamp(RESET, UTC)
    assert boundary.at_http_date("Sun, 01 Mar 2026 12:00:00 GMT", NOW) == datetime.fromtimestamp(RESET, UTC)
    assert boundary.at_http_date("Fri, 31 Dec 9999 23:59:59 GMT", NOW) == NOW + boundary.MAX_WAIT
    assert boundary.at_http_date("not a date", NOW) is None
    assert boundary.epoch_millis(10**30) is None and boundary.epoch_millis(RESET * 1000) == datetime.fromtimestamp(
        RESET, UTC
    )
