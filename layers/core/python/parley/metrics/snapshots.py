"""Engagement snapshots: each poll run stores the counters of each watched delivery with their time,
so every post has a curve (docs/metrics.md).

Counters are whatever the network gives, named the same on every network: likes, reposts, replies,
quotes, and impressions where there are any. Recording is best effort: a snapshot that cannot be
written is logged and the poll goes on (the next poll writes the next point).

With each snapshot the delivery's own record gets the same counters and their time (`counters`,
`counters_at`), so the summary reads one item per delivery instead of a Query per delivery. That write
sets absolute values, only if they are newer than what the record holds: a snapshot written twice (a
retried poll) or late (an older one after a newer one) changes nothing, and there is no running sum to
count twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from parley.shared import clock, emf
from parley.shared.observability import logger
from parley.store import DeliveryRecord, SnapshotRecord, UpdateError
from parley.store.keys import post_key

# The networks' names (Bluesky's likeCount -> "like", Mastodon's favourites, X's public_metrics) -> ours.
_NAMES = {
    "like": "likes",
    "likes": "likes",
    "favourites": "likes",
    "favourites_count": "likes",
    "like_count": "likes",
    "repost": "reposts",
    "reposts": "reposts",
    "reblogs": "reposts",
    "reblogs_count": "reposts",
    "retweet_count": "reposts",
    "reply": "replies",
    "replies": "replies",
    "replies_count": "replies",
    "reply_count": "replies",
    "quote": "quotes",
    "quotes": "quotes",
    "quote_count": "quotes",
    "impression": "impressions",
    "impressions": "impressions",
    "impression_count": "impressions",
    "bookmark_count": "bookmarks",
    "bookmarks": "bookmarks",
}
ENGAGEMENT = ("likes", "reposts", "replies", "quotes")


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalize(counters: dict[str, Any]) -> dict[str, int]:
    """Our names for the network's counters; anything not a count is dropped."""
    out: dict[str, int] = {}
    for name, value in counters.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        key = _NAMES.get(name, name)
        out[key] = out.get(key, 0) + int(value)
    return out


def engagement(counters: dict[str, int]) -> int:
    return sum(int(counters.get(name, 0)) for name in ENGAGEMENT)


def record(watch: Any, network: str, counters: dict[str, Any]) -> None:
    """One point on the curve of a watched delivery (`watch` is its WatchRecord). Never raises."""
    try:
        _record(watch.workspace_id, str(watch.post_id), watch.channel_id, network, normalize(counters))
    except Exception:
        logger.exception("could not record an engagement snapshot", extra={"post_id": watch.post_id})


def _record(workspace_id: str, post_id: str, channel_id: str, network: str, counters: dict[str, int]) -> None:
    now = clock.now()
    key = post_key(workspace_id, post_id)
    previous = latest(key, channel_id)
    SnapshotRecord(
        key,
        f"{channel_id}#{stamp(now)}",
        channel_id=channel_id,
        network=network,
        taken_at=now,
        counters=counters,
    ).save()
    keep_on_delivery(workspace_id, post_id, channel_id, counters, now)
    before = engagement(previous) if previous is not None else 0
    emf.count(emf.ENGAGEMENT, engagement(counters) - before, network)


def keep_on_delivery(workspace_id: str, post_id: str, channel_id: str, counters: dict[str, int], at: datetime) -> bool:
    """The newest counters on the delivery's record, for the summary: one conditional UpdateItem that
    does nothing for a snapshot not newer than the one it holds, or for a delivery that is not there (or is
    another workspace's). Whether it wrote."""
    try:
        DeliveryRecord(post_id, channel_id).update(
            actions=[DeliveryRecord.counters.set(counters), DeliveryRecord.counters_at.set(at)],
            condition=DeliveryRecord.post_id.exists()
            & (DeliveryRecord.workspace_id == workspace_id)
            & (DeliveryRecord.counters_at.does_not_exist() | (DeliveryRecord.counters_at < at)),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def latest(key: str, channel_id: str) -> dict[str, int] | None:
    """The counters of the channel's newest snapshot of this post (one Query, one item)."""
    for item in SnapshotRecord.query(
        key, SnapshotRecord.snapshot_key.startswith(f"{channel_id}#"), scan_index_forward=False, limit=1
    ):
        return {k: int(v) for k, v in item.counters.as_dict().items()}
    return None


def curves(workspace_id: str, post_id: str) -> dict[str, list[dict[str, Any]]]:
    """channel id -> its points, oldest first: [{at, counters}] (one Query, paged)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for item in SnapshotRecord.query(post_key(workspace_id, post_id)):
        out.setdefault(item.channel_id, []).append(
            {"at": clock_iso(item.taken_at), "counters": {k: int(v) for k, v in item.counters.as_dict().items()}}
        )
    return out


def clock_iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")
