"""(Not bench/calendar.py: run as a script, it would shadow the standard library's `calendar`.)

The calendar month of 1,000 posts through the local HTTP front: how long the whole month takes to read
(every page of GET /calendar), the iCalendar feed, and the DynamoDB calls each makes; with only the month
stored, and again with many more deliveries stored around it (the cost must not grow with them). Goal: the
month in <= 300 ms.

Starts the local runtime (embedded AWS, the HTTP front; no Bluesky network is needed), stores a workspace,
20 channels and MONTH deliveries in March 2026 (batch writes, in every state), then reads the month READS
times per page size. Prints p50/p99 of the whole month (all its pages), the pages, and DynamoDB calls.

Run: .venv/bin/python bench/calendar_month.py [--month 1000 --around 20000 --reads 15 --limits 1000 500 100]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from pynamodb.connection.base import Connection

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
warnings.filterwarnings("ignore", message="No application metrics to publish")

from infra.local.runtime import LocalRuntime  # noqa: E402
from parley.publishing import deliveries  # noqa: E402
from parley.publishing.deliveries import State  # noqa: E402
from parley.publishing.posts import publish_key  # noqa: E402
from parley.shared import clock, ids  # noqa: E402
from parley.shared.clock import SystemClock  # noqa: E402
from parley.store import ChannelRecord, DeliveryRecord  # noqa: E402
from parley.store.keys import DeliveryKey  # noqa: E402
from parley.team import tokens  # noqa: E402

STATES = [State.SCHEDULED, State.PUBLISHED, State.PUBLISHED, State.CANCELLED, State.FAILED, State.HELD]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def store(workspace_id: str, channels: list[str], count: int, start: datetime, days: int, rng: random.Random) -> None:
    with DeliveryRecord.batch_write() as batch:
        for n in range(count):
            post_id = "p_" + ids.new_id() + f"{n:06d}"
            at = start + timedelta(minutes=rng.randrange(days * 24 * 60))
            record = deliveries.new_delivery(
                DeliveryKey(workspace_id, post_id, rng.choice(channels)),
                network="bluesky",
                text=f"Post {n}: spring sale, 20% off everything until Sunday https://acme.example/sale",
                publish_at=at,
                publish_key=publish_key(at, post_id),
                state=rng.choice(STATES),
            )
            batch.save(record)


def read_month(base: str, token: str, limit: int) -> tuple[float, int, int, float]:
    session = requests.Session()
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{base}/calendar?from=2026-03-01&to=2026-04-01&tz=Europe/Berlin&limit={limit}"
    began, cpu = time.perf_counter(), time.process_time()
    pages, entries, cursor = 0, 0, None
    while True:
        answer = session.get(url + (f"&cursor={cursor}" if cursor else ""), headers=headers, timeout=60)
        answer.raise_for_status()
        body = answer.json()
        pages += 1
        entries += sum(len(d["entries"]) for d in body["days"])
        cursor = body["next_cursor"]
        if not cursor:
            break
    return (time.perf_counter() - began) * 1000, pages, entries, (time.process_time() - cpu) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--month", type=int, default=1000)
    parser.add_argument("--around", type=int, default=20_000, help="deliveries stored outside the month, then")
    parser.add_argument("--reads", type=int, default=15)
    parser.add_argument("--limits", type=int, nargs="+", default=[1000, 500, 100])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as state:
        runtime = LocalRuntime(Path(state), SystemClock(), firer_thread=False, snapshot_interval_seconds=3600).start()
        try:
            base = runtime.api_url
            admin = tokens.create_workspace("Bench", "Ada")
            channels = []
            for n in range(20):
                channel_id = "ch_" + ids.new_id() + f"{n:02d}"
                ChannelRecord(
                    admin.workspace_id,
                    channel_id,
                    network="bluesky",
                    handle=f"bench{n}.test",
                    remote_id=f"did:plc:bench{n}",
                    service_url="http://127.0.0.1:1",
                    credential_parameter="/parley/bench/credential",
                    created_at=clock.now(),
                    created_by=admin.member_id,
                ).save()
                channels.append(channel_id)
            store(admin.workspace_id, channels, args.month, datetime(2026, 3, 1, tzinfo=UTC), 30, rng)
            calls: Counter[str] = Counter()
            dispatch = Connection.dispatch

            def counted(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
                calls.update([operation_name])
                return dispatch(self, operation_name, operation_kwargs)

            Connection.dispatch = counted  # type: ignore[method-assign]  # every PynamoDB call, in this process
            print(f"calendar benchmark: March 2026 with {args.month} deliveries on 20 channels, through {base}")
            # CPU: this process's, all threads (client, HTTP front, function, moto): on a shared machine, the
            # figure other work does not inflate.
            print(
                "stored around | limit | pages | entries | month p50 ms | p99 ms | CPU p50 ms | DynamoDB calls per read"
            )
            for around in (0, args.around):
                if around:
                    store(admin.workspace_id, channels, around // 2, datetime(2025, 9, 1, tzinfo=UTC), 180, rng)
                    store(
                        admin.workspace_id, channels, around - around // 2, datetime(2026, 4, 1, tzinfo=UTC), 180, rng
                    )
                for limit in args.limits:
                    read_month(base, admin.token, limit)  # warm-up: the first import is not in the figures
                    calls.clear()
                    runs = [read_month(base, admin.token, limit) for _ in range(args.reads)]
                    times = [r[0] for r in runs]
                    per_read = sum(calls.values()) / args.reads
                    print(
                        f"{around:>13,} | {limit:>5} | {runs[0][1]:>5} | {runs[0][2]:>7} |"
                        f" {statistics.median(times):>12.0f} | {percentile(times, 99):>6.0f} |"
                        f" {statistics.median(r[3] for r in runs):>10.0f} |"
                        f" {per_read:.0f} ({ {k: v // args.reads for k, v in calls.items()} })"
                    )
            now = clock.now()
            store(admin.workspace_id, channels, args.month, now - timedelta(days=30), 210, rng)  # the feed's window
            feed = requests.post(f"{base}/me/calendar-feed", headers={"Authorization": f"Bearer {admin.token}"})
            url = feed.json()["url"]
            began = time.perf_counter()
            ics = requests.get(url, timeout=60)
            took = (time.perf_counter() - began) * 1000
            print(f"calendar.ics ({args.month} deliveries in its window): {ics.status_code},", end=" ")
            print(f"{len(ics.content):,} bytes, {took:.0f} ms")
        finally:
            runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
