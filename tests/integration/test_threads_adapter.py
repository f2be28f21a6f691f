"""Threads' adapter and listener against a loopback stand-in serving recorded shapes
(tests/support/meta_standin.py, threads_recorded.py): one container and one publish per delivery, also
after a crash between the two; a container not ready defers; errors; replies, counters, mentions, answers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from parley.listening.threads import ThreadsListener, insight_counters, posts_in
from parley.networks.base import (
    AnswerTo,
    Attachment,
    Credential,
    InvalidCredential,
    PublishRequest,
    TransientNetworkError,
)
from parley.networks.meta_containers import MemoryIntents
from parley.networks.threads import ThreadsAdapter
from parley.shared import clock
from tests.support import threads_recorded as th
from tests.support.meta_standin import MetaStandIn, serve


@pytest.fixture
def meta() -> Iterator[MetaStandIn]:
    stand_in = MetaStandIn("threads")
    server, _ = serve(stand_in)
    yield stand_in
    server.shutdown()
    server.server_close()


def _adapter(meta: MetaStandIn, intents: MemoryIntents | None = None) -> ThreadsAdapter:
    return ThreadsAdapter(Credential(th.USER_ID, "th-token", meta.base_url), intents=intents or MemoryIntents())


def _request(meta: MetaStandIn, *, images: int = 0, look_first: bool = False) -> PublishRequest:
    # The stand-in's own user object stands for the presigned S3 GET (the integration test uses moto's).
    image = Attachment(data=b"\xff\xd8", content_type="image/jpeg", alt="a photo", url=f"{meta.base_url}/v1.0/me")
    return PublishRequest(
        delivery_id="p_1.ch_1",
        text="Hello Threads",
        due_at=clock.now(),
        look_first=look_first,
        images=(image,) * images,
    )


def test_a_text_post_is_one_container_and_one_publish(meta: MetaStandIn) -> None:
    published = _adapter(meta).publish(_request(meta))

    assert meta.count("POST", "threads") == 1 and meta.count("POST", "threads_publish") == 1
    (post,) = meta.posts()
    assert post["form"] == {"media_type": "TEXT", "text": "Hello Threads"}
    assert published.remote_id == post["id"] and published.url == post["permalink"]


def test_one_image_is_an_image_container_and_several_a_carousel(meta: MetaStandIn) -> None:
    _adapter(meta).publish(_request(meta, images=1))
    (post,) = meta.posts()
    assert post["form"]["media_type"] == "IMAGE" and post["form"]["alt_text"] == "a photo"
    assert meta.fetched[0][1] == 200

    meta.objects.clear()
    _adapter(meta).publish(_request(meta, images=2))
    (carousel,) = meta.posts()
    assert carousel["form"]["media_type"] == "CAROUSEL" and len(carousel["form"]["children"].split(",")) == 2


def test_a_crash_between_container_and_publish_reuses_the_recorded_container(meta: MetaStandIn) -> None:
    intents = MemoryIntents()
    meta.fail("POST", "threads_publish", 503, {"error": {"message": "Service temporarily unavailable", "code": 2}})
    with pytest.raises(TransientNetworkError):
        _adapter(meta, intents).publish(_request(meta))

    _adapter(meta, intents).publish(_request(meta, look_first=True))

    assert meta.count("POST", "threads") == 1 and meta.count("POST", "threads_publish") == 2
    assert len(meta.posts()) == 1


def test_a_retry_after_a_lost_answer_finds_the_post(meta: MetaStandIn) -> None:
    intents = MemoryIntents()
    first = _adapter(meta, intents).publish(_request(meta))
    again = _adapter(meta, intents).publish(_request(meta, look_first=True))
    assert again.already_there and again.remote_id == first.remote_id
    assert meta.count("POST", "threads") == 1 and meta.count("POST", "threads_publish") == 1


def test_a_container_in_progress_defers_with_a_retry_time(meta: MetaStandIn) -> None:
    meta.not_ready = 1
    with pytest.raises(TransientNetworkError) as caught:
        _adapter(meta).publish(_request(meta, images=1))
    assert caught.value.retry_at is not None and caught.value.retry_at > clock.now()
    assert meta.count("POST", "threads_publish") == 0


def test_expired_token_and_rate_limit(meta: MetaStandIn) -> None:
    meta.fail("POST", "threads", 400, th.TOKEN_EXPIRED_190)
    with pytest.raises(InvalidCredential):
        _adapter(meta).publish(_request(meta))

    meta.fail("POST", "threads", 400, th.RATE_LIMITED, th.RETRY_AFTER_HEADERS)
    before = clock.now()
    with pytest.raises(TransientNetworkError) as caught:
        _adapter(meta).publish(_request(meta))
    assert caught.value.retry_at is not None
    assert 599 <= (caught.value.retry_at - before).total_seconds() <= 620


def test_publishing_limit(meta: MetaStandIn) -> None:
    limit = _adapter(meta).publishing_limit()
    assert (limit.used, limit.total, limit.window_seconds) == (4, 250, 86400)


# -- listening ---------------------------------------------------------------------------------------------


def test_recorded_insights_conversation_and_mentions_parse() -> None:
    assert insight_counters(th.INSIGHTS) == {"impression": 100, "like": 7, "reply": 2, "repost": 1, "quote": 0}
    replies = posts_in("reply", th.CONVERSATION, own_username=th.USERNAME)
    assert [r.author_handle for r in replies] == ["a_reader"] and replies[0].parent_uri == "1234567890"
    (mention,) = posts_in("mention", th.MENTIONS)
    assert mention.text.startswith("Hey @parley_brand")


def test_a_conversation_reads_counters_and_replies_and_an_answer_is_a_reply_made_once(meta: MetaStandIn) -> None:
    adapter = _adapter(meta)
    published = adapter.publish(_request(meta))
    reply_id = meta.comment(published.remote_id, "a_reader", "Nice one")
    listener = ThreadsListener(adapter)

    conversation = listener.read_conversation(published.remote_id, th.USER_ID)

    assert (
        conversation is not None and conversation.counters["like"] == 7 and conversation.counters["impression"] == 100
    )
    (reply,) = conversation.replies
    assert reply.uri == reply_id and reply.author_handle == "a_reader"

    to = AnswerTo(remote_id=reply_id, cid="", root_id=published.remote_id, root_cid="", author_handle="a_reader")
    first = listener.answer("answer-1", clock.now(), "Thanks!", to)
    again = listener.answer("answer-1", clock.now(), "Thanks!", to)

    assert again.already_there and again.remote_id == first.remote_id
    assert meta.count("POST", "threads_publish") == 2  # the post, and the answer once
    answer = meta.objects[first.remote_id]
    assert answer["reply_to"] == reply_id and answer["form"]["media_type"] == "TEXT"


def test_mentions_move_the_marker_and_are_not_read_twice(meta: MetaStandIn) -> None:
    listener = ThreadsListener(_adapter(meta))
    found = listener.read_mentions(None)
    assert [m.author_handle for m in found.items] == ["a_reader"] and found.newest

    again = listener.read_mentions(found.newest)
    assert again.items == [] and again.newest is None
