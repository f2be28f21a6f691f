"""Publish lag under AWS's delivery semantics, on the wall clock, in the local runtime.

Queues POSTS posts across CHANNELS channels (accounts on a real local Bluesky network), due at random
seconds within one minute, with the firer firing schedules 0-60 s late (uniform) and delivering 20% of
schedule events twice (seeded). Prints publish lag (the network's acknowledgement minus publish_at)
p50/p95/p99/max, and the number of early and of double posts (records on the network per delivery).

Run: .venv/bin/python bench/publish_lag.py [--posts 200 --channels 20 --seed 1]
Takes about 4 minutes (it waits for the posts' times on the wall clock).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # the figures below are what we want to see
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
warnings.filterwarnings("ignore", message="No application metrics to publish")

from infra.local.bluesky_net import BlueskyNetwork, ensure_installed  # noqa: E402
from infra.local.runtime import LocalRuntime, allow_outbound  # noqa: E402
from parley.networks.base import PublishRequest  # noqa: E402
from parley.networks.bluesky import BlueskyAdapter  # noqa: E402
from parley.shared.clock import SystemClock  # noqa: E402
from parley.shared.names import SCHEDULE_LEAD_SECONDS  # noqa: E402
from parley.store import DeliveryRecord  # noqa: E402
from parley.team import tokens  # noqa: E402

FINAL = {"published", "failed", "cancelled"}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--late-window", type=float, default=60)
    parser.add_argument("--duplicates", type=float, default=0.2)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    ensure_installed("pds")
    work = Path(tempfile.mkdtemp(prefix="parley-bench-"))
    accounts = [(f"bench{i:02d}.test", f"bench-pass-{i:02d}") for i in range(args.channels)]
    network = BlueskyNetwork("pds", work / "bluesky", accounts)
    network.start(timeout=180)
    allow_outbound(network.pds_url)  # the channels' server is on loopback: allowed by name, as scripts/run does
    runtime = LocalRuntime(
        work / "state",
        SystemClock(),
        firer_thread=True,
        late_window_seconds=args.late_window,
        duplicate_rate=args.duplicates,
        seed=args.seed,
    )
    try:
        runtime.start()
        issued = tokens.create_workspace("Bench", "Bench")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {issued.token}"
        channels = []
        for account in network.accounts:
            body: dict[str, Any] = {
                "identifier": account.handle,
                "app_password": account.password,
                "service_url": network.pds_url,
            }
            answer = api.post(f"{runtime.api_url}/channels", json=body, timeout=30)
            answer.raise_for_status()
            channels.append((answer.json()["id"], account))

        started = trace_deliveries(runtime)

        # Due within one minute that starts far enough ahead for every post to go through Scheduler.
        start = datetime.now(UTC) + timedelta(seconds=SCHEDULE_LEAD_SECONDS + 30)
        queued: list[tuple[str, str]] = []
        for i in range(args.posts):
            channel_id, _ = channels[i % len(channels)]
            due = start + timedelta(seconds=rng.uniform(0, 60))
            body = {
                "text": f"bench post {i} {uuid.uuid4().hex[:6]}",
                "channels": [channel_id],
                "publish_at": due.isoformat(),
            }
            answer = api.post(f"{runtime.api_url}/posts", json=body, timeout=30)
            answer.raise_for_status()
            queued.append((answer.json()["id"], channel_id))
        end = start + timedelta(seconds=60)
        print(f"queued {len(queued)} posts on {len(channels)} channels, due {start:%H:%M:%S}-{end:%H:%M:%S} UTC")

        # Keep out of the way while the posts go out (this process is the runtime too): look afterwards.
        time.sleep(max(0.0, (end - datetime.now(UTC)).total_seconds() + 5))
        deadline = time.monotonic() + 240
        records: list[DeliveryRecord] = []
        while time.monotonic() < deadline:
            records = [DeliveryRecord.get(post_id, channel_id) for post_id, channel_id in queued]
            if all(r.state in FINAL for r in records):
                break
            time.sleep(2)
        states = Counter(r.state for r in records)
        lags = [(r.published_at - r.publish_at).total_seconds() for r in records if r.published_at]
        early = sum(1 for lag in lags if lag < 0)

        per_channel = Counter(channel_id for _, channel_id in queued)
        doubles = 0
        for channel_id, account in channels:
            listed = requests.get(
                f"{network.pds_url}/xrpc/com.atproto.repo.listRecords",
                params={"repo": account.did, "collection": "app.bsky.feed.post", "limit": "100"},
                timeout=10,
            ).json()["records"]
            doubles += max(0, len(listed) - per_channel[channel_id])

        print(f"states: {dict(states)}")
        if lags:
            print(
                "publish lag (s): "
                f"p50 {statistics.median(lags):.3f}  p95 {percentile(lags, 95):.3f}  "
                f"p99 {percentile(lags, 99):.3f}  max {max(lags):.3f}"
            )
        print(f"early posts: {early}   double posts: {doubles}")
        print_split(records, started)
        if lags:
            print(
                f"against plain at() scheduling (Scheduler's 0-{args.late_window:.0f} s window, mean "
                f"{args.late_window / 2:.0f} s late): mean lag {statistics.mean(lags):.3f} s, "
                f"{args.late_window / 2 / max(statistics.mean(lags), 1e-3):.0f}x less"
            )
        return 0 if early == 0 and doubles == 0 and states.get("published") == len(queued) else 1
    finally:
        runtime.stop()
        network.stop()


def trace_deliveries(runtime: LocalRuntime) -> dict[str, list[float]]:
    """When the publish function picked up each delivery's queue message (wall-clock epoch seconds, one per
    delivery of the message), by wrapping the firer's batch delivery: the bench watches, the firer is as it is."""
    started: dict[str, list[float]] = defaultdict(list)
    deliver = runtime.firer._deliver_batch

    def traced(function: str, queue_name: str, url: str, messages: list[dict[str, Any]]) -> None:
        if function == "publish":
            for message in messages:
                body = json.loads(message["Body"])
                started[f"{body.get('post_id')}|{body.get('channel_id')}"].append(time.time())
        deliver(function, queue_name, url, messages)

    runtime.firer._deliver_batch = traced  # type: ignore[method-assign]

    publish = BlueskyAdapter.publish

    def calling(adapter: BlueskyAdapter, request: PublishRequest) -> Any:
        post_id, channel_id = request.delivery_id.split(".", 1)
        started[f"call|{post_id}|{channel_id}"].append(time.time())
        return publish(adapter, request)

    BlueskyAdapter.publish = calling  # type: ignore[method-assign,assignment]
    return started


def print_split(records: list[DeliveryRecord], started: dict[str, list[float]]) -> None:
    """Where each published delivery's lag went, from its publish_at: the message's pick-up by the function
    after publish_at (the queue, the firer's poll and a free worker; 0 when picked up before), the lease
    and the work up to the network call, and the network call itself (the adapter's publish, to the
    network's acknowledgement)."""
    picked_late, to_call, call = [], [], []
    for r in records:
        picked = started.get(f"{r.post_id}|{r.channel_id}")
        calls = started.get(f"call|{r.post_id}|{r.channel_id}")
        if not r.published_at or not picked or not calls:
            continue
        due = r.publish_at.timestamp()
        pick, called = min(picked), max(calls)
        picked_late.append(max(0.0, pick - due))
        to_call.append(called - max(pick, due))
        call.append(r.published_at.timestamp() - called)
    for name, values in (
        ("picked up after publish_at", picked_late),
        ("lease and work to the call", to_call),
        ("the network call", call),
    ):
        if values:
            print(
                f"  {name:<28} p50 {statistics.median(values):.3f}  p95 {percentile(values, 95):.3f}  "
                f"p99 {percentile(values, 99):.3f}  max {max(values):.3f}"
            )


if __name__ == "__main__":
    sys.exit(main())
