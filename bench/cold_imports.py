"""Cold import time of each function's handler module, next to `import boto3`, in fresh processes.

Run: .venv/bin/python bench/cold_imports.py [--runs 7]
A Lambda cold start pays for every module its handler imports; this shows what each one costs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "import boto3": "boto3",
    "functions/api": "functions.api.handler",
    "functions/publish": "functions.publish.handler",
    "functions/reconciler": "functions.reconciler.handler",
    "functions/poll": "functions.poll.handler",
}
SNIPPET = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def once(module: str) -> float:
    env = os.environ | {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "PYTHONPATH": str(ROOT),
        "PYTHONDONTWRITEBYTECODE": "0",
    }
    out = subprocess.run(
        [sys.executable, "-c", SNIPPET.format(module=module)], env=env, cwd=ROOT, check=True, capture_output=True
    )
    return float(out.stdout.decode().strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"cold import, median of {args.runs} fresh processes (ms)")
    for label, module in TARGETS.items():
        once(module)  # warm the bytecode cache, as a deployed layer has it
        times = sorted(once(module) * 1000 for _ in range(args.runs))
        print(f"  {label:<22} median {statistics.median(times):7.1f}   min {times[0]:7.1f}   max {times[-1]:7.1f}")


if __name__ == "__main__":
    main()
