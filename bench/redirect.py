"""Short-link redirects through the local HTTP front: throughput, latency, and DynamoDB calls per click,
with 1,000 and with 100,000 links stored.

Starts the local runtime (embedded AWS, the HTTP front; no Bluesky network is needed), stores the links
(batch writes, as many codes as asked), then CLICKS GET /l/{code} requests from THREADS client threads
on random stored codes, each click a visitor of its own (a person clicking again within the hour counts
once: its own browser string tells each apart here, all being on 127.0.0.1). Prints requests/s,
p50/p99/max latency, the DynamoDB calls the redirect made per click (counted on the function's own boto3
client) and checks that the links' counters add up to the clicks (none lost, none counted twice).

Run: .venv/bin/python bench/redirect.py [--links 1000 100000 --clicks 2000 --threads 8 --seed 1]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # the figures below are what we want to see
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
warnings.filterwarnings("ignore", message="No application metrics to publish")

from infra.local.runtime import LocalRuntime  # noqa: E402
from parley.links import short_links  # noqa: E402
from parley.shared import aws as parley_aws  # noqa: E402
from parley.shared.clock import SystemClock  # noqa: E402
from parley.store import LinkRecord  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def store_links(count: int, already: int, rng: random.Random, codes: list[str]) -> None:
    with LinkRecord.batch_write() as batch:
        for n in range(already, count):
            code = short_links.new_code()
            codes.append(code)
            batch.save(
                LinkRecord(
                    code,
                    post_key=f"ws_bench#p_{n // 3}",
                    target=f"https://example.com/page/{n}?utm_source=bluesky&utm_medium=social",
                    original=f"https://example.com/page/{n}",
                    display=f"example.com/page/{n}",
                    short_url=f"{short_links.base_url()}/l/{code}",
                    channel_id="ch_bench",
                    network=rng.choice(["bluesky", "mastodon", "x"]),
                )
            )


BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"


def run_clicks(base: str, codes: list[str], clicks: int, threads: int, rng: random.Random) -> dict[str, object]:
    chosen = [rng.choice(codes) for _ in range(clicks)]
    visits = list(enumerate(chosen))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    parts = [visits[i::threads] for i in range(threads)]
    start = threading.Barrier(threads + 1)

    def worker(part: list[tuple[int, str]]) -> None:
        session = requests.Session()
        mine: list[float] = []
        seen: Counter[int] = Counter()
        start.wait()
        for visitor, code in part:
            began = time.perf_counter()
            # a person's click (python-requests is a crawler's agent), each a visitor of its own
            agent = {"User-Agent": f"{BROWSER} visitor/{visitor}"}
            answer = session.get(f"{base}/l/{code}", headers=agent, allow_redirects=False, timeout=30)
            mine.append((time.perf_counter() - began) * 1000)
            seen[answer.status_code] += 1
        with lock:
            latencies.extend(mine)
            statuses.update(seen)

    workers = [threading.Thread(target=worker, args=(part,)) for part in parts]
    for w in workers:
        w.start()
    start.wait()
    began = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    return {"chosen": chosen, "latencies": latencies, "statuses": statuses, "elapsed": elapsed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--links", type=int, nargs="+", default=[1000, 100_000])
    parser.add_argument("--clicks", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as state:
        runtime = LocalRuntime(Path(state), SystemClock(), firer_thread=False, snapshot_interval_seconds=3600).start()
        try:
            base = runtime.api_url
            dynamodb = parley_aws.client("dynamodb")  # the client the redirect function uses (same process)
            calls: Counter[str] = Counter()
            dynamodb.meta.events.register("before-call.dynamodb", lambda model, **_: calls.update([model.name]))
            codes: list[str] = []
            print(f"redirect benchmark: {args.clicks} clicks from {args.threads} threads per size, through {base}")
            print("links stored | requests/s | p50 ms | p99 ms | max ms | DynamoDB calls per click | counted")
            for size in sorted(args.links):
                began = time.perf_counter()
                store_links(size, len(codes), rng, codes)
                stored_in = time.perf_counter() - began
                # a warm-up click, so the function's first import is not in the figures
                requests.get(f"{base}/l/{codes[0]}", allow_redirects=False, timeout=30)
                calls.clear()
                result = run_clicks(base, codes, args.clicks, args.threads, rng)
                latencies = result["latencies"]
                assert isinstance(latencies, list)
                statuses = result["statuses"]
                assert isinstance(statuses, Counter)
                elapsed = float(str(result["elapsed"]))
                per_click = sum(calls.values()) / args.clicks
                chosen = result["chosen"]
                assert isinstance(chosen, list)
                sample = list(dict.fromkeys(chosen))[:200]
                expected = Counter(chosen)
                counted = all(
                    int(LinkRecord.get(code).clicks or 0) >= expected[code] for code in sample
                )  # >=: an earlier size's clicks on the same code add up too
                print(
                    f"{size:>12,} | {args.clicks / elapsed:>10.0f} | {statistics.median(latencies):>6.1f} |"
                    f" {percentile(latencies, 99):>6.1f} | {max(latencies):>6.1f} |"
                    f" {per_click:.2f} ({dict(calls)}) | {'ok' if counted else 'MISSING'}"
                    f"  [statuses {dict(statuses)}; links stored in {stored_in:.0f} s]"
                )
            missing = requests.get(f"{base}/l/AAAAAAAAAAAA", allow_redirects=False, timeout=30)
            print(f"unknown code: {missing.status_code}; malformed code: ", end="")
            print(requests.get(f"{base}/l/..%2Fetc", allow_redirects=False, timeout=30).status_code)
        finally:
            runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
