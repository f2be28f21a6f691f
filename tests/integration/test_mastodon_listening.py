"""Listening on Mastodon over HTTP against `mastodon_mock` (a mock of Mastodon's REST API written by
others, not a Mastodon server): replies through `/context`, counters, mentions since a marker, and
answers threaded exactly once. Each test uses its own accounts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from parley.listening.mastodon import MastodonListener
from parley.networks.base import AnswerTo, Credential, PublishRequest
from parley.networks.mastodon import LimitsCache, MastodonAdapter, RateLimited
from parley.shared.clock import ManualClock
from tests.support.peers import MastodonMock
from tests.support.sessions import MemoryStore

pytestmark = pytest.mark.peers


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _adapter(mock: MastodonMock, token: str) -> MastodonAdapter:
    return MastodonAdapter(
        Credential("brand", token, mock.base_url), MemoryStore(), ManualClock(_now()), limits_cache=LimitsCache()
    )


def _as(mock: MastodonMock, token: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """What another person does on the instance, with their own token."""
    response = requests.request(
        method, f"{mock.base_url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    response.raise_for_status()
    return response.json()


def _accounts(mock: MastodonMock, *names: str) -> list[tuple[str, str, str]]:
    """(username, token, account id) of new accounts."""
    made = []
    for name in names:
        username = f"{name}{uuid.uuid4().hex[:6]}"
        token = mock.new_account(username)
        made.append((username, token, str(_as(mock, token, "GET", "/api/v1/accounts/verify_credentials")["id"])))
    return made


def test_replies_of_other_accounts_and_the_counters_are_read(mastodon_mock: MastodonMock) -> None:
    (_, brand, brand_id), (alice, alice_token, alice_id) = _accounts(mastodon_mock, "brand", "alice")
    adapter = _adapter(mastodon_mock, brand)
    post = adapter.publish(PublishRequest("01jlisten", "Launch day! What do you think?", _now(), look_first=False))
    reply = _as(
        mastodon_mock,
        alice_token,
        "POST",
        "/api/v1/statuses",
        {"status": "Love it, great work!", "in_reply_to_id": post.remote_id},
    )
    nested = _as(mastodon_mock, brand, "POST", "/api/v1/statuses", {"status": "Thanks!", "in_reply_to_id": reply["id"]})
    deeper = _as(
        mastodon_mock, alice_token, "POST", "/api/v1/statuses", {"status": "Really.", "in_reply_to_id": nested["id"]}
    )
    _as(mastodon_mock, alice_token, "POST", f"/api/v1/statuses/{post.remote_id}/favourite")
    _as(mastodon_mock, alice_token, "POST", f"/api/v1/statuses/{post.remote_id}/reblog")

    conversation = MastodonListener(adapter).read_conversation(post.remote_id, brand_id)

    assert conversation is not None
    assert conversation.counters["like"] == 1 and conversation.counters["repost"] == 1
    assert conversation.counters["reply"] == 1  # direct replies only, as Mastodon counts them
    found = {s.uri: s for s in conversation.replies}
    assert set(found) == {reply["id"], deeper["id"]}  # our own answer in the thread is left out
    first = found[reply["id"]]
    assert first.kind == "reply" and first.text == "Love it, great work!" and first.author_id == alice_id
    assert first.author_handle.startswith(alice) and first.parent_uri == post.remote_id
    assert first.root_uri == post.remote_id and first.url == reply["url"]
    assert found[deeper["id"]].parent_uri == nested["id"]


def test_mentions_are_read_once_past_the_marker(mastodon_mock: MastodonMock) -> None:
    (brand_name, brand, brand_id), (_, bob_token, _) = _accounts(mastodon_mock, "brand", "bob")
    listener = MastodonListener(_adapter(mastodon_mock, brand))
    first = _as(mastodon_mock, bob_token, "POST", "/api/v1/statuses", {"status": f"@{brand_name} is this out yet?"})
    _as(mastodon_mock, bob_token, "POST", f"/api/v1/accounts/{brand_id}/follow")  # not a mention: left out

    found = listener.read_mentions(None)
    (mention,) = found.items
    assert mention.kind == "mention" and mention.uri == first["id"] and "is this out yet?" in mention.text
    assert found.newest is not None

    second = _as(mastodon_mock, bob_token, "POST", "/api/v1/statuses", {"status": f"@{brand_name} hello again"})
    later = listener.read_mentions(found.newest)
    assert [m.uri for m in later.items] == [second["id"]]
    assert later.newest is not None and later.newest > found.newest
    assert listener.read_mentions(later.newest).items == []


def test_an_answer_is_threaded_under_the_reply_once_even_when_retried(mastodon_mock: MastodonMock) -> None:
    (_, brand, _), (alice, alice_token, _) = _accounts(mastodon_mock, "brand", "alice")
    post = _adapter(mastodon_mock, brand).publish(PublishRequest("01janswer", "Ask us", _now(), look_first=False))
    reply = _as(
        mastodon_mock, alice_token, "POST", "/api/v1/statuses", {"status": "When?", "in_reply_to_id": post.remote_id}
    )
    to = AnswerTo(reply["id"], "", post.remote_id, "", alice)

    answers = [
        MastodonListener(_adapter(mastodon_mock, brand)).answer("answer:in_1", _now(), "Today!", to) for _ in "12"
    ]

    assert answers[0].remote_id == answers[1].remote_id and answers[1].already_there
    threaded = [s for s in mastodon_mock.statuses_of(brand) if s["in_reply_to_id"] == reply["id"]]
    (answer,) = threaded
    assert answer["id"] == answers[0].remote_id and f"@{alice}" in answer["content"] and "Today!" in answer["content"]


def test_a_rate_limited_read_is_deferred_to_the_reset_time(mastodon_mock: MastodonMock) -> None:
    ((_, brand, brand_id),) = _accounts(mastodon_mock, "brand")
    adapter = _adapter(mastodon_mock, brand)
    post = adapter.publish(PublishRequest("01jlimit", "Limited", _now(), look_first=False))
    mastodon_mock.add_fault(
        {
            "match": {"methods": ["GET"], "path": f"/api/v1/statuses/{post.remote_id}"},
            "effect": {"type": "ratelimit"},
            "count": 1,
        }
    )
    try:
        with pytest.raises(RateLimited) as caught:
            MastodonListener(adapter).read_conversation(post.remote_id, brand_id)
    finally:
        mastodon_mock.clear_faults()
    assert caught.value.retry_at is not None and caught.value.retry_at > _now()
