"""The pure rules of drafts and approval (parley.publishing.approval, parley.networks.counts)."""

from __future__ import annotations

from typing import Any

from parley.networks import counts
from parley.publishing import approval
from parley.publishing.deliveries import MISSED_APPROVAL, State


class Delivery:
    def __init__(self, state: str, failure_reason: str | None = None) -> None:
        self.state = state
        self.failure_reason = failure_reason


def status(*records: Any) -> str:
    return approval.post_status(list(records))


def test_a_post_whose_deliveries_all_missed_approval_shows_missed_approval() -> None:
    assert status(Delivery("cancelled", MISSED_APPROVAL), Delivery("cancelled", MISSED_APPROVAL)) == MISSED_APPROVAL
    assert status(Delivery("cancelled", MISSED_APPROVAL), Delivery("cancelled")) == "cancelled"
    assert status(Delivery("pending_approval"), Delivery("pending_approval")) == "pending_approval"
    assert status(Delivery("draft"), Delivery("cancelled")) == "mixed"


def test_a_new_delivery_waits_for_approval_before_anything_else() -> None:
    assert approval.first_state(waits=True, held=True) == State.PENDING_APPROVAL
    assert approval.first_state(waits=False, held=True) == State.HELD
    assert approval.first_state(waits=False, held=False) == State.SCHEDULED


def test_counts_are_the_networks_own() -> None:
    family = "👨‍👩‍👧"  # one grapheme, five code points, 18 bytes
    bluesky = counts.count("bluesky", f"hi {family}")
    assert (bluesky.graphemes, bluesky.bytes, bluesky.weighted, bluesky.limit) == (4, 21, 4, 300)
    x = counts.count("x", "see https://example.com/a/very/long/path/indeed " + "漢")
    assert x.weighted == len("see ") + 23 + 1 + 2 and x.limit == 280
    mastodon = counts.count("mastodon", "https://example.com/" + "a" * 100)
    assert mastodon.weighted == 23 and mastodon.limit == 500
    threads = counts.count("threads", "ok 👍")
    assert threads.weighted == 3 + 4 and threads.limit == 500
