"""Every request the X adapter makes validates against X's own OpenAPI description, served by Prism as a
validating mock (tests/support/peers.py). Prism keeps no state and answers with placeholders, so these tests
prove request shapes and auth only; behaviour is tested on recorded answers (tests/unit/test_x_adapter.py)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import jsonschema
import pytest
import requests

from parley.listening.x import XListener, marker
from parley.networks.base import AnswerTo, Attachment, Credential, InvalidCredential, PublishRequest
from parley.networks.x import XAdapter
from parley.shared.clock import ManualClock
from tests.support import x_find_recorded as fx
from tests.support.images import png
from tests.support.peers import PrismSession, PrismX, x_spec_path

pytestmark = pytest.mark.peers

USER_ID = "2244994945"
DUE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class NoSessions:
    def load(self) -> dict[str, str] | None:
        return None

    def save(self, session: dict[str, str]) -> None:
        return None


def _adapter(prism: PrismX, http: PrismSession, token: str = "user-token", user_id: str = USER_ID) -> XAdapter:
    return XAdapter(Credential(user_id, token, prism.base_url), NoSessions(), ManualClock(DUE), http)


def test_publish_sends_a_request_that_x_would_accept(prism_x: PrismX) -> None:
    http = PrismSession()

    published = _adapter(prism_x, http).publish(
        PublishRequest("01jd", "Launch day \U0001f680 https://example.com/launch #parley", DUE, look_first=False)
    )

    assert http.violations == []
    assert http.calls == [("POST", f"{prism_x.base_url}/2/tweets", 201)]
    assert published.remote_id  # Prism's placeholder


def test_find_asks_for_the_users_posts_in_a_shape_x_accepts(prism_x: PrismX) -> None:
    http = PrismSession()

    _adapter(prism_x, http).find(PublishRequest("01jd", "Hello", DUE, look_first=True))

    assert http.violations == []
    assert [(method, status) for method, _, status in http.calls] == [("GET", 200)]
    assert "/2/users/2244994945/tweets?" in http.calls[0][1]


def test_verify_asks_who_the_token_belongs_to_in_a_shape_x_accepts(prism_x: PrismX) -> None:
    http = PrismSession()
    credential = Credential("", "user-token", prism_x.base_url)

    _adapter(prism_x, http, user_id="").verify(credential)

    assert http.violations == []
    assert http.calls == [("GET", f"{prism_x.base_url}/2/users/me", 200)]


def test_a_body_x_does_not_define_is_refused(prism_x: PrismX) -> None:
    http = PrismSession()

    response = http.post(
        f"{prism_x.base_url}/2/tweets", json={"status": "Mastodon's field name"}, headers={"Authorization": "Bearer t"}
    )

    assert response.status_code == 422
    assert [v["code"] for _, _, v in http.violations] == ["additionalProperties"]


def test_a_request_without_a_token_is_refused(prism_x: PrismX) -> None:
    response = requests.post(f"{prism_x.base_url}/2/tweets", json={"text": "hi"}, timeout=5)

    assert response.status_code == 401


def test_a_token_refused_twice_is_a_dead_credential(prism_x: PrismX) -> None:
    # Prism answers 401 to a request whose Authorization is not a scheme the spec allows: both the post
    # and the confirming /2/users/me are refused, so the adapter calls the token dead.
    class BadScheme(PrismSession):
        def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            kwargs["headers"] = {**kwargs.get("headers", {}), "Authorization": "Token nope"}
            return super().request(method, url, *args, **kwargs)

    http = BadScheme()

    with pytest.raises(InvalidCredential):
        _adapter(prism_x, http).publish(PublishRequest("01jd", "Hello", DUE, look_first=False))

    assert [(url.rsplit("/2/", 1)[1], status) for _, url, status in http.calls] == [("tweets", 401), ("users/me", 401)]


# -- listening (parley.listening.x): every read and the answer validate against X's spec ---------------------


def _listener(prism: PrismX, http: PrismSession) -> XListener:
    return XListener(_adapter(prism, http))


def test_reading_a_conversation_asks_in_shapes_x_accepts(prism_x: PrismX) -> None:
    http = PrismSession()

    _listener(prism_x, http).read_conversation("1460323737035677698", USER_ID)

    assert http.violations == []
    paths = [urlparse(url).path for _, url, _ in http.calls]
    assert paths[:2] == ["/2/tweets/1460323737035677698", "/2/tweets/search/recent"]
    assert all(status == 200 for _, _, status in http.calls)


def test_reading_mentions_since_a_marker_asks_in_a_shape_x_accepts(prism_x: PrismX) -> None:
    http = PrismSession()

    _listener(prism_x, http).read_mentions(marker("1375152449594520000"))

    assert http.violations == []
    assert urlparse(http.calls[0][1]).path == f"/2/users/{USER_ID}/mentions"
    assert "since_id=1375152449594520000" in http.calls[0][1]


def test_searching_asks_in_a_shape_x_accepts(prism_x: PrismX) -> None:
    http = PrismSession()

    _listener(prism_x, http).search("#launch", None, USER_ID)

    assert http.violations == []
    assert urlparse(http.calls[0][1]).path == "/2/tweets/search/recent"


def test_an_answer_looks_then_replies_in_shapes_x_accepts(prism_x: PrismX) -> None:
    http = PrismSession()
    to = AnswerTo("1460323742144045059", "", "1460323737035677698", "", "afan")

    _listener(prism_x, http).answer("answer:in_1", DUE, "Thanks, glad you like it!", to)

    assert http.violations == []
    methods = [(method, urlparse(url).path) for method, url, _ in http.calls]
    assert methods[0] == ("GET", f"/2/users/{USER_ID}/tweets")
    assert ("POST", "/2/tweets") in methods  # Prism's placeholder posts are not replies to ours: not found


class NumericMediaIds(PrismSession):
    """Prism answers an upload with a placeholder id ("string"); X's ids are numeric, and the metadata call
    must be made with one. The id is replaced as X would give it; every request still goes to Prism."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        if str(url).endswith("/2/media/upload") and response.ok:
            body = response.json()
            body["data"]["id"] = "1880028106020515840"
            response._content = json.dumps(body).encode()
        return response


def test_publish_with_an_image_uploads_it_and_its_alt_text_in_shapes_x_accepts(prism_x: PrismX) -> None:
    http = NumericMediaIds()
    image = Attachment(png(), "image/png", alt="A red square")

    _adapter(prism_x, http).publish(PublishRequest("01jm", "With a picture", DUE, look_first=False, images=(image,)))

    assert [call[1].removeprefix(prism_x.base_url) for call in http.calls] == [
        "/2/media/upload",
        "/2/media/metadata",
        "/2/tweets",
    ]
    assert [code for _, _, code in http.calls] == [200, 200, 201]
    assert http.violations == []


# -- look-first finds our own post (issue 15 item 6) ---------------------------------------------------------


def _users_posts_schema() -> dict[str, Any]:
    spec = json.loads(x_spec_path().read_text())
    return {"$ref": "#/components/schemas/GetUsersPostsResponse", "components": spec["components"]}


class RecordedTimeline(NumericMediaIds):
    """Every request goes to Prism (which validates it against X's spec); Prism's placeholder page of the
    user's posts is replaced by a recorded one (tests/support/x_find_recorded.py), itself validated
    against the spec's `GetUsersPostsResponse` first, so the adapter reads an answer shaped as X's."""

    def __init__(self, page: dict[str, Any]) -> None:
        super().__init__()
        jsonschema.validate(page, _users_posts_schema())
        self.page = page

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        if str(method) == "GET" and urlparse(str(url)).path.endswith("/tweets") and response.ok:
            response._content = json.dumps(self.page).encode()
        return response


def _paths(prism: PrismX, http: PrismSession) -> list[tuple[str, str, int]]:
    return [(method, urlparse(url).path, status) for method, url, status in http.calls]


def test_a_retry_finds_our_image_post_and_posts_nothing(prism_x: PrismX) -> None:
    http = RecordedTimeline(fx.posts(fx.image_post()))
    image = Attachment(png(), "image/png", alt=fx.IMAGE_ALT)

    found = _adapter(prism_x, http).publish(PublishRequest("01jimg", fx.IMAGE_TEXT, DUE, True, images=(image,)))

    assert found.already_there and found.remote_id == fx.IMAGE_POST_ID
    assert _paths(prism_x, http) == [("GET", f"/2/users/{USER_ID}/tweets", 200)]  # no upload, no second post
    assert http.violations == []  # post.fields, expansions and media.fields as X's spec names them


def test_a_retry_posts_when_the_same_text_went_out_with_other_images(prism_x: PrismX) -> None:
    http = RecordedTimeline(fx.posts(fx.image_post(), alt="The back door"))
    image = Attachment(png(), "image/png", alt=fx.IMAGE_ALT)

    published = _adapter(prism_x, http).publish(PublishRequest("01jimg", fx.IMAGE_TEXT, DUE, True, images=(image,)))

    assert not published.already_there
    assert [path for _, path, _ in _paths(prism_x, http)] == [
        f"/2/users/{USER_ID}/tweets",
        "/2/media/upload",
        "/2/media/metadata",
        "/2/tweets",
    ]
    assert http.violations == []
