"""Add to queue: N `"publish_at": "next_slot"` adds over C channels against moto's server, at two sizes of
stored posts; prints p50/p99 latency and the DynamoDB calls per add (and by operation), which must not grow
with the posts stored (docs/queue.md).

Run: .venv/bin/python bench/queue_adds.py [--adds 1000 --channels 20 --stored 1000 100000]

How: moto's server on loopback with parley's tables, queues and schedule group; a workspace with C channels,
each with weekday posting times every 15 minutes; S posts stored (batch writes, not counted), then N adds
through parley.publishing.queue_posts.create_queued (the core of POST /posts with next_slot: the slot claims,
the post's checks and writes, the arming), round robin over the channels. Every AWS call is counted at
botocore's BaseClient._make_api_call (which boto3 and PynamoDB go through), as bench/cost.py counts them.
Latency is the wall clock (bench/ may use it); moto's server is far slower than DynamoDB, so the calls per
add are the figure that carries over, not the milliseconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path, and its name would hide the standard library's
# `queue` (urllib3 needs it): the folder goes, the project's root comes.
ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from typing import Any  # noqa: E402

os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")

ACCOUNT, REGION = "123456789012", "us-east-1"
_counting = threading.local()
CALLS: Counter[str] = Counter()


def _count_calls() -> None:
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        if getattr(_counting, "on", False):
            CALLS[f"{self.meta.service_model.service_name}:{operation}"] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = counted  # type: ignore[method-assign]


def _start_aws() -> Any:
    from moto.server import ThreadedMotoServer

    from infra.local import moto_speedups
    from parley import store
    from parley.shared import aws as parley_aws
    from parley.shared.config import Settings, get_settings
    from parley.shared.names import VISIBILITY_SECONDS, Queue, ScheduleGroup, local_names, physical_name

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    moto_speedups.install_all()  # as the local runtime's endpoint and the tests' (infra/local/moto_speedups.py)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ.update(
        local_names(endpoint_url=endpoint, account=ACCOUNT, region=REGION)
        | {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }
    )
    get_settings.cache_clear()
    parley_aws.reset()
    store.create_tables(Settings.from_env())
    sqs = parley_aws.client("sqs")
    for queue in Queue:
        sqs.create_queue(
            QueueName=physical_name(queue), Attributes={"VisibilityTimeout": str(VISIBILITY_SECONDS[queue])}
        )
    for group in ScheduleGroup:
        parley_aws.client("scheduler").create_schedule_group(Name=physical_name(group))
    return server


def _store_posts(workspace_id: str, count: int, channel_ids: list[str]) -> None:
    from datetime import timedelta

    from parley.publishing.posts import publish_key
    from parley.shared import clock
    from parley.store import PostRecord

    now = clock.now()
    with PostRecord.batch_write() as batch:
        for i in range(count):
            at = now - timedelta(minutes=i + 1)
            post_id = f"p_stored{i:08d}"
            batch.save(
                PostRecord(
                    workspace_id,
                    post_id,
                    text=f"stored {i}",
                    channel_ids=[channel_ids[i % len(channel_ids)]],
                    publish_at=at,
                    publish_key=publish_key(at, post_id),
                    created_by="mem_bench",
                    created_at=at,
                    updated_at=at,
                )
            )


def _run(adds: int, channels: int, stored: int) -> dict[str, Any]:
    from parley.publishing import posts, queue, queue_posts
    from parley.scheduling.wiring import arming
    from parley.shared import clock, ids
    from parley.store import ChannelRecord
    from parley.team import members, tokens

    admin = tokens.create_workspace(f"Bench {stored}", "Ada")
    principal = members.Principal(admin.workspace_id, admin.member_id, members.Role.ADMIN)
    channel_ids = []
    at = [f"{h:02d}:{m:02d}" for h in range(8, 20) for m in (0, 15, 30, 45)]
    for _ in range(channels):
        channel_id = "ch_" + ids.new_id()
        ChannelRecord(
            admin.workspace_id,
            channel_id,
            network="bluesky",
            handle="bench.test",
            remote_id="did:plc:bench",
            service_url="http://127.0.0.1:1",
            credential_parameter="/parley/bench/credential",
            created_at=clock.now(),
            created_by=admin.member_id,
        ).save()
        queue.set_slots(
            principal, channel_id, "Europe/Berlin", [{"days": ["mon", "tue", "wed", "thu", "fri"], "at": at}]
        )
        channel_ids.append(channel_id)
    _store_posts(admin.workspace_id, stored, channel_ids)
    wiring = arming()
    latencies = []
    CALLS.clear()
    for i in range(adds):
        draft = posts.PostDraft(text=f"Queued {i}", channel_ids=[channel_ids[i % channels]], publish_at="next_slot")
        _counting.on = True
        started = time.perf_counter()
        queue_posts.create_queued(principal, wiring, draft)
        latencies.append((time.perf_counter() - started) * 1000)
        _counting.on = False
    latencies.sort()
    dynamodb = {k.split(":", 1)[1]: v / adds for k, v in CALLS.items() if k.startswith("dynamodb:")}
    return {
        "stored": stored,
        "p50_ms": latencies[len(latencies) // 2],
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "dynamodb_calls_per_add": sum(dynamodb.values()),
        "by_operation": dict(sorted(dynamodb.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--adds", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=20)
    parser.add_argument("--stored", type=int, nargs="+", default=[1000, 100_000])
    args = parser.parse_args()
    server = _start_aws()
    _count_calls()
    try:
        for stored in args.stored:
            result = _run(args.adds, args.channels, stored)
            ops = ", ".join(f"{op} {n:.2f}" for op, n in result["by_operation"].items())
            print(
                f"{args.adds} adds over {args.channels} channels, {stored} posts stored: "
                f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
                f"{result['dynamodb_calls_per_add']:.2f} DynamoDB calls per add ({ops})"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
