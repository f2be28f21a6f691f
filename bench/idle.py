"""Nothing runs between events: the local runtime as `scripts/run` starts it (embedded AWS, the firer's
thread on the wall clock, the API, the demo workspace with its Bluesky channel on a real local network),
left alone for a wall-clock minute. Prints how many times each function ran during that minute (the goal:
none) and the schedules that exist (the goal: none).

Run: .venv/bin/python bench/idle.py [--seconds 60]
Takes about the given time plus the local Bluesky network's start (~10 s).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
warnings.filterwarnings("ignore", message="No application metrics to publish")

from infra.local.bluesky_net import DEFAULT_ACCOUNTS, BlueskyNetwork, ensure_installed  # noqa: E402
from infra.local.demo import ensure_demo  # noqa: E402
from infra.local.runtime import LocalRuntime, allow_outbound  # noqa: E402
from parley.networks.base import Credential  # noqa: E402
from parley.shared.clock import SystemClock  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()

    ensure_installed("pds")
    work = Path(tempfile.mkdtemp(prefix="parley-idle-"))
    network = BlueskyNetwork("pds", work / "bluesky", DEFAULT_ACCOUNTS)
    network.start(timeout=180)
    allow_outbound(network.pds_url)
    runtime = LocalRuntime(work / "state", SystemClock(), firer_thread=True)
    try:
        runtime.start()
        account = network.accounts[0]
        demo = ensure_demo(work / "state", Credential(account.handle, account.password, network.pds_url))
        print(f"demo workspace {demo.workspace_id} with channel {demo.channel_id}; idle for {args.seconds:.0f} s")
        before = runtime.functions.invocations()
        time.sleep(args.seconds)
        after = runtime.functions.invocations()
        ran = {name: after[name] - before.get(name, 0) for name in after if after[name] != before.get(name, 0)}
        scheduler = runtime.aws.client("scheduler")
        groups = [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]
        schedules = sum(len(scheduler.list_schedules(GroupName=g)["Schedules"]) for g in groups)
        print(f"invocations during the idle {args.seconds:.0f} s: {sum(ran.values())} {ran or ''}")
        print(f"schedules: {schedules}")
        return 0 if not ran and schedules == 0 else 1
    finally:
        runtime.stop()
        network.stop()


if __name__ == "__main__":
    sys.exit(main())
