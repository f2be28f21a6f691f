"""Outbound webhooks' rules: the retry schedule within 24 hours, the signature a receiver checks, event ids."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from parley.webhooks.events import EventType, event_id
from parley.webhooks.sending import BACKOFF, GIVE_UP_AFTER, next_wait, signed_headers

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def test_the_waits_follow_the_schedule_and_the_last_one_ends_at_24_hours() -> None:
    now, waits = T0, []
    for attempts in range(1, 20):
        wait = next_wait(attempts, T0, now)
        if wait is None:
            break
        waits.append(wait)
        now += wait
    assert waits[:6] == list(BACKOFF[:6])
    assert now == T0 + GIVE_UP_AFTER  # the 7th wait is cut to end at 24 hours, then it gives up
    assert next_wait(len(BACKOFF) + 1, T0, T0) is None


def test_a_signature_verifies_with_the_secret_and_not_with_another_or_another_body() -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    payload = '{"data": {"post_id": "p1"}, "type": "post.published"}'
    headers = signed_headers(secret, "msg_1", payload, datetime.now(UTC))
    assert Webhook(secret).verify(payload, headers) == {"data": {"post_id": "p1"}, "type": "post.published"}
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QnVuY2hvZnNlY3JldGJ5dGVzaGVyZQ==").verify(payload, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(payload.replace("p1", "p2"), headers)


def test_an_event_has_one_id_however_often_it_is_emitted() -> None:
    assert event_id(EventType.POST_PUBLISHED, "p1.c1") == event_id(EventType.POST_PUBLISHED, "p1.c1")
    assert event_id(EventType.POST_PUBLISHED, "p1.c1") != event_id(EventType.DELIVERY_FAILED, "p1.c1")
    assert event_id(EventType.POST_PUBLISHED, "p1.c1") != event_id(EventType.POST_PUBLISHED, "p1.c2")
    assert event_id(EventType.POST_PUBLISHED, "x").startswith("msg_")


def test_later_attempts_wait_longer() -> None:
    assert all(a < b or a == b == timedelta(hours=10) for a, b in itertools.pairwise(BACKOFF))
