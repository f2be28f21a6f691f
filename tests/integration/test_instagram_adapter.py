"""Instagram's adapter and listener against a loopback stand-in serving recorded shapes
(tests/support/meta_standin.py, instagram_recorded.py): one container and one publish per delivery, also
after a crash between the two; a container not ready defers; errors; comments, counters and answers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from parley.listening.instagram import InstagramListener, comments_in, insight_counters
from parley.networks.base import (
    AnswerTo,
    Attachment,
    Credential,
    InvalidCredential,
    PermanentNetworkError,
    PublishRequest,
    TransientNetworkError,
)
from parley.networks.instagram import InstagramAdapter
from parley.networks.meta_containers import MemoryIntents
from parley.shared import clock
from tests.support import instagram_recorded as ig
from tests.support.meta_standin import MetaStandIn, serve

IMAGE_URL_PATH = "/image.jpg"


@pytest.fixture
def meta() -> Iterator[MetaStandIn]:
    stand_in = MetaStandIn("instagram")
    server, _ = serve(stand_in)
    yield stand_in
    server.shutdown()
    server.server_close()


def _image(meta: MetaStandIn, alt: str = "") -> Attachment:
    # Any address the stand-in can fetch stands for the presigned S3 GET here (the integration test uses
    # moto's); the stand-in's own root answers 404, so give it a path it serves: its user object.
    return Attachment(data=b"\xff\xd8", content_type="image/jpeg", alt=alt, url=f"{meta.base_url}/v23.0/me")


def _adapter(meta: MetaStandIn, intents: MemoryIntents | None = None) -> InstagramAdapter:
    credential = Credential(ig.USER_ID, "ig-token", meta.base_url)
    return InstagramAdapter(credential, intents=intents or MemoryIntents())


def _request(meta: MetaStandIn, *, images: int = 1, look_first: bool = False) -> PublishRequest:
    return PublishRequest(
        delivery_id="p_1.ch_1",
        text="New in store #spring",
        due_at=clock.now(),
        look_first=look_first,
        images=tuple(_image(meta, alt=f"photo {i}") for i in range(images)),
    )


def test_one_container_and_one_publish_with_the_image_address_caption_and_alt(meta: MetaStandIn) -> None:
    published = _adapter(meta).publish(_request(meta))

    assert meta.count("POST", "media") == 1 and meta.count("POST", "media_publish") == 1
    (post,) = meta.posts()
    assert published.remote_id == post["id"] and published.url == post["permalink"]
    assert post["form"]["caption"] == "New in store #spring" and post["form"]["alt_text"] == "photo 0"
    assert post["form"]["image_url"].endswith("/v23.0/me") and meta.fetched[0][1] == 200
    assert {t for t in meta.tokens_seen if t} == {"ig-token"}  # as a header (the image fetch has none)


def test_several_images_make_a_carousel_of_children(meta: MetaStandIn) -> None:
    _adapter(meta).publish(_request(meta, images=3))

    assert meta.count("POST", "media") == 4 and meta.count("POST", "media_publish") == 1
    (post,) = meta.posts()
    assert post["form"]["media_type"] == "CAROUSEL" and len(post["form"]["children"].split(",")) == 3


def test_a_crash_between_container_and_publish_reuses_the_recorded_container(meta: MetaStandIn) -> None:
    intents = MemoryIntents()
    meta.fail("POST", "media_publish", 500, {"error": {"message": "An unexpected error has occurred.", "code": 2}})
    with pytest.raises(TransientNetworkError):
        _adapter(meta, intents).publish(_request(meta))
    assert intents.load("p_1.ch_1") is not None

    published = _adapter(meta, intents).publish(_request(meta, look_first=True))  # a new invocation retries

    assert meta.count("POST", "media") == 1  # the container was not made again
    assert meta.count("POST", "media_publish") == 2 and len(meta.posts()) == 1
    assert published.remote_id == meta.posts()[0]["id"]


def test_a_retry_after_a_lost_answer_finds_the_post_and_publishes_nothing(meta: MetaStandIn) -> None:
    intents = MemoryIntents()
    first = _adapter(meta, intents).publish(_request(meta))

    again = _adapter(meta, intents).publish(_request(meta, look_first=True))

    assert again.already_there and again.remote_id == first.remote_id
    assert meta.count("POST", "media") == 1 and meta.count("POST", "media_publish") == 1


def test_a_published_container_without_look_first_is_found_not_published_twice(meta: MetaStandIn) -> None:
    intents = MemoryIntents()
    first = _adapter(meta, intents).publish(_request(meta))

    again = _adapter(meta, intents).publish(_request(meta))  # the container says PUBLISHED

    assert again.remote_id == first.remote_id and meta.count("POST", "media_publish") == 1


def test_a_container_not_finished_defers_with_a_retry_time_and_is_reused(meta: MetaStandIn) -> None:
    intents = MemoryIntents()
    meta.not_ready = 1
    with pytest.raises(TransientNetworkError) as caught:
        _adapter(meta, intents).publish(_request(meta))
    assert caught.value.retry_at is not None and caught.value.retry_at > clock.now()
    assert meta.count("POST", "media_publish") == 0

    _adapter(meta, intents).publish(_request(meta, look_first=True))

    assert meta.count("POST", "media") == 1 and meta.count("POST", "media_publish") == 1


def test_an_expired_token_is_an_invalid_credential(meta: MetaStandIn) -> None:
    meta.fail("POST", "media", 400, ig.TOKEN_EXPIRED_190)
    with pytest.raises(InvalidCredential):
        _adapter(meta).publish(_request(meta))


def test_a_rate_limit_defers_until_the_usage_header_says(meta: MetaStandIn) -> None:
    meta.fail("POST", "media", 400, ig.RATE_LIMITED, ig.RATE_LIMIT_HEADERS)
    before = clock.now()
    with pytest.raises(TransientNetworkError) as caught:
        _adapter(meta).publish(_request(meta))
    assert caught.value.retry_at is not None
    minutes = (caught.value.retry_at - before).total_seconds() / 60
    assert 16.9 < minutes < 17.5  # estimated_time_to_regain_access: 17


def test_a_post_without_an_image_is_refused(meta: MetaStandIn) -> None:
    with pytest.raises(PermanentNetworkError):
        _adapter(meta).publish(replace(_request(meta), images=()))
    assert meta.count("POST", "media") == 0


def test_publishing_limit_and_verify(meta: MetaStandIn) -> None:
    adapter = _adapter(meta)
    assert adapter.publishing_limit().total == 100 and adapter.publishing_limit().used == 2
    assert adapter.verify(Credential(ig.USER_ID, "ig-token", meta.base_url)).handle == ig.USERNAME


# -- listening ---------------------------------------------------------------------------------------------


def test_recorded_comments_and_insights_parse() -> None:
    seen = comments_in(ig.COMMENTS, "m1", ig.USER_ID, ig.USERNAME)
    assert [s.author_handle for s in seen] == ["a_reader"]  # our own comment left out
    assert seen[0].text == "This is awesome!" and seen[0].parent_uri == "m1"
    assert insight_counters(ig.MEDIA_INSIGHTS) == {"reach": 340, "saved": 7}


def test_a_conversation_reads_counters_and_comments_and_an_answer_is_threaded_once(meta: MetaStandIn) -> None:
    adapter = _adapter(meta)
    published = adapter.publish(_request(meta))
    comment_id = meta.comment(published.remote_id, "a_reader", "Love it")
    listener = InstagramListener(adapter)

    conversation = listener.read_conversation(published.remote_id, ig.USER_ID)

    assert conversation is not None
    assert conversation.counters["like"] == 12 and conversation.counters["reply"] == 1
    assert conversation.counters["reach"] == 340
    (reply,) = conversation.replies
    assert reply.uri == comment_id and reply.author_handle == "a_reader"

    to = AnswerTo(remote_id=comment_id, cid="", root_id=published.remote_id, root_cid="", author_handle="a_reader")
    first = listener.answer("answer-1", clock.now(), "Thank you!", to)
    again = listener.answer("answer-1", clock.now(), "Thank you!", to)

    assert meta.count("POST", "replies") == 1 and again.already_there and again.remote_id == first.remote_id
    assert meta.objects[first.remote_id]["parent"] == comment_id


def test_a_comment_on_the_accounts_own_post_is_posted_once(meta: MetaStandIn) -> None:
    # a first comment, or a thread's part as a comment (docs/threads.md): `to` is the media itself
    adapter = _adapter(meta)
    published = adapter.publish(_request(meta))
    listener = InstagramListener(adapter)
    to = AnswerTo(remote_id=published.remote_id, cid="", root_id=published.remote_id, root_cid="", author_handle="")

    first = listener.answer("p_1.ch_1/comment", clock.now(), "Link in bio", to)
    again = listener.answer("p_1.ch_1/comment", clock.now(), "Link in bio", to)

    assert meta.count("POST", "comments") == 1 and meta.count("POST", "replies") == 0
    assert again.already_there and again.remote_id == first.remote_id
    assert meta.objects[first.remote_id]["parent"] == published.remote_id


def test_a_gone_post_reads_as_none_and_insights_not_granted_are_left_out(meta: MetaStandIn) -> None:
    listener = InstagramListener(_adapter(meta))
    assert listener.read_conversation("404404", ig.USER_ID) is None

    published = _adapter(meta).publish(_request(meta))
    meta.fail("GET", "insights", 403, {"error": {"message": "(#10) Permission denied", "code": 10}})
    conversation = listener.read_conversation(published.remote_id, ig.USER_ID)
    assert conversation is not None and "reach" not in conversation.counters
