"""Posting quotas checked at queue time: a network that allows only so many posts per account in a rolling
24 hours refuses the one over, so parley refuses it first, naming the network and the window.

Counted: the channel's deliveries that will go out or went out (not cancelled, not failed), read through the
deliveries' `by_state` index in the 48 hours around the new delivery's time (a bounded Query per state; no
Scan). Each delivery is counted at its own time: a post added to the queue goes out at each channel's own
slot (Monday on one channel, Tuesday on another), so each channel's quota is checked on its own day.

Where the network says its own limit, it is asked (`asked_limit`): Instagram
(`GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config`) and Threads
(`GET /{threads-user-id}/threads_publishing_limit?fields=quota_usage,config`) say the limit of the account
(`config.quota_total`, per `config.quota_duration` seconds). When the network cannot be asked (unreachable,
throttled, a token it refuses), None: the caller uses the documented default. The answer is kept for a
few minutes per channel, so a burst of queued posts asks once.

Only the total is used: `quota_usage` counts what is already out in the last 24 hours, which parley counts
itself from its deliveries (posts made outside parley are not seen; the network refuses them at publish
time, and the delivery is deferred).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from parley.publishing.deliveries import State, state_key
from parley.shared import clock
from parley.shared.errors import FieldProblem
from parley.shared.observability import logger
from parley.store import ChannelRecord, DeliveryRecord

WINDOW = timedelta(hours=24)

# Posts per account in a rolling 24 hours, per network, from each network's documentation.
DAILY_POSTS: dict[str, int] = {
    # https://developer.x.com/en/docs/twitter-api/rate-limits: POST /2/tweets, 100 requests per 24 hours
    # per user (the x-user-limit-24hour-* headers report it).
    "x": 100,
    # https://developers.facebook.com/docs/instagram-platform/content-publishing (limitations): 100
    # API-published posts per 24 hours (content_publishing_limit's config.quota_total).
    "instagram": 100,
    # https://developers.facebook.com/docs/threads/overview#rate-limiting: 250 API-published posts per
    # 24 hours (threads_publishing_limit's config.quota_total).
    "threads": 250,
}
# a post waiting for approval too: an approval sends it without checking again (docs/approval.md)
COUNTED = (State.SCHEDULED, State.HELD, State.PUBLISHING, State.RETRYING, State.PUBLISHED, State.PENDING_APPROVAL)


# Networks that say their own limit through their API: asked at queue time when reachable, the documented
# default above otherwise (asked_limit, below).
LIMIT_FROM_NETWORK = ("instagram", "threads")


def daily_limit(channel: ChannelRecord) -> int | None:
    if str(channel.network) in LIMIT_FROM_NETWORK:
        asked = asked_limit(channel)
        if asked is not None:
            return asked
    return DAILY_POSTS.get(str(channel.network))


def check(
    workspace_id: str,
    channels: list[ChannelRecord],
    publish_at: datetime,
    post_id: str | None = None,
    times: Mapping[str, datetime] | None = None,
) -> list[FieldProblem]:
    """Problems for the channels whose network would refuse one more post at its time: `times`, the
    channel's own (a slot in the queue: each delivery goes out at its own), else `publish_at` (`post_id`: a
    post being edited, whose own deliveries are not counted twice)."""
    problems: list[FieldProblem] = []
    for channel in channels:
        limit = daily_limit(channel)
        if limit is None:
            continue
        at = (times or {}).get(str(channel.channel_id), publish_at)
        queued = _queued_times(workspace_id, str(channel.channel_id), at, post_id)
        busiest = busiest_window(sorted([*queued, at]), at)
        if busiest > limit:
            when = "this time" if at == publish_at else f"its time on this channel ({at.isoformat()})"
            problems.append(
                FieldProblem(
                    "publish_at",
                    f"{channel.network} allows {limit} posts per 24 hours on {channel.handle}; "
                    f"{busiest - 1} are already queued or out within 24 hours of {when}",
                )
            )
    return problems


def busiest_window(times: list[datetime], at: datetime) -> int:
    """The most of `times` (sorted, `at` among them) inside any 24-hour window that contains `at`: such a
    window can always be moved to end at one of the times, so only those windows are counted."""
    best, start = 0, 0
    for end, when in enumerate(times):
        while when - times[start] >= WINDOW:
            start += 1
        if at <= when and when - at < WINDOW:  # the window (when - 24 h, when] holds `at`
            best = max(best, end - start + 1)
    return best


def _queued_times(workspace_id: str, channel_id: str, at: datetime, post_id: str | None) -> list[datetime]:
    low, high = (at - WINDOW).isoformat(), (at + WINDOW).isoformat()
    times: list[datetime] = []
    for state in COUNTED:
        for record in DeliveryRecord.by_state.query(
            state_key(workspace_id, state),
            DeliveryRecord.publish_key.between(low, high),
            filter_condition=DeliveryRecord.channel_id == channel_id,
        ):
            if record.post_id != post_id:
                times.append(record.publish_at)
    return times


# -- the limit a network says itself ------------------------------------------------------------------

KEEP = timedelta(minutes=5)
_asked: dict[str, tuple[datetime, int]] = {}


def asked_limit(channel: ChannelRecord) -> int | None:
    """The channel's posts per 24 hours as its network says them, or None."""
    key = f"{channel.workspace_id}/{channel.channel_id}"
    now = clock.now()
    kept = _asked.get(key)
    if kept is not None and now - kept[0] < KEEP:
        return kept[1]
    from parley.connect import credentials  # only where a network is asked: cold imports stay lean
    from parley.connect.adapters import adapter_for

    try:
        credential = credentials.load_credential(channel.credential_parameter)
        sessions = credentials.SsmSessionStore(credentials.session_parameter(channel.credential_parameter))
        adapter = adapter_for(str(channel.network), credential, sessions)
        reader = getattr(adapter, "publishing_limit", None)
        if reader is None:
            return None
        total = int(reader().total)
    except Exception as exc:  # never a 5xx for a limit we can default (NetworkError, SSM, ...)
        logger.warning("could not ask the network for its publishing limit", extra={"reason": str(exc)})
        return None
    _asked[key] = (now, total)
    return total


def forget() -> None:
    """Tests: ask again."""
    _asked.clear()
