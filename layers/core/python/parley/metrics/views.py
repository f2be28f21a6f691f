"""What the metrics API answers: one post's curves (`post_metrics`) and a period's summary (`summary`),
both scoped to the caller's workspace and read by keys and indexes only (no Scan).

The summary reads the posts of the period (the posts' `by_publish_at` index, newest first, at most
METRICS_MAX_POSTS), then their deliveries, which hold their newest counters (written with each snapshot,
parley.metrics.snapshots), and each delivery's click tally (parley.links.clicks): one Query and two
BatchGetItems of 100 keys, whatever the posts hold, never a call per post. Deliveries queued before the
tallies existed (no `tallied`) are read as they always were: their post's links, their newest snapshot.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from parley.metrics import snapshots
from parley.publishing import posts
from parley.shared import clock, timeparse
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.shared.names import METRICS_MAX_POSTS, METRICS_MAX_RANGE_DAYS
from parley.store import DeliveryRecord, LinkRecord, PostRecord
from parley.store.keys import click_tally_key
from parley.team.members import Principal

COUNTERS = ("likes", "reposts", "replies", "quotes", "impressions")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TOP_POSTS = 10
DEFAULT_DAYS = 30
CSV_COLUMNS = (
    "post_id",
    "channel_id",
    "network",
    "campaign",
    "published_at",
    "weekday",
    "hour",
    *COUNTERS,
    "engagement",
    "clicks",
    "previews",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def rates(counters: dict[str, int], clicks: int) -> dict[str, float | None]:
    """Derived where the inputs exist: per impression (a network that gives impressions), else None."""
    impressions = counters.get("impressions") or 0
    engagement = snapshots.engagement(counters)
    return {
        "engagement_rate": round(engagement / impressions, 4) if impressions else None,
        "click_through_rate": round(clicks / impressions, 4) if impressions else None,
    }


@dataclass
class LinkCounts:
    links: list[dict[str, Any]]
    clicks: dict[str, int]  # channel id -> people
    previews: dict[str, int]  # channel id -> crawlers
    hours: dict[str, list[dict[str, Any]]]  # channel id -> [{hour, clicks, previews}]


def link_counts(workspace_id: str, post_id: str) -> LinkCounts:
    """The post's short links and their hours: one Query on the links' `by_post` index."""
    counts = LinkCounts([], defaultdict(int), defaultdict(int), defaultdict(list))
    for item in LinkRecord.by_post.query(snapshots.post_key(workspace_id, post_id)):
        channel = item.channel_id or "-"
        if "@" in item.code:
            counts.hours[channel].append(
                {"hour": item.hour, "clicks": int(item.clicks or 0), "previews": int(item.previews or 0)}
            )
            continue
        counts.clicks[channel] += int(item.clicks or 0)
        counts.previews[channel] += int(item.previews or 0)
        counts.links.append(
            {
                "code": item.code,
                "channel_id": item.channel_id,
                "short_url": item.short_url,
                "original": item.original,
                "target": item.target,
                "clicks": int(item.clicks or 0),
                "previews": int(item.previews or 0),
            }
        )
    for hours in counts.hours.values():
        hours.sort(key=lambda h: str(h["hour"]))
    return counts


def post_metrics(principal: Principal, post_id: str) -> dict[str, Any]:
    """Each delivery's engagement curve (a point per poll), its clicks (by hour) and derived rates."""
    post = posts.get_post(principal, post_id)  # 404 for an unknown post or another workspace's
    curves = snapshots.curves(principal.workspace_id, post_id)
    counts = link_counts(principal.workspace_id, post_id)
    out = []
    for delivery in post["deliveries"]:
        channel = delivery["channel_id"]
        points = curves.get(channel, [])
        for point in points:
            point["engagement"] = snapshots.engagement(point["counters"])
        latest = dict(points[-1]["counters"]) if points else {}
        clicks = counts.clicks.get(channel, 0)
        out.append(
            {
                "channel_id": channel,
                "network": delivery["network"],
                "state": delivery["state"],
                "url": delivery["url"],
                "published_at": delivery["published_at"],
                "latest": {
                    **latest,
                    "engagement": snapshots.engagement(latest),
                    "clicks": clicks,
                    "previews": counts.previews.get(channel, 0),
                    **rates(latest, clicks),
                },
                "points": points,
                "clicks_by_hour": counts.hours.get(channel, []),
                "links": [link for link in counts.links if link["channel_id"] == channel],
            }
        )
    return {"post_id": post_id, "campaign": post["campaign"], "publish_at": post["publish_at"], "deliveries": out}


def _time(value: str | None, field: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(FieldProblem(field, "is not an ISO 8601 date-time")) from exc
    if parsed.tzinfo is None:
        raise ValidationFailed(FieldProblem(field, "needs an offset, e.g. Z or +01:00"))
    return timeparse.utc(parsed, field)  # the keys it is compared with are UTC


def period(since: str | None, until: str | None) -> tuple[datetime, datetime]:
    """[from, to): defaults to the last 30 days; reversed or longer than METRICS_MAX_RANGE_DAYS is 422."""
    start, end = _time(since, "from"), _time(until, "to")
    end = end or clock.now()
    start = start or end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise ValidationFailed(FieldProblem("from", "must be before to"))
    if end - start > timedelta(days=METRICS_MAX_RANGE_DAYS):
        raise ValidationFailed(FieldProblem("to", f"the period is at most {METRICS_MAX_RANGE_DAYS} days"))
    return start, end


def summary(principal: Principal, since: str | None, until: str | None, channel: str | None) -> dict[str, Any]:
    start, end = period(since, until)
    ws = principal.workspace_id
    page = PostRecord.by_publish_at.query(
        ws,
        PostRecord.publish_key.between(posts.publish_key(start, ""), posts.publish_key(end, "")),
        scan_index_forward=False,
        limit=METRICS_MAX_POSTS,
        page_size=METRICS_MAX_POSTS,
    )
    chosen = list(page)
    published = _published(ws, chosen, channel)
    tallies = _click_tallies(ws, [d for found in published.values() for d in found if d.tallied])
    older: dict[str, LinkCounts] = {}  # posts whose deliveries predate the tallies: their links, as before
    rows: list[dict[str, Any]] = []
    for post in chosen:
        for delivery in published.get(post.post_id, []):
            if delivery.tallied:
                clicks, previews = tallies.get((post.post_id, delivery.channel_id), (0, 0))
            else:
                if post.post_id not in older:
                    older[post.post_id] = link_counts(ws, post.post_id)
                counts = older[post.post_id]
                clicks = counts.clicks.get(delivery.channel_id, 0)
                previews = counts.previews.get(delivery.channel_id, 0)
            latest = _newest_counters(ws, delivery)
            published_at = delivery.published_at
            assert published_at is not None  # _published keeps published ones only
            written = post.overrides.as_dict() if post.overrides else {}
            rows.append(
                {
                    "post_id": post.post_id,
                    "channel_id": delivery.channel_id,
                    "network": delivery.network,
                    "campaign": post.campaign or "",
                    "published_at": _iso(published_at),
                    "weekday": WEEKDAYS[published_at.weekday()],
                    "hour": published_at.hour,
                    **{name: int(latest.get(name, 0)) for name in COUNTERS},
                    "engagement": snapshots.engagement(latest),
                    "clicks": clicks,
                    "previews": previews,
                    # As the marketer wrote it (the delivery holds the short links the network got).
                    "text": str(written.get(delivery.network, post.text)),
                }
            )
    return {
        "from": _iso(start),
        "to": _iso(end),
        "channel": channel,
        "complete": len(chosen) < METRICS_MAX_POSTS,  # False: the period held more posts than were read
        "totals": _totals(rows),
        "top_posts": _top_posts(rows),
        "best_hours": _best_hours(rows),
        "deliveries": rows,
    }


def _published(ws: str, chosen: list[PostRecord], channel: str | None) -> dict[str, list[DeliveryRecord]]:
    """post id -> its published deliveries (on `channel` only, if given), by channel: BatchGetItem, 100 keys a call."""
    keys = list(dict.fromkeys((p.post_id, c) for p in chosen for c in p.channel_ids if not channel or c == channel))
    out: dict[str, list[DeliveryRecord]] = defaultdict(list)
    for delivery in DeliveryRecord.batch_get(keys):
        if delivery.workspace_id == ws and delivery.published_at is not None:
            out[delivery.post_id].append(delivery)
    for found in out.values():
        found.sort(key=lambda d: d.channel_id)
    return out


def _click_tallies(ws: str, tallied: list[DeliveryRecord]) -> dict[tuple[str, str], tuple[int, int]]:
    """(post id, channel id) -> (clicks, previews) of the deliveries' tallies (BatchGetItem, 100 keys a call)."""
    by_key = {click_tally_key(snapshots.post_key(ws, d.post_id), d.channel_id): d for d in tallied}
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for item in LinkRecord.batch_get(list(by_key)):
        delivery = by_key[item.code]
        out[(delivery.post_id, delivery.channel_id)] = (int(item.clicks or 0), int(item.previews or 0))
    return out


def _newest_counters(ws: str, delivery: DeliveryRecord) -> dict[str, int]:
    """The delivery's newest snapshot's counters: on its record (none yet: zeros), or, for a delivery from before
    they were kept there and not polled since, its newest snapshot (one Query)."""
    if delivery.counters_at is not None and delivery.counters is not None:
        return {k: int(v) for k, v in delivery.counters.as_dict().items()}
    if delivery.tallied:
        return {}
    return snapshots.latest(snapshots.post_key(ws, delivery.post_id), delivery.channel_id) or {}


def _totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    totals = {"posts": len({r["post_id"] for r in rows}), "deliveries": len(rows)}
    for name in (*COUNTERS, "engagement", "clicks", "previews"):
        totals[name] = sum(int(r[name]) for r in rows)
    return totals


def _top_posts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_post: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = by_post.setdefault(
            row["post_id"], {"post_id": row["post_id"], "text": row["text"][:120], "engagement": 0, "clicks": 0}
        )
        entry["engagement"] += row["engagement"]
        entry["clicks"] += row["clicks"]
    ranked = sorted(by_post.values(), key=lambda e: (e["engagement"] + e["clicks"], e["post_id"]), reverse=True)
    return ranked[:TOP_POSTS]


def _best_hours(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Weekday and hour (UTC) of publishing, by average engagement plus clicks per delivery."""
    cells: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        cells[(row["weekday"], row["hour"])].append(row)
    out = []
    for (weekday, hour), members in cells.items():
        engagement = sum(r["engagement"] for r in members) / len(members)
        clicks = sum(r["clicks"] for r in members) / len(members)
        out.append(
            {
                "weekday": weekday,
                "hour": hour,
                "deliveries": len(members),
                "avg_engagement": round(engagement, 2),
                "avg_clicks": round(clicks, 2),
            }
        )
    out.sort(key=lambda c: (-(c["avg_engagement"] + c["avg_clicks"]), WEEKDAYS.index(c["weekday"]), c["hour"]))
    return out


def to_csv(result: dict[str, Any]) -> str:
    """One row per published delivery: the same rows the JSON's totals add up."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in result["deliveries"]:
        writer.writerow(row)
    return buffer.getvalue()
