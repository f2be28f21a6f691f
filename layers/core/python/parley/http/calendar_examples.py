"""Examples of the calendar's answers for the OpenAPI document (merged into http/examples.py)."""

from __future__ import annotations

from typing import Any

POST = "p_01m8zfz4eh0xe9b6728nrcrqad"
CHANNEL = "ch_01m8zg3q7k2v9x4t6b8n0c5dre"
FEED_URL = "https://api.example.com/v1/calendar.ics?token=pcf_Qm9vayBvZiBUaGUgRGVhZCBpcyBub3QgYSBzZWNyZXQ"


def _entry(**changes: Any) -> dict[str, Any]:
    return {
        "post_id": POST,
        "channel_id": CHANNEL,
        "network": "bluesky",
        "state": "scheduled",
        "publish_at": "2030-03-31T07:00:00Z",
        "local_time": "2030-03-31T09:00:00+02:00",
        "text": "Spring sale: 20% off everything until Sunday https://acme.example/sale",
        "url": None,
        "published_at": None,
    } | changes


SUCCESS: dict[tuple[str, str, int], Any] = {
    ("get", "/calendar", 200): {
        "from": "2030-03-29T23:00:00Z",
        "to": "2030-04-01T22:00:00Z",
        "tz": "Europe/Berlin",
        "channel": None,
        "days": [
            {
                "date": "2030-03-30",
                "entries": [
                    _entry(
                        post_id="p_01m8zfyb3c5e7g9j1l3n5q7s9u",
                        state="published",
                        publish_at="2030-03-30T08:00:00Z",
                        local_time="2030-03-30T09:00:00+01:00",
                        text="Doors open at nine",
                        url="https://bsky.app/profile/acme.example/post/3l6oveex3ii2l",
                        published_at="2030-03-30T08:00:01.204000Z",
                    )
                ],
                "free_slots": [],
            },
            {"date": "2030-03-31", "entries": [_entry()], "free_slots": []},
            {
                "date": "2030-04-01",
                "entries": [],
                "free_slots": [{"channel_id": "ch_01m8zg3q7k2v9x4t6b8n0c5dre", "at": "2030-04-01T07:00:00Z"}],
            },
        ],
        "next_cursor": None,
    },
    ("get", "/me/calendar-feed", 200): {"active": True, "created_at": "2030-01-15T09:00:00+00:00", "revoked_at": None},
    ("post", "/me/calendar-feed", 201): {"active": True, "created_at": "2030-01-15T09:00:00+00:00", "url": FEED_URL},
}

ICS = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "PRODID:-//parley//calendar feed//EN",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:parley: Acme",
        "X-WR-CALDESC:What goes out when\\, on which network (parley)",
        "X-PUBLISHED-TTL:PT15M",
        "BEGIN:VEVENT",
        "SUMMARY:Bluesky: Spring sale: 20% off everything until Sunday",
        "DTSTART:20300331T070000Z",
        "DTEND:20300331T071500Z",
        "DTSTAMP:20300115T090000Z",
        f"UID:{POST}-{CHANNEL}@parley",
        "SEQUENCE:316170000",
        "CATEGORIES:Bluesky,scheduled",
        "DESCRIPTION:Spring sale: 20% off everything until Sunday\\n\\nState: scheduled\\nIn parley: ",
        f" https://api.example.com/v1/posts/{POST}",
        "LAST-MODIFIED:20300115T090000Z",
        "STATUS:CONFIRMED",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
)
