"""The Facebook Pages adapter and listener on recorded answers (tests/support/facebook_recorded.py, each
citing Meta's docs page), served by the `responses` library: no sockets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses

from parley.listening.facebook import FacebookListener
from parley.networks import facebook
from parley.networks.base import (
    AnswerTo,
    Attachment,
    Credential,
    InvalidCredential,
    LinkCard,
    PublishRequest,
    SearchUnsupported,
    TransientNetworkError,
)
from parley.networks.facebook import FacebookAdapter, RateLimited
from parley.networks.registry import check_text
from parley.shared.clock import ManualClock
from tests.support import facebook_recorded as rec

API = "http://127.0.0.1:4030"
GRAPH = f"{API}/{facebook.GRAPH_VERSION}"
TOKEN = "page-token-s3cret"
CREDENTIAL = Credential(rec.PAGE_ID, TOKEN, API)
DUE = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
REQUEST = PublishRequest(delivery_id="01jdelivery", text="Fresh roast today", due_at=DUE, look_first=False)
FEED = f"{GRAPH}/{rec.PAGE_ID}/feed"
PHOTOS = f"{GRAPH}/{rec.PAGE_ID}/photos"
POSTS = f"{GRAPH}/{rec.PAGE_ID}/posts"


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def adapter() -> FacebookAdapter:
    return FacebookAdapter(CREDENTIAL, clock=ManualClock(DUE))


def form(call: responses.Call) -> dict[str, str]:
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else str(body or "")
    return {k: v[0] for k, v in parse_qs(text).items()}


def feed_posts(api: responses.RequestsMock) -> list[responses.Call]:
    return [c for c in api.calls if c.request.method == "POST" and urlparse(str(c.request.url)).path.endswith("/feed")]


def test_a_text_post_with_a_link_is_created_once_on_the_page_feed(api: responses.RequestsMock) -> None:
    api.add(responses.POST, FEED, json=rec.FEED_CREATED_200)

    published = adapter().publish(PublishRequest(**{**REQUEST.__dict__, "link_card": LinkCard("https://acme.test/")}))

    assert published.remote_id == rec.POST_ID and published.url == f"https://www.facebook.com/{rec.POST_ID}"
    (call,) = feed_posts(api)
    assert form(call) == {"message": "Fresh roast today", "link": "https://acme.test/"}
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in (call.request.url or "")  # never in a URL that could be logged


def test_a_retry_after_a_timeout_looks_first_and_creates_nothing_more(api: responses.RequestsMock) -> None:
    api.add(responses.POST, FEED, body=requests.Timeout())
    with pytest.raises(TransientNetworkError):
        adapter().publish(REQUEST)
    api.add(responses.GET, POSTS, json=rec.page_posts("Fresh roast today"))

    found = adapter().publish(PublishRequest(**{**REQUEST.__dict__, "look_first": True}))

    assert found.already_there and found.remote_id == rec.POST_ID
    assert found.url == f"https://www.facebook.com/{rec.PAGE_ID}/posts/2110919585781402"
    assert found.acknowledged_at == datetime(2026, 3, 1, 9, 0, 5, tzinfo=UTC)
    assert len(feed_posts(api)) == 1  # only the first, timed-out attempt
    lookup = next(c for c in api.calls if c.request.method == "GET")
    assert parse_qs(urlparse(str(lookup.request.url)).query)["since"] == [
        str(int((DUE - timedelta(minutes=2)).timestamp()))
    ]


def test_a_look_that_finds_nothing_creates_the_post(api: responses.RequestsMock) -> None:
    api.add(responses.GET, POSTS, json=rec.page_posts("Something else"))
    api.add(responses.POST, FEED, json=rec.FEED_CREATED_200)

    published = adapter().publish(PublishRequest(**{**REQUEST.__dict__, "look_first": True}))

    assert not published.already_there and len(feed_posts(api)) == 1


def test_one_image_is_a_photo_post_fetched_from_its_presigned_url(api: responses.RequestsMock) -> None:
    api.add(responses.POST, PHOTOS, json=rec.PHOTO_POSTED_200)
    image = Attachment(
        b"\xff\xd8", "image/jpeg", alt="A cup", url="http://127.0.0.1:5000/media/m_1?X-Amz-Signature=abc"
    )

    published = adapter().publish(PublishRequest(**{**REQUEST.__dict__, "images": (image,)}))

    assert published.remote_id == rec.POST_ID
    (call,) = api.calls
    assert form(call) == {
        "caption": "Fresh roast today",
        "published": "true",
        "alt_text_custom": "A cup",
        "url": "http://127.0.0.1:5000/media/m_1?X-Amz-Signature=abc",
    }
    assert not feed_posts(api)


def test_several_images_are_unpublished_photos_attached_to_one_post(api: responses.RequestsMock) -> None:
    answers = iter([rec.unpublished_photo(1), rec.unpublished_photo(2)])
    api.add_callback(responses.POST, PHOTOS, callback=lambda _r: (200, {}, json.dumps(next(answers))))
    api.add(responses.POST, FEED, json=rec.FEED_CREATED_200)
    images = (Attachment(b"a", "image/png", url="http://127.0.0.1:5000/a"), Attachment(b"b", "image/png"))

    adapter().publish(PublishRequest(**{**REQUEST.__dict__, "images": images}))

    first, second = (c for c in api.calls if urlparse(str(c.request.url)).path.endswith("/photos"))
    assert form(first) == {"published": "false", "url": "http://127.0.0.1:5000/a"}
    assert b'name="source"' in (second.request.body or b"")  # no URL: the bytes themselves
    (post,) = feed_posts(api)
    sent = form(post)
    assert sent["message"] == "Fresh roast today"
    assert json.loads(sent["attached_media"]) == [
        {"media_fbid": rec.unpublished_photo(1)["id"]},
        {"media_fbid": rec.unpublished_photo(2)["id"]},
    ]


def test_a_dead_page_token_is_an_invalid_credential(api: responses.RequestsMock) -> None:
    api.add(responses.POST, FEED, status=400, json=rec.TOKEN_EXPIRED_190)

    with pytest.raises(InvalidCredential) as raised:
        adapter().publish(REQUEST)

    assert "connect the Page again" in raised.value.reason


def test_throttling_waits_for_the_estimated_time_or_an_hour(api: responses.RequestsMock) -> None:
    api.add(responses.POST, FEED, status=400, json=rec.THROTTLED_32, headers=rec.BUC_HEADERS)
    api.add(responses.POST, FEED, status=403, json=rec.THROTTLED_4, headers=rec.APP_USAGE_HEADERS)

    with pytest.raises(RateLimited) as page:
        adapter().publish(REQUEST)
    with pytest.raises(RateLimited) as app:
        adapter().publish(REQUEST)

    assert page.value.retry_at == DUE + timedelta(minutes=19)
    assert app.value.retry_at == DUE + timedelta(hours=1)


def test_a_duplicate_refusal_finds_the_post_already_there(api: responses.RequestsMock) -> None:
    api.add(responses.POST, FEED, status=400, json=rec.DUPLICATE_506)
    api.add(responses.GET, POSTS, json=rec.page_posts("Fresh roast today"))

    published = adapter().publish(REQUEST)

    assert published.already_there and published.remote_id == rec.POST_ID


def test_verify_reads_the_page(api: responses.RequestsMock) -> None:
    api.add(responses.GET, f"{GRAPH}/{rec.PAGE_ID}", json=rec.PAGE_200)

    account = adapter().verify(CREDENTIAL)

    assert account.handle == "acmecoffee" and account.remote_id == rec.PAGE_ID


def test_message_length_is_checked_at_queue_time() -> None:
    assert check_text("facebook", "a" * 63206) == []
    (problem,) = check_text("facebook", "a" * 63207)
    assert problem.field == "text" and "63206" in problem.reason


# -- listening ------------------------------------------------------------------------------------------


def listener() -> FacebookListener:
    return FacebookListener(adapter())


def test_counters_impressions_and_comments_are_read_without_the_pages_own(api: responses.RequestsMock) -> None:
    api.add(responses.GET, f"{GRAPH}/{rec.POST_ID}", json=rec.COUNTERS_200)
    api.add(responses.GET, f"{GRAPH}/{rec.POST_ID}/insights", json=rec.INSIGHTS_200)
    api.add(responses.GET, f"{GRAPH}/{rec.POST_ID}/comments", json=rec.COMMENTS_200)

    conversation = listener().read_conversation(rec.POST_ID, rec.PAGE_ID)

    assert conversation is not None
    assert conversation.counters == {"like": 12, "reply": 3, "repost": 4, "impression": 1520}
    assert [r.uri for r in conversation.replies] == [rec.COMMENT_1, rec.COMMENT_2]
    first, second = conversation.replies
    assert first.author_handle == "Grace Hopper" and first.parent_uri == rec.POST_ID
    assert second.parent_uri == rec.COMMENT_1 and second.root_uri == rec.POST_ID
    comments = next(c for c in api.calls if urlparse(str(c.request.url)).path.endswith("/comments"))
    assert parse_qs(urlparse(str(comments.request.url)).query)["filter"] == ["stream"]
    assert conversation.calls == 3


def test_without_read_insights_impressions_are_absent(api: responses.RequestsMock) -> None:
    api.add(responses.GET, f"{GRAPH}/{rec.POST_ID}", json=rec.COUNTERS_200)
    api.add(responses.GET, f"{GRAPH}/{rec.POST_ID}/insights", status=403, json=rec.NO_INSIGHTS_10)
    api.add(responses.GET, f"{GRAPH}/{rec.POST_ID}/comments", json={"data": []})
    reader = listener()

    conversation = reader.read_conversation(rec.POST_ID, rec.PAGE_ID)
    reader.read_conversation(rec.POST_ID, rec.PAGE_ID)

    assert conversation is not None and "impression" not in conversation.counters
    assert sum(1 for c in api.calls if "/insights" in (c.request.url or "")) == 1  # not asked again


def test_an_answer_is_a_comment_on_the_comment_posted_once(api: responses.RequestsMock) -> None:
    api.add(responses.GET, f"{GRAPH}/{rec.COMMENT_1}/comments", json={"data": []})
    api.add(responses.POST, f"{GRAPH}/{rec.COMMENT_1}/comments", json=rec.COMMENT_CREATED_200)
    to = AnswerTo(rec.COMMENT_1, "", rec.POST_ID, "", "Grace Hopper")

    published = listener().answer("key", DUE, "Thanks, Grace!", to)

    assert published.remote_id == rec.ANSWER_ID
    (post,) = [c for c in api.calls if c.request.method == "POST"]
    assert form(post) == {"message": "Thanks, Grace!"}


def test_an_answer_that_timed_out_but_was_written_is_found_not_posted_again(api: responses.RequestsMock) -> None:
    looks = iter([{"data": []}, rec.COMMENTS_200])
    api.add_callback(
        responses.GET, f"{GRAPH}/{rec.COMMENT_1}/comments", callback=lambda _r: (200, {}, json.dumps(next(looks)))
    )
    api.add(responses.POST, f"{GRAPH}/{rec.COMMENT_1}/comments", body=requests.Timeout())
    to = AnswerTo(rec.COMMENT_1, "", rec.POST_ID, "", "Grace Hopper")

    published = listener().answer("key", DUE, "Thank you both", to)

    assert published.already_there and published.remote_id == rec.COMMENT_OWN
    assert len([c for c in api.calls if c.request.method == "POST"]) == 1


def test_mentions_find_nothing_and_search_is_unsupported() -> None:
    assert listener().read_mentions(None).items == []
    with pytest.raises(SearchUnsupported):
        listener().search("coffee", None, rec.PAGE_ID)


def test_a_deleted_post_has_no_conversation(api: responses.RequestsMock) -> None:
    api.add(responses.GET, f"{GRAPH}/{rec.POST_ID}", status=400, json=rec.GONE_100)

    assert listener().read_conversation(rec.POST_ID, rec.PAGE_ID) is None
