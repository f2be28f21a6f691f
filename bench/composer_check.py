"""The composer's live check through the local HTTP front: `POST /posts/validate` and `POST /posts/preview`
as a marketer types, for a post on 3 channels (Bluesky, Mastodon, X) with a mention, a hashtag and a link
(its page served on 127.0.0.1, so the link card is real). Goal: p95 <= 150 ms (issue 18).

Starts the local runtime (embedded AWS, the HTTP front; no Bluesky network is needed), stores a workspace and
the channels, then sends CALLS requests of each kind, one after another, each with one more character typed
(the link stays: its card is read once, then kept). Prints p50/p95/max and the DynamoDB calls per request.

Run: .venv/bin/python bench/composer_check.py [--calls 200 --routes /posts/validate /posts/preview]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import requests
from pynamodb.connection.base import Connection

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ["PARLEY_OUTBOUND_ALLOWED_HOSTS"] = "127.0.0.1"  # the link's page is served here
warnings.filterwarnings("ignore", message="No application metrics to publish")

from infra.local.runtime import LocalRuntime  # noqa: E402
from parley.shared import clock, ids  # noqa: E402
from parley.shared.clock import SystemClock  # noqa: E402
from parley.store import ChannelRecord  # noqa: E402
from parley.team import tokens  # noqa: E402

NETWORKS = [("bluesky", "acme.test"), ("mastodon", "acme"), ("x", "acme")]
PAGE = b'<html><head><meta property="og:title" content="Spring sale"></head><body>sale</body></html>'


class _Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, *args: Any) -> None:
        pass


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--routes", nargs="+", default=["/posts/validate", "/posts/preview"])
    args = parser.parse_args()

    page = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    Thread(target=page.serve_forever, daemon=True).start()
    link = f"http://127.0.0.1:{page.server_address[1]}/sale"
    with tempfile.TemporaryDirectory() as state:
        runtime = LocalRuntime(Path(state), SystemClock(), firer_thread=False, snapshot_interval_seconds=3600).start()
        try:
            base = runtime.api_url
            admin = tokens.create_workspace("Bench", "Ada")
            channels = []
            for network, handle in NETWORKS:
                channel_id = "ch_" + ids.new_id()
                ChannelRecord(
                    admin.workspace_id,
                    channel_id,
                    network=network,
                    handle=handle,
                    remote_id=f"remote-{network}",
                    service_url="https://mastodon.example" if network == "mastodon" else "http://127.0.0.1:1",
                    credential_parameter="/parley/bench/credential",
                    created_at=clock.now(),
                    created_by=admin.member_id,
                ).save()
                channels.append(channel_id)
            calls: Counter[str] = Counter()
            dispatch = Connection.dispatch

            def counted(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
                calls.update([operation_name])
                return dispatch(self, operation_name, operation_kwargs)

            Connection.dispatch = counted  # type: ignore[method-assign]  # every PynamoDB call, in this process
            session = requests.Session()
            headers = {"Authorization": f"Bearer {admin.token}"}
            typed = "Spring sale with @alice.test #spring, 20% off everything until Sunday: "
            print(f"composer check benchmark: {args.calls} calls each, 3 channels (Bluesky, Mastodon, X), via {base}")
            print("route | p50 ms | p95 ms | max ms | DynamoDB calls per request")
            for path in args.routes:
                body = {"text": typed + link, "channels": channels, "campaign": "spring"}
                session.post(f"{base}{path}", json=body, headers=headers, timeout=30).raise_for_status()  # warm-up
                calls.clear()
                latencies = []
                for n in range(args.calls):
                    body["text"] = f"{typed}{link} {'and more '[: n % 9]}{n}"
                    began = time.perf_counter()
                    answer = session.post(f"{base}{path}", json=body, headers=headers, timeout=30)
                    latencies.append((time.perf_counter() - began) * 1000)
                    answer.raise_for_status()
                print(
                    f"{path} | {statistics.median(latencies):.1f} | {percentile(latencies, 95):.1f} |"
                    f" {max(latencies):.1f} | {sum(calls.values()) / args.calls:.1f} ({dict(calls)})"
                )
        finally:
            runtime.stop()
            page.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
