"""What a channel of each network can provide, and what it cannot (GET /channels returns it with each channel):
data only, so each network's adapter owner adjusts its own entry. `notes` says why something is missing or
limited (an API that does not offer it, a scope the app needs, a paid tier).

Keys: publish; replies (comments on parley's posts come back to the inbox); mentions (posts naming the account);
counters (the engagement numbers the metrics keep, by parley's names: likes, reposts, replies, quotes,
impressions; `impressions` only where the API gives them);
answers (parley can reply from the inbox); search (listening by keyword); images: "optional", "required" or
"none"; thread: how a thread's later parts go out ("replies": each a reply to the one before, the network's
own thread; None: the network has no threads, and a thread is refused unless `thread_mode` is "comments");
comments: the account can comment on its own post (a thread's parts as comments, a first comment).
"""

from __future__ import annotations

from typing import Any, Final

CAPABILITIES: Final[dict[str, dict[str, Any]]] = {
    "bluesky": {
        "publish": True,
        "thread": "replies",
        "comments": True,
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
        "thread": "replies",
        "comments": True,
        "replies": True,
        "mentions": True,
        "counters": ["likes", "reposts", "replies", "quotes"],
        "answers": True,
        "search": True,
        "images": "optional",
        "notes": [
            "no impressions: Mastodon does not count views",
            "quotes only where the instance counts them",
            "search: hashtags only (full-text search finds only posts whose authors opted in)",
        ],
    },
    "x": {
        "publish": True,
        "thread": "replies",
        "comments": True,
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
        "thread": None,
        "comments": True,
        "replies": True,
        "mentions": False,
        "counters": ["likes", "replies"],
        "answers": True,
        "search": False,
        "images": "optional",
        "notes": [
            "replies, answers and counters only for an organization page (r_organization_social);"
            " a member profile publishes only",
            "likes count every reaction; no impressions (only organization share statistics have them,"
            " which parley does not read)",
            "no mentions or keyword search: LinkedIn's API offers neither",
            "no threads: a thread's later parts go out as the account's own comments (thread_mode comments),"
            " like a first comment",
        ],
    },
    "facebook": {
        "publish": True,
        "thread": None,
        "comments": True,
        "replies": True,
        "mentions": False,
        "counters": ["likes", "replies", "reposts", "impressions"],
        "answers": True,
        "search": False,
        "images": "optional",
        "notes": [
            "likes count every reaction, reposts are shares",
            "impressions only where the Page token has read_insights",
            "no mentions (Facebook sends Page mentions by webhook, which parley does not take) and no keyword"
            " search (the Graph API has none)",
            "no threads: a thread's later parts go out as the Page's own comments (thread_mode comments)",
        ],
    },
    "instagram": {
        "publish": True,
        "thread": None,
        "comments": True,
        "replies": True,
        "mentions": False,
        "counters": ["likes", "replies", "impressions"],
        "answers": True,
        "search": False,
        "images": "required",
        "notes": [
            "every post needs an image (Instagram has no text-only posts)",
            "impressions (views), reach, saves and shares only where insights were granted",
            "no mentions (Instagram reports them only by webhook) and no keyword search",
            "no threads: a thread's later parts go out as the account's own comments (thread_mode comments),"
            " like a first comment",
        ],
    },
    "threads": {
        "publish": True,
        "thread": "replies",
        "comments": True,
        "replies": True,
        "mentions": True,
        "counters": ["likes", "replies", "reposts", "quotes", "impressions"],
        "answers": True,
        "search": True,
        "images": "optional",
        "notes": [
            "impressions are Threads' views (insights)",
            "mentions and keyword search need the app's threads_manage_mentions and threads_keyword_search"
            " permissions (Meta's app review)",
        ],
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
    "thread": None,
    "comments": False,
    "notes": ["parley does not know this network"],
}


def capabilities(network: str) -> dict[str, Any]:
    """A copy of the network's entry (callers may not change the table)."""
    entry = CAPABILITIES.get(network, UNKNOWN)
    return {k: list(v) if isinstance(v, list) else v for k, v in entry.items()}
