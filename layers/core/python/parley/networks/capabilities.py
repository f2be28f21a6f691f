"""What a channel of each network can provide, and what it cannot (GET /channels returns it with each channel):
data only, so each network's adapter owner adjusts its own entry. `notes` says why something is missing or
limited (an API that does not offer it, a scope the app needs, a paid tier).

Keys: publish; replies (comments on parley's posts come back to the inbox); mentions (posts naming the account);
counters (which engagement numbers the metrics read; `impressions` among them only where the API gives them);
answers (parley can reply from the inbox); search (listening by keyword); images: "optional", "required" or
"none".
"""

from __future__ import annotations

from typing import Any, Final

CAPABILITIES: Final[dict[str, dict[str, Any]]] = {
    "bluesky": {
        "publish": True,
        "replies": True,
        "mentions": True,
        "counters": ["likes", "reposts", "replies", "quotes"],
        "answers": True,
        "search": True,
        "images": "optional",
        "notes": ["no impressions: Bluesky's API does not count views"],
    },
    "mastodon": {
        "publish": True,
        "replies": True,
        "mentions": True,
        "counters": ["favourites", "reblogs", "replies"],
        "answers": True,
        "search": True,
        "images": "optional",
        "notes": [
            "no impressions: Mastodon does not count views",
            "search: hashtags, or full text where the instance allows it",
        ],
    },
    "x": {
        "publish": True,
        "replies": True,
        "mentions": True,
        "counters": ["likes", "reposts", "replies", "quotes", "impressions"],
        "answers": True,
        "search": True,
        "images": "optional",
        "notes": ["listening, search and counters depend on the X API tier of parley's app"],
    },
    "linkedin": {
        "publish": True,
        "replies": True,
        "mentions": False,
        "counters": ["likes", "comments", "reposts", "impressions"],
        "answers": True,
        "search": False,
        "images": "optional",
        "notes": [
            "replies, answers and counters only for an organization page (r_organization_social);"
            " a member profile publishes only",
            "impressions only for an organization page (organization share statistics)",
            "no mentions or keyword search: LinkedIn's API offers neither",
        ],
    },
    "facebook": {
        "publish": True,
        "replies": True,
        "mentions": False,
        "counters": ["reactions", "comments", "shares", "impressions"],
        "answers": True,
        "search": False,
        "images": "optional",
        "notes": ["no mentions or keyword search: the Pages API offers neither"],
    },
    "instagram": {
        "publish": True,
        "replies": True,
        "mentions": False,
        "counters": ["likes", "comments", "impressions"],
        "answers": True,
        "search": False,
        "images": "required",
        "notes": [
            "every post needs an image (Instagram has no text-only posts)",
            "no mentions or keyword search through the Instagram API with Instagram Login",
        ],
    },
    "threads": {
        "publish": True,
        "replies": True,
        "mentions": False,
        "counters": ["likes", "replies", "reposts", "quotes", "views"],
        "answers": True,
        "search": False,
        "images": "optional",
        "notes": ["no mentions or keyword search: they need permissions parley does not ask for"],
    },
}

UNKNOWN: Final[dict[str, Any]] = {
    "publish": False,
    "replies": False,
    "mentions": False,
    "counters": [],
    "answers": False,
    "search": False,
    "images": "none",
    "notes": ["parley does not know this network"],
}


def capabilities(network: str) -> dict[str, Any]:
    """A copy of the network's entry (callers may not change the table)."""
    entry = CAPABILITIES.get(network, UNKNOWN)
    return {k: list(v) if isinstance(v, list) else v for k, v in entry.items()}
