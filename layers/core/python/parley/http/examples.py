"""Examples of every success answer, for the OpenAPI document (http/contract.py attaches them), so that the
interactive docs show what comes back: per operation, shaped as the routes shape them (the views in http/ and
the rooms they call). Ids are made up but of the real forms, times are RFC 3339 as the views write them, and
no secret here is real (`pk_EXAMPLE...`, `whsec_EXAMPLE...`)."""

from __future__ import annotations

from typing import Any

from parley.http import calendar_examples, queue_examples, series_examples, thread_examples
from parley.http.problem_examples import IDS, WORKSPACE
from parley.metrics.views import COUNTERS, to_csv
from parley.networks.capabilities import capabilities

# ---- the success answers ---------------------------------------------------------------------

POST, CHANNEL, MEMBER, TOKEN = IDS["post_id"], IDS["channel_id"], IDS["member_id"], IDS["token_id"]
MASTODON = "ch_01m8zg7w1y3a5c7e9g1j3l5n7q"
CREATED, LATER = "2029-12-20T14:03:11.482000+00:00", "2029-12-21T08:15:40.107000+00:00"


def _capabilities(network: str) -> dict[str, Any]:
    return capabilities(network)


def _channel(**changes: Any) -> dict[str, Any]:
    return {
        "id": CHANNEL,
        "network": "bluesky",
        "handle": "acme.bsky.social",
        "remote_id": "did:plc:7iza6de2dwap2sbkpav7c6c6",
        "service_url": "https://bsky.social",
        "status": "active",
        "status_reason": None,
        "display_name": "Acme",
        "paused": False,
        "paused_since": None,
        "time_zone": "Europe/Paris",
        "created_at": CREATED,
        "capabilities": _capabilities("bluesky"),
    } | changes


def _delivery(**changes: Any) -> dict[str, Any]:
    return {
        "channel_id": CHANNEL,
        "network": "bluesky",
        "state": "scheduled",
        "text": "Spring sale: 20% off everything until Sunday https://go.example.com/l/Kq3v9Q2xW7mZ",
        "publish_at": "2030-01-15T09:00:00Z",
        "attempts": 0,
        "next_attempt_at": None,
        "published_at": None,
        "lag_ms": None,
        "url": None,
        "remote_id": None,
        "last_error": None,
        "failure_reason": None,
        "parts": None,  # a thread's parts (docs/threads.md)
        "first_comment": None,
    } | changes


PUBLISHED = _delivery(
    state="published",
    attempts=1,
    published_at="2030-01-15T09:00:01.240000Z",
    lag_ms=1240,
    url="https://bsky.app/profile/acme.bsky.social/post/3lbq2xk7mzs2c",
    remote_id="at://did:plc:7iza6de2dwap2sbkpav7c6c6/app.bsky.feed.post/3lbq2xk7mzs2c",
)


def _post(*deliveries: dict[str, Any], **changes: Any) -> dict[str, Any]:
    chosen = list(deliveries) or [_delivery()]
    states = {d["state"] for d in chosen}
    return {
        "id": POST,
        "text": "Spring sale: 20% off everything until Sunday https://example.com/sale",
        "overrides": {"x": {"text": "20% off until Sunday https://example.com/sale"}},
        "publish_at": "2030-01-15T09:00:00Z",
        "campaign": "spring-sale",
        "status": states.pop() if len(states) == 1 else "mixed",
        "created_by": MEMBER,
        "created_at": "2029-12-20T14:03:11.482000Z",
        "updated_at": "2029-12-20T14:03:11.482000Z",
        "deliveries": chosen,
        "media": [],
        "media_overrides": {},
        "link_card": None,
        "link_card_missing": None,
        "history": [{"at": "2029-12-20T14:03:11.482000+00:00", "action": "scheduled", "by": MEMBER}],
        "series": None,  # an occurrence of a repeating post: {id, occurrence} (docs/recurring.md)
        "thread": [],
        "thread_mode": None,
        "first_comment": None,
    } | changes


def _member(**changes: Any) -> dict[str, Any]:
    return {"id": MEMBER, "name": "Grace Hopper", "role": "editor", "created_at": CREATED} | changes


def _token(**changes: Any) -> dict[str, Any]:
    return {
        "id": TOKEN,
        "member_id": MEMBER,
        "label": "laptop",
        "prefix": "pk_EXAMPL",
        "created_at": CREATED,
        "last_used_at": LATER,
        "revoked_at": None,
    } | changes


SECRET = "pk_EXAMPLE0not0a0real0token0000000000000000"


def _webhook(**changes: Any) -> dict[str, Any]:
    return {
        "id": IDS["webhook_id"],
        "url": "https://hooks.example.com/parley",
        "events": ["post.published", "post.failed", "inbox.item"],
        "description": "CRM sync",
        "status": "active",
        "status_reason": None,
        "health": {
            "failing_since": None,
            "last_success_at": "2030-01-15T09:00:02.013000+00:00",
            "last_failure_at": None,
            "last_error": None,
        },
        "created_at": CREATED,
    } | changes


def _item(**changes: Any) -> dict[str, Any]:
    return {
        "id": IDS["item_id"],
        "kind": "reply",
        "network": "bluesky",
        "channel_id": CHANNEL,
        "post_id": POST,
        "listener_id": None,
        "remote_id": "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3lbq3a2hk4c2x",
        "parent_id": "at://did:plc:7iza6de2dwap2sbkpav7c6c6/app.bsky.feed.post/3lbq2xk7mzs2c",
        "author": {"handle": "sam.bsky.social", "id": "did:plc:u5cwb2mwiv2bfq53cjufe6yn"},
        "text": "Does the sale include the running shoes?",
        "url": "https://bsky.app/profile/sam.bsky.social/post/3lbq3a2hk4c2x",
        "created_at": "2030-01-15T09:12:44+00:00",
        "arrived_at": "2030-01-15T09:14:02.551000+00:00",
        "sentiment": {"label": "neutral", "score": 0.12},
        "status": "new",
        "claimed_by": None,
        "answer": None,
    } | changes


def _answer(**changes: Any) -> dict[str, Any]:
    return {
        "id": IDS["answer_id"],
        "name": "Shipping delay",
        "text": "Sorry for the wait, {author}: order {order} is on its way.",
        "placeholders": ["author", "order"],
        "created_by": MEMBER,
        "created_at": CREATED,
        "updated_at": CREATED,
    } | changes


def _listener(**changes: Any) -> dict[str, Any]:
    return {
        "id": IDS["listener_id"],
        "channel_id": CHANNEL,
        "kind": "hashtag",
        "query": "#springsale",
        "created_by": MEMBER,
        "next_poll": "2029-12-20T14:08:11+00:00",
    } | changes


def _media(**changes: Any) -> dict[str, Any]:
    return {
        "id": IDS["media_id"],
        "status": "ready",
        "reason": None,
        "content_type": "image/png",
        "size": 482133,
        "width": 1600,
        "height": 900,
        "alt": "Our new store's front, at dawn",
        "created_at": "2029-12-20T14:01:05.318000Z",
        "delete_after": "2030-01-19T14:01:05Z",
    } | changes


UPLOAD = {
    "url": "https://parley-media-123456789012.s3.amazonaws.com/",
    "fields": {
        "Content-Type": "image/png",
        "tagging": "<Tagging><TagSet><Tag><Key>parley-use</Key><Value>unused</Value></Tag></TagSet></Tagging>",
        "key": f"{WORKSPACE}/{IDS['media_id']}",
        "AWSAccessKeyId": "AKIAEXAMPLEEXAMPLE00",
        "policy": "eyJFWEFNUExFIjogIm5vdCBhIHJlYWwgcG9saWN5In0=",
        "signature": "EXAMPLEnotarealsignature00=",
    },
    "expires_at": "2029-12-20T14:16:05.318000Z",
}
ALERTS = {"k": 3.0, "baseline_days": 7, "min_items": 5, "webhook_url": None, "auto_hold": False}
DELIVERY_KEY = f"{POST}.{CHANNEL}"
ROW: dict[str, Any] = {
    "post_id": POST,
    "channel_id": CHANNEL,
    "network": "bluesky",
    "campaign": "spring-sale",
    "published_at": "2030-01-15T09:00:01.240000Z",
    "weekday": "Tue",
    "hour": 9,
    "likes": 42,
    "reposts": 7,
    "replies": 5,
    "quotes": 1,
    "impressions": 0,
    "engagement": 55,
    "clicks": 18,
    "previews": 3,
    "text": "Spring sale: 20% off everything until Sunday https://go.example.com/l/Kq3v9Q2xW7mZ",
}
LINK = {
    "code": "Kq3v9Q2xW7mZ",
    "channel_id": CHANNEL,
    "short_url": "https://go.example.com/l/Kq3v9Q2xW7mZ",
    "original": "https://example.com/sale",
    "target": "https://example.com/sale?utm_source=bluesky&utm_medium=social&utm_campaign=spring-sale",
    "clicks": 18,
    "previews": 3,
}
SUMMARY = {
    "from": "2029-12-17T00:00:00Z",
    "to": "2030-01-16T00:00:00Z",
    "channel": None,
    "complete": True,
    "totals": {"posts": 1, "deliveries": 1} | {k: ROW[k] for k in (*COUNTERS, "engagement", "clicks", "previews")},
    "top_posts": [{"post_id": POST, "text": ROW["text"], "engagement": 55, "clicks": 18}],
    "best_hours": [{"weekday": "Tue", "hour": 9, "deliveries": 1, "avg_engagement": 55.0, "avg_clicks": 18.0}],
    "deliveries": [ROW],
}
CALLBACK = {
    "id": "ch_01m8zm6b8d0f2h4k6m8p0r2t4v",
    "network": "linkedin",
    "handle": "Acme Outdoor",
    "remote_id": "urn:li:person:8kXbEXAMPLE",
    "status": "active",
    "created": True,
    "workspace": {"id": WORKSPACE, "name": "Acme"},
    "started_by": {"member_id": MEMBER, "name": "Grace Hopper"},
}
UPKEEP = "renewed automatically from 2030-02-13T14:03:11+00:00 (the token expires at 2030-02-18T14:03:11+00:00)"
_STATE = "st_EXAMPLE4q9Jm2vR7xK0bN5cW8zT3"
_W, _M, _P, _T, _A = "/webhooks", "/members/{member_id}", "/posts/{post_id}", "/members/{member_id}/tokens", "/answers"

SUCCESS: dict[tuple[str, str, int], Any] = {
    ("get", "/channels", 200): {"items": [_channel()]},
    ("post", "/channels", 201): _channel(),
    ("post", "/channels", 200): _channel(time_zone="UTC"),
    ("get", "/channels/{channel_id}", 200): _channel(
        health={
            "ok": True,
            "credential": "an app password: it lasts until revoked on Bluesky",
            "token_expires_at": None,
            "renewed_automatically": False,
            "last_published_at": "2030-01-15T09:00:01.240000Z",
            "last_polled_at": "2030-01-15T09:14:02.551000Z",
        },
        listening={"watched_posts": 1, "listeners": 1, "next_poll": "2030-01-15T09:29:02.551000+00:00"},
    ),
    ("patch", "/channels/{channel_id}", 200): _channel(time_zone="America/New_York", display_name="Acme (US)"),
    ("delete", "/channels/{channel_id}", 200): {
        "id": CHANNEL,
        "disconnected": True,
        "cancelled_posts": [POST],
        "failed_posts": [],
    },
    ("get", "/channels/x/connect", 200): {
        "authorization_url": "https://x.com/i/oauth2/authorize?response_type=code&client_id=EXAMPLE"
        f"&state={_STATE}&code_challenge=EXAMPLEchallenge&code_challenge_method=S256",
        "state": _STATE,
        "expires_at": "2029-12-20T14:13:11.482000+00:00",
        "callback_url": "https://api.example.com/channels/x/callback",
        "connect_url": f"https://api.example.com/channels/x/consent?state={_STATE}",
    },
    ("get", "/channels/x/callback", 200): {k: v for k, v in CALLBACK.items()}
    | {"network": "x", "handle": "acme", "remote_id": "1460982374512345088", "id": "ch_01m8zm9d1f3h5k7m9p1r3t5v7x"},
    ("get", "/channels/{network}/connect", 200): {
        "authorization_url": "https://www.linkedin.com/oauth/v2/authorization?response_type=code&client_id=EXAMPLE"
        f"&state={_STATE}&scope=openid%20profile%20w_member_social",
        "state": _STATE,
        "expires_at": "2029-12-20T14:13:11.482000+00:00",
        "callback_url": "https://api.example.com/channels/linkedin/callback",
        "scopes": ["openid", "profile", "w_member_social"],
        "connect_url": f"https://api.example.com/channels/linkedin/consent?state={_STATE}",
    },
    ("get", "/channels/{network}/callback", 200): CALLBACK | {"token_upkeep": UPKEEP},
    ("post", "/posts", 201): _post(
        _delivery(),
        _delivery(
            channel_id=MASTODON, network="mastodon", text=str(ROW["text"]).replace("Kq3v9Q2xW7mZ", "Rt5y8U1iO4pA")
        ),
    )
    | {"short_links": "on"},
    ("get", "/posts", 200): {"items": [_post()], "next_cursor": None},
    ("post", "/posts/import", 201): {
        "dry_run": False,
        "rows": 3,
        "created": [
            {"line": 2, "post_id": "p_01m8zg9y4c2x6v8b0n3m5k7j9h"},
            {"line": 4, "post_id": "p_01m8zgb0a2c4e6g8j0k2m4p6r8"},
        ],
        "errors": [{"line": 3, "column": "publish_at", "reason": "2025-01-05T08:00:00+00:00 is in the past"}],
    },
    ("post", "/posts/import", 200): {
        "dry_run": True,
        "rows": 3,
        "valid_lines": [2, 4],
        "errors": [{"line": 3, "column": "channels", "reason": "no channel acme.tset (an id or a handle)"}],
    },
    ("get", _P, 200): _post(PUBLISHED | thread_examples.PARTIAL_DELIVERY, **thread_examples.THREAD_POST),
    ("get", f"{_P}/deliveries", 200): {"items": [PUBLISHED]},
    ("patch", _P, 200): {
        "post": _post(
            _delivery(text="Spring sale: 25% off everything until Sunday https://go.example.com/l/Kq3v9Q2xW7mZ")
        ),
        "changed": [CHANNEL],
        "unchanged": [{"channel_id": MASTODON, "state": "published", "reason": "already published"}],
    },
    ("delete", _P, 200): {"post": _post(_delivery(state="cancelled")), "changed": [CHANNEL], "unchanged": []},
    ("post", f"{_P}/publish-now", 200): {
        "post": _post(_delivery(state="publishing")),
        "changed": [CHANNEL],
        "unchanged": [],
    },
    ("get", f"{_P}/metrics", 200): {
        "post_id": POST,
        "campaign": "spring-sale",
        "publish_at": "2030-01-15T09:00:00Z",
        "deliveries": [
            {
                "channel_id": CHANNEL,
                "network": "bluesky",
                "state": "published",
                "url": PUBLISHED["url"],
                "published_at": PUBLISHED["published_at"],
                "latest": {"likes": 42, "reposts": 7, "replies": 5, "quotes": 1}
                | {"engagement": 55, "clicks": 18, "previews": 3, "engagement_rate": None, "click_through_rate": None},
                "points": [
                    {"at": "2030-01-15T09:15:00Z", "counters": {"likes": 9, "reposts": 1, "replies": 2, "quotes": 0}}
                    | {"engagement": 12},
                    {"at": "2030-01-15T10:00:00Z", "counters": {"likes": 42, "reposts": 7, "replies": 5, "quotes": 1}}
                    | {"engagement": 55},
                ],
                "clicks_by_hour": [
                    {"hour": "2030-01-15T09", "clicks": 11, "previews": 3},
                    {"hour": "2030-01-15T10", "clicks": 7, "previews": 0},
                ],
                "links": [LINK],
            }
        ],
    },
    ("get", "/metrics/summary", 200): SUMMARY,
    ("get", "/campaigns", 200): {
        "items": [{"campaign": "spring-sale", "utm": {"utm_content": "banner"}}],
        "next_cursor": None,
    },
    ("put", "/campaigns/{name}", 200): {
        "campaign": "spring-sale",
        "utm": {"utm_content": "banner", "utm_term": "running shoes"},
    },
    ("get", "/media/{media_id}", 200): _media(),
    ("post", "/media", 201): _media(status="pending", width=None, height=None, delete_after="2029-12-21T14:01:05Z")
    | {"upload": UPLOAD},
    ("post", "/media/{media_id}/complete", 200): _media(),
    ("get", "/workspace/media", 200): {"require_alt_text": False},
    ("put", "/workspace/media", 200): {"require_alt_text": True},
    ("get", "/inbox", 200): {"items": [_item()], "next_cursor": "eyJFWEFNUExFIjoiY3Vyc29yIn0"},
    ("get", "/inbox/{item_id}", 200): _item(),
    ("post", "/inbox/{item_id}/claim", 200): _item(status="claimed", claimed_by=MEMBER),
    ("post", "/inbox/{item_id}/release", 200): _item(),
    ("post", "/inbox/{item_id}/dismiss", 200): _item(status="dismissed"),
    ("post", "/inbox/{item_id}/reply", 200): _item(
        status="answered",
        answer={
            "remote_id": "at://did:plc:7iza6de2dwap2sbkpav7c6c6/app.bsky.feed.post/3lbq3f7pq2k2y",
            "url": "https://bsky.app/profile/acme.bsky.social/post/3lbq3f7pq2k2y",
            "by": MEMBER,
        },
    ),
    ("get", _A, 200): {"items": [_answer()]},
    ("post", _A, 201): _answer(),
    ("get", f"{_A}/{{answer_id}}", 200): _answer(),
    ("put", f"{_A}/{{answer_id}}", 200): _answer(updated_at=LATER),
    ("get", "/listeners", 200): {
        "items": [_listener(), _listener(id="lst_01m8zhv7e9g1j3l5n7p9r1t3v5", kind="mentions", query=None)]
    },
    ("post", "/listeners", 201): _listener(),
    ("post", "/workspace/hold", 200): {"held": [DELIVERY_KEY]},
    ("post", "/workspace/resume", 200): {
        "resumed": [DELIVERY_KEY],
        "still_held": [
            {"delivery": f"{POST}.{MASTODON}", "reason": "its time passed while it was held; edit its time"}
        ],
    },
    ("get", "/workspace/alerts", 200): ALERTS,
    ("put", "/workspace/alerts", 200): ALERTS
    | {"webhook_url": "https://hooks.slack.com/services/T00000000/B00000000/EXAMPLE"},
    ("get", "/me", 200): _member(role="admin", name="Grace Hopper")
    | {"workspace": {"id": WORKSPACE, "name": "Acme Outdoor"}},
    ("get", "/members", 200): {
        "items": [_member(id="mem_01m8zf0e3g5j7l9n1q3s5u7w9y", name="Grace Hopper", role="admin"), _member()]
    },
    ("post", "/members", 201): _member() | {"token": _token(last_used_at=None) | {"secret": SECRET}},
    ("get", _M, 200): _member(),
    ("patch", _M, 200): _member(role="admin"),
    ("get", _T, 200): {
        "items": [_token(), _token(id="tok_01m8zjq4s6u8w0y2a4c6e8g0j2", label="Zapier", last_used_at=None)]
    },
    ("post", _T, 201): _token(label="Zapier", last_used_at=None) | {"secret": SECRET},
    ("get", _W, 200): {"items": [_webhook()]},
    ("post", _W, 201): _webhook(
        health=dict.fromkeys(("failing_since", "last_success_at", "last_failure_at", "last_error"))
    )
    | {"secret": "whsec_EXAMPLE0bm90IGEgcmVhbCBzZWNyZXQ="},
    ("get", f"{_W}/{{webhook_id}}", 200): _webhook(),
    ("patch", f"{_W}/{{webhook_id}}", 200): _webhook(status="disabled", status_reason="disabled by a person"),
    ("get", f"{_W}/{{webhook_id}}/deliveries", 200): {
        "items": [
            {
                "id": "msg_k5q2w7x9z3b6d8f1h4j7l0n2p5r8t1v3",
                "event_type": "post.published",
                "status": "delivered",
                "attempts": 1,
                "last_status": 200,
                "last_error": None,
                "created_at": "2030-01-15T09:00:01.512000+00:00",
                "last_attempt_at": "2030-01-15T09:00:02.013000+00:00",
                "next_attempt_at": None,
                "delivered_at": "2030-01-15T09:00:02.013000+00:00",
            }
        ],
        "next_cursor": None,
    },
}
# Drafts checked on demand and approval (http/approval.py, docs/approval.md).
_WAITING = [{"at": CREATED, "action": "submitted", "by": "mem_01m8zg3q7k2v9x4t6b8n0c5cnt"}]
_COUNTS = {"graphemes": 312, "bytes": 318, "weighted": 312, "limit": 300, "counted_as": "graphemes", "byte_limit": 3000}
_TOO_LONG = {"field": "text", "reason": "Bluesky: 312 graphemes; Bluesky allows at most 300"}
SUCCESS |= {
    ("post", "/posts/validate", 200): {
        "ok": False,
        "publish_at": "2030-01-15T09:00:00Z",
        "problems": [],
        "channels": [
            {"channel_id": CHANNEL, "network": "bluesky", "ok": False, "problems": [_TOO_LONG], "counts": _COUNTS}
        ],
    },
    ("post", f"{_P}/approve", 200): _post(history=[*_WAITING, {"at": LATER, "action": "approved", "by": MEMBER}]),
    ("post", f"{_P}/reject", 200): _post(
        _delivery(state="draft"),
        history=[*_WAITING, {"at": LATER, "action": "rejected", "by": MEMBER, "comment": "Wait for the launch"}],
    ),
    ("get", "/workspace/approval", 200): {"required": True},
    ("put", "/workspace/approval", 200): {"required": False},
}
# The composer's previews (http/previews.py, docs/composer.md).
SUCCESS[("post", "/posts/preview", 200)] = {
    "ok": True,
    "publish_at": None,
    "problems": [],
    "short_links": "on",
    "channels": [
        {
            "channel_id": CHANNEL,
            "network": "bluesky",
            "ok": True,
            "problems": [],
            "counts": _COUNTS | {"graphemes": 60, "bytes": 60, "weighted": 60},
            "account": {"name": "Acme", "handle": "@acme.bsky.social", "avatar_url": None},
            "text": "Spring sale with @alice.bsky.social #spring example.com/sale",
            "segments": [
                {"kind": "text", "text": "Spring sale with "},
                {"kind": "mention", "text": "@alice.bsky.social", "href": "https://bsky.app/profile/alice.bsky.social"},
                {"kind": "text", "text": " "},
                {"kind": "hashtag", "text": "#spring", "href": "https://bsky.app/hashtag/spring"},
                {"kind": "text", "text": " "},
                {
                    "kind": "link",
                    "text": "example.com/sale",
                    "href": "https://example.com/sale?utm_source=bluesky&utm_medium=social",
                },
            ],
            "images": [],
            "link_card": {
                "url": "https://example.com/sale",
                "title": "Spring sale",
                "description": "20% off everything until Sunday",
                "thumbnail_url": "https://example.com/sale.jpg",
            },
            "link_card_missing": None,
        }
    ],
}
SUCCESS |= queue_examples.SUCCESS
# The text alternatives of a 200 (CSV, an HTML page), by (method, path).
TEXT: dict[tuple[str, str], str] = {
    ("get", "/metrics/summary"): to_csv(SUMMARY),
    ("get", "/channels/x/callback"): '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>parley: X account connected</title></head><body><h1>X account connected</h1>"
    "<p>@acme is connected as channel ch_01m8zm9d1f3h5k7m9p1r3t5v7x.</p>"
    "<dl><dt>Workspace</dt><dd>Acme</dd><dt>Started by</dt><dd>Grace Hopper</dd><dt>Network</dt><dd>X</dd>"
    "<dt>Account</dt><dd>@acme</dd></dl><p>You can close this page.</p></body></html>",
    ("get", "/channels/{network}/callback"): '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    "<title>parley: LinkedIn account connected</title></head><body><h1>LinkedIn account connected</h1>"
    "<p>Acme Outdoor is connected as channel ch_01m8zm6b8d0f2h4k6m8p0r2t4v. Token: "
    f"{UPKEEP}.</p>"
    "<dl><dt>Workspace</dt><dd>Acme</dd><dt>Started by</dt><dd>Grace Hopper</dd><dt>Network</dt><dd>LinkedIn</dd>"
    "<dt>Account</dt><dd>Acme Outdoor</dd></dl><p>You can close this page.</p></body></html>",
}


SUCCESS |= calendar_examples.SUCCESS
SUCCESS |= series_examples.SUCCESS  # repeating posts (docs/recurring.md)
TEXT[("get", "/calendar.ics")] = calendar_examples.ICS


def success(method: str, path: str, status: int, media_type: str) -> dict[str, Any] | None:
    """An Example Object of the success answer, or None when there is none yet."""
    if media_type != "application/json":
        text = TEXT.get((method, path))
        return None if text is None else {"value": text}
    if (method, path, status) not in SUCCESS:
        return None
    return {"value": SUCCESS[(method, path, status)]}
