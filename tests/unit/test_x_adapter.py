"""The X adapter's behaviour on recorded answers (tests/support/x_recorded.py, each citing X's docs page),
served by the `responses` library: no sockets. Request shapes are proven against X's spec by Prism
(tests/integration/test_x_prism.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

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
from parley.networks.x import RateLimited, XAdapter, XClient, refresh_tokens
from parley.shared.clock import ManualClock
from tests.support import x_find_recorded as fx
from tests.support import x_recorded as rec
from tests.support.images import png
from tests.support.sessions import MemoryStore

API = "http://127.0.0.1:4010"
TOKEN = "user-access-token-s3cret"
CREDENTIAL = Credential(rec.USER_ID, TOKEN, API)
CLIENT = XClient("client-id", "client-s3cret", api_base=API)
DUE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
REQUEST = PublishRequest(delivery_id="01jdelivery", text="Hello #launch", due_at=DUE, look_first=False)


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def adapter(store: MemoryStore | None = None, client: XClient | None = None) -> XAdapter:
    return XAdapter(CREDENTIAL, store or MemoryStore(), ManualClock(DUE), requests.Session(), client=client)


def test_publish_posts_the_text_with_the_users_bearer_token(api: responses.RequestsMock) -> None:
    api.post(f"{API}/2/tweets", json=rec.CREATE_POST_201, status=201)

    published = adapter().publish(REQUEST)

    sent = api.calls[0].request
    assert json.loads(sent.body or b"{}") == {"text": "Hello #launch"}
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert published.remote_id == rec.CREATED_ID
    assert published.url == f"https://x.com/i/web/status/{rec.CREATED_ID}"
    assert published.acknowledged_at == DUE


def test_a_429_defers_until_the_rate_limit_window_resets(api: responses.RequestsMock) -> None:
    api.post(f"{API}/2/tweets", json=rec.TOO_MANY_REQUESTS_429, status=429, headers=rec.RATE_LIMIT_HEADERS)

    with pytest.raises(RateLimited) as caught:
        adapter().publish(REQUEST)

    assert caught.value.retry_at == datetime.fromtimestamp(rec.RATE_LIMIT_RESET, UTC)
    assert len(api.calls) == 1  # no hot retry


def test_the_24_hour_post_cap_defers_to_its_own_reset(api: responses.RequestsMock) -> None:
    headers = rec.RATE_LIMIT_HEADERS | {
        "x-user-limit-24hour-remaining": "0",
        "x-user-limit-24hour-reset": str(rec.RATE_LIMIT_RESET + 80000),
    }
    api.post(f"{API}/2/tweets", json=rec.TOO_MANY_REQUESTS_429, status=429, headers=headers)

    with pytest.raises(RateLimited) as caught:
        adapter().publish(REQUEST)

    assert caught.value.retry_at == datetime.fromtimestamp(rec.RATE_LIMIT_RESET + 80000, UTC)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_is_transient_and_never_a_dead_token(api: responses.RequestsMock, status: int) -> None:
    api.post(f"{API}/2/tweets", json={"title": "Service Unavailable"}, status=status)

    with pytest.raises(TransientNetworkError) as caught:
        adapter().publish(REQUEST)

    assert not isinstance(caught.value, PermanentNetworkError)


def test_a_timeout_is_transient(api: responses.RequestsMock) -> None:
    api.post(f"{API}/2/tweets", body=requests.Timeout())

    with pytest.raises(TransientNetworkError, match="did not answer in time"):
        adapter().publish(REQUEST)


def test_a_401_confirmed_by_a_second_401_is_a_dead_token(api: responses.RequestsMock) -> None:
    api.post(f"{API}/2/tweets", json=rec.UNAUTHORIZED_401, status=401)
    api.get(f"{API}/2/users/me", json=rec.UNAUTHORIZED_401, status=401)

    with pytest.raises(InvalidCredential, match="connect the account again"):
        adapter().publish(REQUEST)


def test_a_single_401_that_the_token_check_contradicts_is_transient(api: responses.RequestsMock) -> None:
    api.post(f"{API}/2/tweets", json=rec.UNAUTHORIZED_401, status=401)
    api.get(f"{API}/2/users/me", json=rec.USERS_ME_200)

    with pytest.raises(TransientNetworkError, match="accepts it now"):
        adapter().publish(REQUEST)


def test_a_401_with_a_refresh_token_renews_it_and_posts_once(api: responses.RequestsMock) -> None:
    store = MemoryStore({"access_token": "old-access", "refresh_token": "old-refresh"})
    api.post(f"{API}/2/tweets", json=rec.UNAUTHORIZED_401, status=401)
    api.post(f"{API}/2/oauth2/token", json=rec.TOKEN_200)
    api.post(f"{API}/2/tweets", json=rec.CREATE_POST_201, status=201)

    published = adapter(store, CLIENT).publish(REQUEST)

    assert published.remote_id == rec.CREATED_ID
    assert [c.request.headers["Authorization"] for c in api.calls if str(c.request.url).endswith("/2/tweets")] == [
        "Bearer old-access",
        "Bearer new-access-token",
    ]
    assert store.saved[-1]["access_token"] == "new-access-token"
    assert store.saved[-1]["refresh_token"] == "new-refresh-token"  # rotated: the old one is spent


def test_a_refused_refresh_token_is_a_dead_credential(api: responses.RequestsMock) -> None:
    store = MemoryStore({"access_token": "old-access", "refresh_token": "old-refresh"})
    api.post(f"{API}/2/tweets", json=rec.UNAUTHORIZED_401, status=401)
    api.post(f"{API}/2/oauth2/token", json=rec.TOKEN_REFUSED_400, status=400)

    with pytest.raises(InvalidCredential):
        adapter(store, CLIENT).publish(REQUEST)


def test_a_token_about_to_expire_is_renewed_before_the_call(api: responses.RequestsMock) -> None:
    expires = (DUE + timedelta(seconds=30)).isoformat()
    store = MemoryStore({"access_token": "old-access", "refresh_token": "old-refresh", "expires_at": expires})
    api.post(f"{API}/2/oauth2/token", json=rec.TOKEN_200)
    api.post(f"{API}/2/tweets", json=rec.CREATE_POST_201, status=201)

    adapter(store, CLIENT).publish(REQUEST)

    assert [str(c.request.url).split("/2/")[1] for c in api.calls] == ["oauth2/token", "tweets"]
    assert api.calls[1].request.headers["Authorization"] == "Bearer new-access-token"


def test_refresh_sends_the_refresh_token_grant_with_the_apps_basic_auth(api: responses.RequestsMock) -> None:
    api.post(f"{API}/2/oauth2/token", json=rec.TOKEN_200)

    tokens = refresh_tokens(CLIENT, "old-refresh", http=requests.Session(), clock=ManualClock(DUE))

    sent = api.calls[0].request
    form = parse_qs(str(sent.body))
    assert form["grant_type"] == ["refresh_token"] and form["refresh_token"] == ["old-refresh"]
    assert sent.headers["Authorization"].startswith("Basic ")
    assert tokens.expires_at == DUE + timedelta(hours=2)


def test_refresh_with_a_server_error_is_transient_not_a_dead_token(api: responses.RequestsMock) -> None:
    api.post(f"{API}/2/oauth2/token", json={}, status=503)

    with pytest.raises(TransientNetworkError):
        refresh_tokens(CLIENT, "old-refresh", http=requests.Session(), clock=ManualClock(DUE))


def test_find_matches_the_text_even_with_links_shortened_by_x(api: responses.RequestsMock) -> None:
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json=rec.USER_POSTS_200)
    request = PublishRequest("01jd", "Launch day \U0001f680 details: https://example.com/launch", DUE, look_first=True)

    found = adapter().publish(request)

    assert found.already_there and found.remote_id == "1346889436626259968"
    query = parse_qs(urlparse(str(api.calls[0].request.url)).query)
    assert query["start_time"] == ["2026-03-01T08:58:00Z"]
    assert query["exclude"] == ["replies,retweets"]
    assert len(api.calls) == 1  # found: nothing posted


def test_find_decodes_entities_that_x_escapes(api: responses.RequestsMock) -> None:
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json=rec.USER_POSTS_200)

    found = adapter().find(PublishRequest("01jd", "An older post & nothing else", DUE, look_first=True))

    assert found is not None and found.remote_id == "1346889436626259000"


def test_find_is_none_when_no_recent_post_has_the_text(api: responses.RequestsMock) -> None:
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json=rec.USER_POSTS_200)

    assert adapter().find(REQUEST) is None


def test_a_duplicate_refusal_returns_the_post_already_there(api: responses.RequestsMock) -> None:
    api.post(f"{API}/2/tweets", json=rec.DUPLICATE_403, status=403)
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json=rec.USER_POSTS_200)
    request = PublishRequest("01jd", "An older post & nothing else", DUE, look_first=False)

    found = adapter().publish(request)

    assert found.already_there


def test_a_duplicate_refusal_with_nothing_found_is_permanent(api: responses.RequestsMock) -> None:
    api.post(f"{API}/2/tweets", json=rec.DUPLICATE_403, status=403)
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json={"meta": {"result_count": 0}})

    with pytest.raises(PermanentNetworkError, match="duplicate"):
        adapter().publish(REQUEST)


def test_verify_names_the_account_of_the_token(api: responses.RequestsMock) -> None:
    api.get(f"{API}/2/users/me", json=rec.USERS_ME_200)

    account = adapter().verify(CREDENTIAL)

    assert (account.handle, account.remote_id) == ("XDevelopers", rec.USER_ID)


def test_tokens_never_reach_the_logs(api: responses.RequestsMock, caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryStore({"access_token": "old-access", "refresh_token": "old-refresh"})
    api.post(f"{API}/2/tweets", json=rec.UNAUTHORIZED_401, status=401)
    api.post(f"{API}/2/oauth2/token", json=rec.TOKEN_200)
    api.post(f"{API}/2/tweets", json=rec.CREATE_POST_201, status=201)
    caplog.set_level("DEBUG")

    adapter(store, CLIENT).publish(REQUEST)

    for secret in ("old-access", "old-refresh", "new-access-token", "new-refresh-token", "client-s3cret"):
        assert secret not in caplog.text


# -- look-first finds our own post (issue 15 item 6) ---------------------------------------------------------


def _image(alt: str = fx.IMAGE_ALT) -> Attachment:
    return Attachment(png(), "image/png", alt=alt)


def test_a_retry_finds_our_image_post_despite_the_media_link_x_appends(api: responses.RequestsMock) -> None:
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json=fx.posts(fx.image_post()))
    request = PublishRequest("01jimg", fx.IMAGE_TEXT, DUE, look_first=True, images=(_image(),))

    found = adapter().publish(request)

    assert found.already_there and found.remote_id == fx.IMAGE_POST_ID
    assert len(api.calls) == 1  # found: no upload, no second post
    query = parse_qs(urlparse(str(api.calls[0].request.url)).query)
    assert query["post.fields"] == ["created_at,entities,attachments"]
    assert query["expansions"] == ["attachments.media_keys"]


def test_a_duplicate_refusal_of_an_image_post_returns_the_post_already_there(api: responses.RequestsMock) -> None:
    api.post(f"{API}/2/media/upload", json={"data": {"id": "2028032600000000000"}})
    api.post(f"{API}/2/media/metadata", json={"data": {"associated_metadata": True}})
    api.post(f"{API}/2/tweets", json=rec.DUPLICATE_403, status=403)
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json=fx.posts(fx.image_post()))
    request = PublishRequest("01jimg", fx.IMAGE_TEXT, DUE, look_first=False, images=(_image(),))

    found = adapter().publish(request)

    assert found.already_there and found.remote_id == fx.IMAGE_POST_ID


def test_a_shortened_link_is_compared_with_what_it_stands_for(api: responses.RequestsMock) -> None:
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json=fx.posts(fx.link_post()))

    found = adapter().find(PublishRequest("01jlink", fx.LINK_TEXT, DUE, look_first=True))
    other_link = adapter().find(
        PublishRequest("01jlink", "Read the launch notes https://example.com/notes/v1 #launch", DUE, look_first=True)
    )

    assert found is not None and found.remote_id == fx.LINK_POST_ID
    assert other_link is None  # the same words with another link are another post


def test_a_same_text_post_with_other_images_is_not_ours(api: responses.RequestsMock) -> None:
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json=fx.posts(fx.image_post()))

    two_images = PublishRequest("01jimg", fx.IMAGE_TEXT, DUE, look_first=True, images=(_image(), _image("A map")))
    other_alt = PublishRequest("01jimg", fx.IMAGE_TEXT, DUE, look_first=True, images=(_image("The back door"),))
    no_image = PublishRequest("01jimg", fx.IMAGE_TEXT, DUE, look_first=True)

    assert adapter().find(two_images) is None
    assert adapter().find(other_alt) is None
    assert adapter().find(no_image) is None


def test_a_same_post_made_before_the_window_is_not_ours(api: responses.RequestsMock) -> None:
    # X bounds the page by start_time; a post it gives anyway from before the window is still not ours.
    old = fx.image_post(fx.OLD_POST_ID, "2026-03-01T08:30:00.000Z")
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json=fx.posts(old))

    assert adapter().find(PublishRequest("01jimg", fx.IMAGE_TEXT, DUE, look_first=True, images=(_image(),))) is None
