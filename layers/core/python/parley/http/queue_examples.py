"""Examples of the queue's success answers (parley.http.queue), for the OpenAPI document: http/examples.py
takes them into its SUCCESS."""

from __future__ import annotations

from typing import Any

from parley.http.problem_examples import IDS

POST, CHANNEL = IDS["post_id"], IDS["channel_id"]
OTHER_POST = "p_01m8zq2w4y6a8c0e2g4j6l8n0q"
OTHER_CHANNEL = "ch_01m8zg7w1y3a5c7e9g1j3l5n7q"
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
TIMES = [{"days": WEEKDAYS, "at": ["09:00", "12:30", "17:00"]}]
SLOTS = {
    "time_zone": "Europe/Berlin",
    "times": TIMES,
    "source": "channel",
    "group": None,
    "channel_id": CHANNEL,
    "member_of": None,
}
GROUP = {"name": "spring-sale", "channels": [CHANNEL, OTHER_CHANNEL], "time_zone": "Europe/Berlin", "times": TIMES}
SWAPPED = {"channel_id": CHANNEL, "slots": {POST: "2030-01-15T16:00:00Z", OTHER_POST: "2030-01-15T08:00:00Z"}}


def _queued_post() -> dict[str, Any]:
    delivery = {
        "channel_id": CHANNEL,
        "network": "bluesky",
        "state": "scheduled",
        "text": "Spring sale: 20% off everything until Sunday",
        "publish_at": "2030-01-15T08:00:00Z",
        "attempts": 0,
        "next_attempt_at": None,
        "published_at": None,
        "lag_ms": None,
        "url": None,
        "remote_id": None,
        "last_error": None,
        "failure_reason": None,
        "parts": None,
        "first_comment": None,
    }
    return {
        "id": POST,
        "text": "Spring sale: 20% off everything until Sunday",
        "overrides": {},
        "publish_at": "2030-01-15T08:00:00Z",
        "campaign": None,
        "status": "scheduled",
        "created_by": IDS["member_id"],
        "created_at": "2029-12-20T14:03:11.482000Z",
        "updated_at": "2029-12-21T08:15:40.107000Z",
        "deliveries": [delivery],
        "media": [],
        "media_overrides": {},
        "link_card": None,
        "link_card_missing": None,
        "thread": [],
        "thread_mode": None,
        "first_comment": None,
    }


SUCCESS: dict[tuple[str, str, int], Any] = {
    ("get", "/channels/{channel_id}/slots", 200): SLOTS,
    ("put", "/channels/{channel_id}/slots", 200): SLOTS,
    ("get", "/channel-groups", 200): {"items": [GROUP]},
    ("get", "/channel-groups/{name}", 200): GROUP,
    ("put", "/channel-groups/{name}", 200): GROUP,
    ("delete", "/channel-groups/{name}", 200): {"deleted": "spring-sale", "channels": [CHANNEL, OTHER_CHANNEL]},
    ("post", "/posts/{post_id}/queue", 200): {"post": _queued_post(), "changed": [CHANNEL], "unchanged": []},
    ("get", "/channels/{channel_id}/queue", 200): {
        "channel_id": CHANNEL,
        "paused": False,
        "source": "channel",
        "items": [
            {
                "at": "2030-01-15T08:00:00Z",
                "local": "2030-01-15T09:00:00+01:00",
                "slot": True,
                "post": {"id": POST, "text": "Spring sale: 20% off everything until Sunday", "state": "scheduled"},
            },
            {"at": "2030-01-15T11:30:00Z", "local": "2030-01-15T12:30:00+01:00", "slot": True, "post": None},
        ],
        "next_cursor": None,
    },
    ("post", "/channels/{channel_id}/queue/swap", 200): SWAPPED,
    ("post", "/channels/{channel_id}/queue/move", 200): SWAPPED,
    ("post", "/channels/{channel_id}/queue/pause", 200): {
        "channel_id": CHANNEL,
        "paused": True,
        "held": [f"{POST}.{CHANNEL}"],
    },
    ("post", "/channels/{channel_id}/queue/resume", 200): {
        "channel_id": CHANNEL,
        "paused": False,
        "moved": {POST: "2030-01-16T08:00:00Z"},
        "resumed": [f"{POST}.{CHANNEL}"],
        "still_held": [],
    },
}
