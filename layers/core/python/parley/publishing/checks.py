"""The queue-time rules of a post, in one place: queueing (`posts.create_post`), scheduling a draft
(`drafts`) and `POST /posts/validate` (`validation`) all run these, so that no rule has a second copy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from parley.connect.channels import get_channel, text_limits
from parley.links import short_links
from parley.media import link_cards, post_media
from parley.networks.registry import check_text as network_check_text
from parley.publishing import quotas, threads
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.shared.timeparse import parse_publish_at
from parley.store import ChannelRecord

if TYPE_CHECKING:
    from parley.publishing.posts import PostDraft

MAX_CHANNELS = 20
NETWORK_NAMES = {"bluesky": "Bluesky", "mastodon": "Mastodon", "x": "X"}


def check_text(text: str, channels: list[ChannelRecord], overrides: dict[str, str] | None = None) -> None:
    """Each network's rules on the text it will get (its override, or the post's text)."""
    overrides = overrides or {}
    if not text.strip():
        raise ValidationFailed(FieldProblem("text", "must not be empty"))
    problems = []
    networks = {c.network for c in channels}
    for network in sorted(set(overrides) - networks):
        problems.append(FieldProblem(f"overrides.{network}", f"no channel of this post is on {network}"))
    rules = {(c.network, text_limits(c)) for c in channels}  # a Mastodon instance may set its own limit
    for network, limits in sorted(rules, key=lambda rule: (rule[0], str(rule[1]))):
        field_name = f"overrides.{network}.text" if network in overrides else "text"
        network_text = overrides.get(network, text)
        if not network_text.strip():
            problems.append(FieldProblem(field_name, "must not be empty"))
            continue
        for problem in network_check_text(network, short_links.preview(network, network_text), mastodon_limits=limits):
            reason = f"{NETWORK_NAMES.get(network, network)}: {problem.reason}"
            problems.append(FieldProblem(field_name if problem.field == "text" else problem.field, reason))
    if problems:
        raise ValidationFailed(problems)


def channel_count(channel_ids: list[str]) -> None:
    if not channel_ids:
        raise ValidationFailed(FieldProblem("channels", "name at least one channel"))
    if len(set(channel_ids)) != len(channel_ids):
        raise ValidationFailed(FieldProblem("channels", "a channel is named twice"))
    if len(channel_ids) > MAX_CHANNELS:
        raise ValidationFailed(FieldProblem("channels", f"at most {MAX_CHANNELS} channels per post"))


def inactive(channel: ChannelRecord) -> FieldProblem | None:
    if channel.status != "active":
        return FieldProblem("channels", f"channel {channel.channel_id} is {channel.status}: reconnect it first")
    return None


def channels(workspace_id: str, channel_ids: list[str]) -> list[ChannelRecord]:
    """The post's channels: named once each, at most MAX_CHANNELS, every one of them the workspace's (404)
    and active."""
    channel_count(channel_ids)
    found = [get_channel(workspace_id, cid) for cid in channel_ids]
    for channel in found:
        problem = inactive(channel)
        if problem is not None:
            raise ValidationFailed(problem)
    return found


@dataclass(frozen=True)
class Checked:
    """A post that queueing accepts: its channels, its time in UTC, its images per network, its link card."""

    channels: list[ChannelRecord]
    publish_at: datetime
    attached: post_media.PostMedia | None
    card: link_cards.CardOutcome


@dataclass
class Found:
    problems: list[FieldProblem]
    attached: post_media.PostMedia | None = None
    card: link_cards.CardOutcome | None = None


def problems(
    workspace_id: str,
    draft: PostDraft,
    channels: list[ChannelRecord],
    publish_at: datetime | None,
    *,
    post_id: str | None = None,
    with_card: bool = True,
    time_problems: list[FieldProblem] | None = None,
) -> Found:
    """What queueing `draft` on `channels` at `publish_at` would refuse (None: no time yet, so no quota;
    `time_problems`: why the time given is not one)."""
    found = Found([])
    try:
        check_text(draft.text, channels, draft.overrides)
    except ValidationFailed as exc:
        found.problems += exc.problems
    found.problems += threads.problems(draft, channels)  # each part of a thread, on each network
    found.problems += threads.comment_problems(draft, channels)
    found.problems += time_problems or []
    if publish_at is not None:
        found.problems += quotas.check(workspace_id, channels, publish_at, post_id, draft.delivery_times)
    if draft.media or draft.media_overrides:
        try:
            found.attached = post_media.resolve(workspace_id, channels, draft.media, draft.media_overrides)
        except ValidationFailed as exc:
            found.problems += exc.problems
    found.problems += post_media.required_images(channels, draft.media, draft.media_overrides)  # Instagram's
    if with_card:
        everywhere = found.attached is not None and found.attached.everywhere
        try:
            found.card = link_cards.card_outcome(draft.text, draft.overrides, draft.link_card, everywhere)
        except ValidationFailed as exc:
            found.problems += exc.problems
    return found


def check(workspace_id: str, draft: PostDraft, now: datetime, *, post_id: str | None = None) -> Checked:
    """Every queue-time rule at once: all the problems in one 422, or the post as it will be queued."""
    found_channels = channels(workspace_id, draft.channel_ids)
    time_problems: list[FieldProblem] = []
    publish_at = None
    try:
        publish_at = parse_publish_at(draft.publish_at or "", draft.time_zone, now)
    except ValidationFailed as exc:
        time_problems = exc.problems
    found = problems(workspace_id, draft, found_channels, publish_at, post_id=post_id, time_problems=time_problems)
    if found.problems or publish_at is None:
        raise ValidationFailed(found.problems or [FieldProblem("publish_at", "give a time")])
    return Checked(found_channels, publish_at, found.attached, found.card or link_cards.CardOutcome(None))
