"""Print the running local runtime's environment as KEY=VALUE lines: `export $(python -m infra.local.env)`
points the `parley` CLI (and boto3) at its embedded AWS."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ENV_FILE = "environment.json"


def main() -> int:
    state_dir = Path(os.environ.get("PARLEY_STATE_DIR", ".parley/local"))
    path = state_dir / ENV_FILE
    if not path.exists():
        print(f"no running local runtime found ({path} is missing): start it with scripts/run", file=sys.stderr)
        return 1
    for key, value in json.loads(path.read_text()).items():
        print(f"{key}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
