"""Listening on X on recorded answers (tests/support/x_recorded.py, each citing X's docs page), served by
the `responses` library: no sockets. The request shapes are proven against X's spec by Prism
(tests/integration/test_x_prism.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses

from parley.listening.x import XListener, marker
from parley.networks.base import AnswerTo, Credential, TransientNetworkError
from parley.networks.x import RateLimited, XAdapter
from parley.shared.clock import ManualClock
from tests.support import x_recorded as rec

API = "http://127.0.0.1:4010"
ARRIVED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TO = AnswerTo(rec.REPLY_ID, "", rec.LISTEN_POST_ID, "", "afan")


class NoSessions:
    def load(self) -> dict[str, str] | None:
        return None

    def save(self, session: dict[str, str]) -> None:
        return None


@pytest.fixture
def api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def listener() -> XListener:
    credential = Credential(rec.USER_ID, "user-token", API)
    return XListener(XAdapter(credential, NoSessions(), ManualClock(ARRIVED), requests.Session()))


def _query(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(urlparse(str(call.request.url)).query)


def test_a_conversation_gives_the_counters_and_the_replies_of_others(api: responses.RequestsMock) -> None:
    api.get(f"{API}/2/tweets/{rec.LISTEN_POST_ID}", json=rec.POST_LOOKUP_200)
    api.get(f"{API}/2/tweets/search/recent", json=rec.CONVERSATION_200)

    conversation = listener().read_conversation(rec.LISTEN_POST_ID, rec.USER_ID)

    assert conversation is not None
    assert conversation.counters == {"like": 31, "repost": 7, "reply": 2, "quote": 1, "bookmark": 3, "impression": 1200}
    (reply,) = conversation.replies  # our own answer in the conversation is left out
    assert (reply.uri, reply.author_handle, reply.parent_uri, reply.root_uri) == (
        rec.REPLY_ID,
        "afan",
        rec.LISTEN_POST_ID,
        rec.LISTEN_POST_ID,
    )
    assert reply.url == f"https://x.com/afan/status/{rec.REPLY_ID}" and reply.kind == "reply"
    assert reply.created_at == datetime(2021, 11, 15, 20, 9, 59, tzinfo=UTC)
    assert _query(api.calls[1])["query"] == [f"conversation_id:{rec.LISTEN_POST_ID}"]
    assert conversation.calls == 2


def test_a_post_that_is_gone_is_no_conversation(api: responses.RequestsMock) -> None:
    api.get(f"{API}/2/tweets/{rec.LISTEN_POST_ID}", json=rec.POST_GONE_200)

    assert listener().read_conversation(rec.LISTEN_POST_ID, rec.USER_ID) is None
    assert len(api.calls) == 1


def test_mentions_are_read_page_by_page_from_the_marker(api: responses.RequestsMock) -> None:
    url = f"{API}/2/users/{rec.USER_ID}/mentions"
    api.get(
        url,
        json=rec.MENTIONS_PAGE_2_200,
        match=[
            responses.matchers.query_param_matcher(
                {"pagination_token": rec.MENTIONS_PAGE_1_200["meta"]["next_token"]}, strict_match=False
            )
        ],
    )
    api.get(url, json=rec.MENTIONS_PAGE_1_200)

    found = listener().read_mentions(marker("1375152449594520000"))

    assert [m.uri for m in found.items] == [rec.MENTION_NEW_ID, rec.MENTION_OLD_ID]
    assert {m.kind for m in found.items} == {"mention"} and found.items[1].text.startswith("Terrible outage")
    assert found.newest == marker(rec.MENTION_NEW_ID) and found.calls == 2
    assert _query(api.calls[0])["since_id"] == ["1375152449594520000"]  # the marker, unpadded


def test_markers_order_like_the_ids() -> None:
    assert marker("99") < marker("100") and marker(rec.MENTION_OLD_ID) < marker(rec.MENTION_NEW_ID)


def test_an_answer_is_a_reply_to_the_item_and_is_looked_for_first(api: responses.RequestsMock) -> None:
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json=rec.NOTHING_NEW_200)
    api.post(f"{API}/2/tweets", json=rec.CREATE_ANSWER_201, status=201)

    published = listener().answer("answer:in_1", ARRIVED, "@afan Today!", TO)

    assert published.remote_id == rec.ANSWER_ID and not published.already_there
    assert json.loads(api.calls[1].request.body or b"{}") == {
        "text": "@afan Today!",
        "reply": {"in_reply_to_tweet_id": rec.REPLY_ID},
    }
    assert _query(api.calls[0])["start_time"] == ["2026-03-01T08:58:00Z"]


def test_a_retried_answer_finds_the_first_and_posts_nothing(api: responses.RequestsMock) -> None:
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json=rec.USER_POSTS_WITH_ANSWER_200)

    published = listener().answer("answer:in_1", ARRIVED, "@afan Today!", TO)

    assert published.remote_id == rec.ANSWER_ID and published.already_there
    assert [c.request.method for c in api.calls] == ["GET"]


def test_an_answer_that_timed_out_is_looked_for_before_failing(api: responses.RequestsMock) -> None:
    timeline = f"{API}/2/users/{rec.USER_ID}/tweets"
    api.get(timeline, json=rec.NOTHING_NEW_200)
    api.post(f"{API}/2/tweets", body=requests.Timeout())
    api.get(timeline, json=rec.USER_POSTS_WITH_ANSWER_200)

    published = listener().answer("answer:in_1", ARRIVED, "@afan Today!", TO)

    assert published.already_there and published.remote_id == rec.ANSWER_ID
    assert [c.request.method for c in api.calls] == ["GET", "POST", "GET"]


def test_an_answer_that_timed_out_and_is_not_there_fails_as_transient(api: responses.RequestsMock) -> None:
    api.get(f"{API}/2/users/{rec.USER_ID}/tweets", json=rec.NOTHING_NEW_200)
    api.post(f"{API}/2/tweets", body=requests.Timeout())

    with pytest.raises(TransientNetworkError):
        listener().answer("answer:in_1", ARRIVED, "@afan Today!", TO)
    assert [c.request.method for c in api.calls] == ["GET", "POST", "GET"]  # one look after, no second POST


def test_a_rate_limited_read_says_when_to_come_back(api: responses.RequestsMock) -> None:
    api.get(
        f"{API}/2/users/{rec.USER_ID}/mentions",
        json=rec.TOO_MANY_REQUESTS_429,
        status=429,
        headers=rec.RATE_LIMIT_HEADERS,
    )

    with pytest.raises(RateLimited) as caught:
        listener().read_mentions(None)
    assert caught.value.retry_at == datetime.fromtimestamp(rec.RATE_LIMIT_RESET, UTC)
    assert len(api.calls) == 1
