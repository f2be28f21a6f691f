"""The Mastodon adapter over HTTP against `mastodon_mock`: a mock of Mastodon's REST API written by others
(PyPI), not a Mastodon server (none can be installed here). One mock per test session; each test uses
its own account, so tests do not see each other's statuses."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from parley.networks.base import Attachment, Credential, InvalidCredential, PublishRequest
from parley.networks.mastodon import LimitsCache, MastodonAdapter, MastodonLimits, RateLimited
from parley.shared.clock import ManualClock
from tests.support.images import png
from tests.support.peers import MastodonMock
from tests.support.sessions import MemoryStore

pytestmark = pytest.mark.peers


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _adapter(mock: MastodonMock, token: str, now: datetime | None = None) -> MastodonAdapter:
    credential = Credential("brand", token, mock.base_url)
    return MastodonAdapter(credential, MemoryStore(), ManualClock(now or _now()), limits_cache=LimitsCache())


def test_verify_names_the_account_of_the_token(mastodon_mock: MastodonMock) -> None:
    token = mastodon_mock.new_account("verify_me")
    credential = Credential("verify_me", token, mastodon_mock.base_url)

    account = _adapter(mastodon_mock, token).verify(credential)

    assert account.handle.startswith("verify_me@127.0.0.1:")
    assert account.remote_id


def test_verify_with_an_unknown_token_is_an_invalid_credential(mastodon_mock: MastodonMock) -> None:
    credential = Credential("nobody", "not-a-token", mastodon_mock.base_url)

    with pytest.raises(InvalidCredential):
        _adapter(mastodon_mock, "not-a-token").verify(credential)


def test_publish_creates_one_status_with_the_text(mastodon_mock: MastodonMock) -> None:
    token = mastodon_mock.new_account("publisher")
    request = PublishRequest("01jpublish", "Hello from parley https://example.com/launch", _now(), look_first=False)

    published = _adapter(mastodon_mock, token).publish(request)

    statuses = mastodon_mock.statuses_of(token)
    assert [s["id"] for s in statuses] == [published.remote_id]
    assert published.url.endswith(f"/{published.remote_id}")


def test_the_same_delivery_twice_makes_one_status(mastodon_mock: MastodonMock) -> None:
    token = mastodon_mock.new_account("twice")
    request = PublishRequest("01jtwice", "Exactly once, please", _now(), look_first=False)

    first = _adapter(mastodon_mock, token).publish(request)
    second = _adapter(mastodon_mock, token).publish(request)  # a retry: a new invocation, the same key

    assert second.remote_id == first.remote_id
    assert len(mastodon_mock.statuses_of(token)) == 1


def test_two_deliveries_with_the_same_text_make_two_statuses(mastodon_mock: MastodonMock) -> None:
    token = mastodon_mock.new_account("two_deliveries")
    now = _now()

    a = _adapter(mastodon_mock, token).publish(PublishRequest("01ja", "Same words", now, look_first=False))
    b = _adapter(mastodon_mock, token).publish(PublishRequest("01jb", "Same words", now, look_first=False))

    assert a.remote_id != b.remote_id


def test_a_takeover_finds_the_status_instead_of_posting_again(mastodon_mock: MastodonMock) -> None:
    token = mastodon_mock.new_account("takeover")
    due = _now() - timedelta(seconds=5)
    first = _adapter(mastodon_mock, token).publish(PublishRequest("01jtake", "Posted before the crash", due, False))

    found = _adapter(mastodon_mock, token).publish(PublishRequest("01jtake", "Posted before the crash", due, True))

    assert found.already_there and found.remote_id == first.remote_id
    assert len(mastodon_mock.statuses_of(token)) == 1


def test_find_is_none_for_a_delivery_never_published(mastodon_mock: MastodonMock) -> None:
    token = mastodon_mock.new_account("never")

    assert _adapter(mastodon_mock, token).find(PublishRequest("01jnever", "Never sent", _now(), True)) is None


def test_a_rate_limited_instance_defers_to_its_reset_time(mastodon_mock: MastodonMock) -> None:
    token = mastodon_mock.new_account("limited")
    mastodon_mock.add_fault(
        {"match": {"methods": ["POST"], "path": "/api/v1/statuses"}, "effect": {"type": "ratelimit"}, "count": 1}
    )
    subject = _adapter(mastodon_mock, token)
    try:
        with pytest.raises(RateLimited) as caught:
            subject.publish(PublishRequest("01jlimited", "Not yet", _now(), look_first=False))
    finally:
        mastodon_mock.clear_faults()

    assert caught.value.retry_at is not None and caught.value.retry_at > _now()
    assert mastodon_mock.statuses_of(token) == []


def test_the_instances_limits_are_read_and_applied(mastodon_mock: MastodonMock) -> None:
    token = mastodon_mock.new_account("limits")
    subject = _adapter(mastodon_mock, token)

    assert subject.limits() == MastodonLimits(max_characters=500, characters_reserved_per_url=23)
    assert subject.check_text("a" * 470 + " https://example.com/" + "p" * 100) == []
    assert subject.check_text("a" * 501) != []


# -- look-first finds our own post (issue 15 item 6) ---------------------------------------------------------
# A retry after Mastodon forgot the Idempotency-Key (about an hour) is played by a request whose key the
# instance never saw: only `find` stands between it and a second status.


def _forgotten_key(request: PublishRequest) -> PublishRequest:
    return replace(request, delivery_id=request.delivery_id + "-key-forgotten", look_first=True)


def test_a_retry_finds_our_image_status_and_posts_nothing(mastodon_mock: MastodonMock) -> None:
    token = mastodon_mock.new_account("retry_images")
    due = _now() - timedelta(seconds=5)
    images = (Attachment(png(), "image/png", alt="The front door"), Attachment(png(), "image/png", alt="A map"))
    request = PublishRequest("01jimages", "The new office, in pictures", due, look_first=False, images=images)
    first = _adapter(mastodon_mock, token).publish(request)

    found = _adapter(mastodon_mock, token).publish(_forgotten_key(request))

    assert found.already_there and found.remote_id == first.remote_id
    assert [s["id"] for s in mastodon_mock.statuses_of(token)] == [first.remote_id]


def test_a_retry_posts_when_the_same_text_went_out_with_other_images(mastodon_mock: MastodonMock) -> None:
    token = mastodon_mock.new_account("retry_other_images")
    due = _now() - timedelta(seconds=5)
    text = "The new office, in pictures"
    other = _adapter(mastodon_mock, token).publish(
        PublishRequest("01jother", text, due, False, images=(Attachment(png(), "image/png", alt="A map"),))
    )
    ours = PublishRequest("01jours", text, due, False, images=(Attachment(png(), "image/png", alt="The front door"),))

    published = _adapter(mastodon_mock, token).publish(_forgotten_key(ours))

    assert not published.already_there and published.remote_id != other.remote_id
    assert len(mastodon_mock.statuses_of(token)) == 2


class RendersMentions(requests.Session):
    """Every request goes to mastodon_mock; the statuses it answers have their mentions rendered as
    Mastodon renders a resolved one (a link showing `@username` only, https://docs.joinmastodon.org/entities/Status/
    #content), which the mock does not do: it leaves `@user@domain` as written, as Mastodon does for an
    account it cannot resolve (the next test)."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        if str(method) == "GET" and str(url).endswith("/statuses") and response.ok:
            statuses = response.json()
            for status in statuses:
                status["content"] = _MENTION.sub(
                    lambda m: (
                        f'<span class="h-card"><a href="https://{m[2]}/@{m[1]}" class="u-url mention">'
                        f"@<span>{m[1].lower()}</span></a></span>"
                    ),
                    status["content"],
                )
            response._content = json.dumps(statuses).encode()
        return response


_MENTION = re.compile(r"@(\w+)@([\w.]+\w)")


def _with_http(mock: MastodonMock, token: str, http: requests.Session) -> MastodonAdapter:
    credential = Credential("brand", token, mock.base_url)
    return MastodonAdapter(credential, MemoryStore(), ManualClock(_now()), http, limits_cache=LimitsCache())


def test_a_retry_finds_our_status_with_a_remote_mention_shown_as_the_username(mastodon_mock: MastodonMock) -> None:
    token = mastodon_mock.new_account("retry_mentions")
    request = PublishRequest("01jmention", "Thanks @Alice@example.social for the launch!", _now(), look_first=False)
    first = _adapter(mastodon_mock, token).publish(request)

    found = _with_http(mastodon_mock, token, RendersMentions()).publish(_forgotten_key(request))
    unresolved = _adapter(mastodon_mock, token).find(_forgotten_key(request))

    assert found.already_there and found.remote_id == first.remote_id
    assert unresolved is not None and unresolved.remote_id == first.remote_id
    assert len(mastodon_mock.statuses_of(token)) == 1
