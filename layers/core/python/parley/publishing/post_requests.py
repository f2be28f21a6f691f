"""A request to make a post, as the API (`POST /posts`, `/posts/validate`, `/posts/preview`) and the web app's
composer both take it: its fields as a `PostDraft`, and the one call that queues it at a time, at the next free
slot (`"next_slot"`) or stores it as a draft. One copy, so both front doors answer alike."""

from __future__ import annotations

from typing import Any

from parley.publishing import posts, queue_posts
from parley.scheduling import Arming
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.team.members import Principal

NEXT_SLOT = queue_posts.NEXT_SLOT


def draft_of(body: dict[str, Any]) -> posts.PostDraft:
    """A POST /posts body (also POST /posts/validate's and /posts/preview's) as the core takes it."""
    return posts.PostDraft(
        text=body["text"],
        channel_ids=body["channels"],
        publish_at=body.get("publish_at"),
        status=body.get("status"),
        time_zone=body.get("time_zone"),
        campaign=body.get("campaign"),
        overrides={n: o["text"] for n, o in (body.get("overrides") or {}).items() if o.get("text") is not None},
        media=list(body.get("media") or []),
        media_overrides={n: o["media"] for n, o in (body.get("overrides") or {}).items() if o.get("media") is not None},
        link_card=body.get("link_card"),
        thread=[part["text"] for part in body.get("thread") or []],
        thread_mode=body.get("thread_mode"),
        first_comment=(body.get("first_comment") or {}).get("text"),
    )


def create(principal: Principal, arming: Arming, draft: posts.PostDraft) -> dict[str, Any]:
    """Queue `draft` (at its time, or each channel's next free slot) or store it as a draft."""
    if draft.publish_at == NEXT_SLOT:
        if draft.status == "draft":
            reason = "next_slot takes a slot now; a draft gets one when added to the queue (POST /posts/{id}/queue)"
            raise ValidationFailed(FieldProblem("publish_at", reason))
        return queue_posts.create_queued(principal, arming, draft)
    return posts.create_post(principal, arming, draft)
