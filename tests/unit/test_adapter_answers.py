"""Any answer to any request: every adapter returns what its interface says (a Published, None from a
find, an Account) or raises a typed network error, whatever status, headers and body a network sends, and
whether the body arrives whole or not at all (issue 15 item 5; parley.networks.boundary). Every request an
adapter makes is answered by a fake HTTP layer (`responses`: no sockets) with a drawn answer."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.networks.base import (
    Account,
    Attachment,
    Credential,
    LinkCard,
    NetworkError,
    Published,
    PublishRequest,
)
from parley.networks.bluesky import BlueskyAdapter
from parley.networks.facebook import FacebookAdapter
from parley.networks.instagram import InstagramAdapter
from parley.networks.linkedin import LinkedInAdapter
from parley.networks.mastodon import LimitsCache, MastodonAdapter
from parley.networks.meta_containers import MemoryIntents
from parley.networks.threads import ThreadsAdapter
from parley.networks.x import XAdapter, XClient, refresh_tokens
from parley.shared.clock import ManualClock
from tests.support.sessions import MemoryStore

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
BASE = "http://127.0.0.1:4999"
ANY_URL = re.compile(r"http://127\.0\.0\.1:4999/.*")
METHODS = (responses.GET, responses.POST, responses.PUT, responses.DELETE)

# Keys the adapters read, so that drawn bodies reach past the first `.get`.
KEYS = st.sampled_from(
    [
        "id",
        "uri",
        "cid",
        "url",
        "data",
        "value",
        "createdAt",
        "created_at",
        "text",
        "content",
        "error",
        "message",
        "detail",
        "errors",
        "blob",
        "did",
        "handle",
        "accessJwt",
        "refreshJwt",
        "access_token",
        "refresh_token",
        "expires_in",
        "username",
        "acct",
        "sub",
        "elements",
        "publishedAt",
        "commentary",
        "status_code",
        "status",
        "post_id",
        "permalink",
        "timestamp",
        "caption",
        "configuration",
        "statuses",
        "max_characters",
        "characters_reserved_per_url",
        "media_attachments",
        "image_size_limit",
        "code",
        "error_subcode",
        "is_transient",
        "uploadUrl",
        "image",
        "thread",
        "post",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["at://did:plc:a/app.bsky.feed.post/x", "2026-03-01T09:00:01Z", "Hello", "FINISHED", "0"])
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS | st.text(max_size=6), inner, max_size=5),
    max_leaves=15,
)
HEADER_NAMES = [
    "Retry-After", "X-RateLimit-Reset", "ratelimit-reset", "retry-after", "x-rate-limit-reset",
    "x-user-limit-24hour-reset", "x-user-limit-24hour-remaining", "x-restli-id", "X-Business-Use-Case-Usage",
]  # fmt: skip
HEADER_VALUES = (
    st.sampled_from(["9" * 40, "1772366400000", "1772366400", "99999999999", "-1", "0", "1e9", "\u00b2"])
    | st.integers(min_value=-5, max_value=10**40).map(str)
    | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
    | st.sampled_from(["0", "Sun, 01 Mar 2026 12:00:00 GMT", "2026-03-01T12:00:00.000Z", '{"1": [{"x": 1}]}'])
    | JSON.map(json.dumps).filter(lambda v: "\n" not in v and len(v) < 200)
)
CUT_SHORT = st.sampled_from(
    [
        requests.exceptions.ChunkedEncodingError("the body was cut short"),
        requests.exceptions.ContentDecodingError("not the gzip it said"),
        requests.exceptions.ConnectionError("reset by peer"),
        requests.exceptions.ReadTimeout("no answer in time"),
    ]
)
BODIES: st.SearchStrategy[Any] = st.one_of(
    JSON.map(json.dumps), st.binary(max_size=40), st.text(max_size=40), st.just(""), CUT_SHORT
)
STATUSES = st.sampled_from([200, 429, 201, 500, 400, 401, 403, 404, 408, 409, 422, 426, 502, 503]) | (
    st.integers(min_value=200, max_value=599)
)
HEADERS = st.fixed_dictionaries({}, optional=dict.fromkeys(HEADER_NAMES, HEADER_VALUES))

IMAGE = Attachment(b"\x89PNG\r\n\x1a\n" + b"0" * 16, "image/png", alt="a dot", url=f"{BASE}/img.png")
CARD = LinkCard("https://example.com/", "Example", "", thumbnail=Attachment(b"x", "image/png"))


def _answers(data: st.DataObject) -> Callable[[requests.PreparedRequest], tuple[int, dict[str, str], Any]]:
    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], Any]:
        status = data.draw(STATUSES, label="status")
        headers = data.draw(HEADERS, label="headers")
        return status, headers, data.draw(BODIES, label="body")

    return answer


def bluesky() -> BlueskyAdapter:
    session = {"did": "did:plc:a", "handle": "a.test", "accessJwt": "a", "refreshJwt": "r"}
    store = MemoryStore({**session, "identifier": "a.test", "service_url": BASE})
    return BlueskyAdapter(Credential("a.test", "pw", BASE), store, clock=ManualClock(NOW), http=requests.Session())


def mastodon() -> MastodonAdapter:
    return MastodonAdapter(
        Credential("brand", "t", BASE), MemoryStore(), ManualClock(NOW), requests.Session(), limits_cache=LimitsCache()
    )


def x() -> XAdapter:
    store = MemoryStore({"access_token": "a", "refresh_token": "r", "expires_at": "2026-03-01T08:00:00+00:00"})
    return XAdapter(Credential("", "t", BASE), store, ManualClock(NOW), client=XClient("c", "s", api_base=BASE))


def linkedin() -> LinkedInAdapter:
    return LinkedInAdapter(Credential("urn:li:organization:1", "t", BASE), clock=ManualClock(NOW))


def facebook() -> FacebookAdapter:
    return FacebookAdapter(Credential("1234", "t", BASE), clock=ManualClock(NOW))


def instagram() -> InstagramAdapter:
    return InstagramAdapter(Credential("17841", "t", BASE), clock=ManualClock(NOW), intents=MemoryIntents())


def threads() -> ThreadsAdapter:
    return ThreadsAdapter(Credential("", "t", BASE), clock=ManualClock(NOW), intents=MemoryIntents())


ADAPTERS: dict[str, Callable[[], Any]] = {
    "bluesky": bluesky,
    "mastodon": mastodon,
    "x": x,
    "linkedin": linkedin,
    "facebook": facebook,
    "instagram": instagram,
    "threads": threads,
}


@pytest.mark.parametrize("network", sorted(ADAPTERS))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_an_adapter_answers_only_with_its_interface_or_a_typed_error(network: str, data: st.DataObject) -> None:
    adapter = ADAPTERS[network]()
    operation = data.draw(st.sampled_from(["publish", "find", "verify", "check_text"]), label="operation")
    request = PublishRequest(
        delivery_id="01jdelivery",
        text="Hello https://example.com",
        due_at=NOW,
        look_first=data.draw(st.booleans(), label="look_first"),
        images=data.draw(st.sampled_from([(), (IMAGE,), (IMAGE, IMAGE)]), label="images"),
    )
    if not request.images and data.draw(st.booleans(), label="link card"):
        request = PublishRequest(request.delivery_id, request.text, NOW, request.look_first, link_card=CARD)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        for method in METHODS:
            fake.add_callback(method, ANY_URL, callback=_answers(data))
        try:
            if operation == "publish":
                assert isinstance(adapter.publish(request), Published)
            elif operation == "find":
                assert isinstance(adapter.find(request), Published | None)
            elif operation == "verify":
                assert isinstance(adapter.verify(Credential("a.test", "pw", BASE)), Account)
            else:
                assert isinstance(adapter.check_text(request.text), list)  # never raises, even a network error
        except NetworkError as exc:
            assert operation != "check_text", exc
            assert isinstance(exc.reason, str) and exc.reason


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_renewing_an_x_token_answers_tokens_or_a_typed_error(data: st.DataObject) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as fake:
        fake.add_callback(responses.POST, ANY_URL, callback=_answers(data))
        try:
            tokens = refresh_tokens(XClient("c", api_base=BASE), "r", clock=ManualClock(NOW))
        except NetworkError:
            return
    assert isinstance(tokens.access_token, str)
