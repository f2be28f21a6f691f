"""`POST /posts/validate`: what queueing a post would refuse, per channel, and the counts a composer shows
live, without writing anything. The rules are queueing's own (`checks.problems`, run on one channel at a
time), so that no rule has a second copy."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parley.connect.channels import get_channels, text_limits
from parley.links import short_links
from parley.media import link_cards
from parley.networks import counts
from parley.publishing import checks
from parley.shared import clock
from parley.shared.errors import FieldProblem, NotFound, ValidationFailed
from parley.shared.timeparse import parse_publish_at
from parley.store import ChannelRecord
from parley.team.members import Principal, Role

if TYPE_CHECKING:
    from parley.publishing.posts import PostDraft


def validate(
    principal: Principal, draft: PostDraft, channels: dict[str, ChannelRecord] | None = None
) -> dict[str, Any]:
    """Per channel: its problems (field and reason, as POST /posts would answer them) and its text's counts.
    Without a `publish_at`, the time's rules (the past, the quotas) are not checked, and `publish_at` says so.
    `channels`: the workspace's channels of the draft, when the caller has read them (one batched read)."""
    principal.require(Role.CONTRIBUTOR)
    checks.channel_count(draft.channel_ids)  # the request's own shape: 422, as POST /posts
    if channels is None:
        channels = get_channels(principal.workspace_id, draft.channel_ids)
    post_problems: list[FieldProblem] = []
    publish_at = None
    if draft.publish_at:
        try:
            publish_at = parse_publish_at(draft.publish_at, draft.time_zone, clock.now())
        except ValidationFailed as exc:
            post_problems += exc.problems
    # The fields given; a card fetched from the page is made when it is queued. The page is read within the
    # live check's short budget, once for a while (link_cards.fetch_card_quickly): a composer asks again and again.
    if draft.link_card:
        try:
            link_cards.card_outcome(
                draft.text, draft.overrides, draft.link_card, False, fetch=link_cards.fetch_card_quickly
            )
        except ValidationFailed as exc:
            post_problems += exc.problems
    per_channel = [
        _channel(principal.workspace_id, draft, channel_id, channels.get(channel_id), publish_at)
        for channel_id in draft.channel_ids
    ]
    ok = not post_problems and all(c["ok"] for c in per_channel)
    return {
        "ok": ok,
        "publish_at": publish_at.isoformat().replace("+00:00", "Z") if publish_at else None,
        "problems": [_problem(p) for p in post_problems],
        "channels": per_channel,
    }


def _channel(
    workspace_id: str, draft: PostDraft, channel_id: str, channel: ChannelRecord | None, publish_at: Any
) -> dict[str, Any]:
    if channel is None:
        problem = FieldProblem("channels", f"no channel {channel_id} in this workspace")
        return {"channel_id": channel_id, "network": None, "ok": False, "problems": [_problem(problem)], "counts": None}
    problems = [p for p in [checks.inactive(channel)] if p is not None]
    try:
        problems += checks.problems(workspace_id, draft, [channel], publish_at, with_card=False).problems
    except NotFound as exc:  # an image that is not the workspace's: POST /posts answers 404, here it is said
        problems.append(FieldProblem("media", str(exc)))
    text = draft.overrides.get(channel.network, draft.text)
    counted = counts.count(
        channel.network, short_links.preview(channel.network, text), mastodon_limits=text_limits(channel)
    )
    found = {
        "channel_id": channel_id,
        "network": channel.network,
        "ok": not problems,
        "problems": [_problem(p) for p in problems],
        "counts": counted.to_dict(),
    }
    if draft.thread:  # each later part's counts, by this network's rule (docs/threads.md)
        limits = text_limits(channel)
        counted_parts = [counts.count(channel.network, t, mastodon_limits=limits) for t in draft.thread]
        found["thread_counts"] = [c.to_dict() for c in counted_parts]
    return found


def _problem(problem: FieldProblem) -> dict[str, str]:
    return {"field": problem.field, "reason": problem.reason}
