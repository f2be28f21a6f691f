"""A local runtime in a process of its own, for tests that kill it (tests/integration/test_local_crash.py).

    python -m tests.support.crash_runtime STATE_DIR NETWORK_URL NOW

The runtime of `scripts/run` (embedded AWS, the firer in its thread, the HTTP API, the real functions,
snapshots every half second) on a `ManualClock` set to NOW, with a stand-in Bluesky network: the test's
own server at NETWORK_URL, which outlives this process and counts what it is asked to create. The first
start makes a workspace and a channel (kept in the state like everything else). Then it prints one JSON
line (`api`, `token`, `channel`, `now`) and takes commands on stdin, one a line:

    advance SECONDS   move the clock on; answers `now ISO`
    save              start saving a snapshot (in a thread); answers `saving`

End of input stops it gracefully; the test stops it with SIGKILL.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import requests

from parley.networks.base import Account, Credential, Published, PublishRequest, SessionStore
from parley.shared.errors import FieldProblem

SETUP_FILE = "crash-setup.json"


class StandInNetwork:
    """Bluesky as an adapter sees it, served by the test: `POST /create`, `GET /find`."""

    network = "bluesky"

    def __init__(self, url: str) -> None:
        self.url = url

    def adapter(self, network: str, credential: Credential, sessions: SessionStore) -> StandInNetwork:
        return self

    def check_text(self, text: str) -> list[FieldProblem]:
        return []

    def verify(self, credential: Credential) -> Account:
        raise NotImplementedError("the crash test's channel is made directly")

    def publish(self, request: PublishRequest) -> Published:
        if request.look_first and (found := self.find(request)) is not None:
            return found
        from parley.shared import clock

        body = {"delivery_id": request.delivery_id, "text": request.text, "at": clock.now().isoformat()}
        answer = requests.post(f"{self.url}/create", json=body, timeout=10)
        answer.raise_for_status()
        return self._published(answer.json(), already_there=False)

    def find(self, request: PublishRequest) -> Published | None:
        answer = requests.get(f"{self.url}/find", params={"delivery_id": request.delivery_id}, timeout=10)
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return self._published(answer.json(), already_there=True)

    @staticmethod
    def _published(record: dict[str, Any], *, already_there: bool) -> Published:
        return Published(
            f"at://did:plc:crash/app.bsky.feed.post/{record['delivery_id']}",
            "https://bsky.app/profile/crash.test",
            datetime.fromisoformat(record["at"]),
            already_there=already_there,
        )


def _setup(state_dir: Path, now: datetime) -> dict[str, str]:
    path = state_dir / SETUP_FILE
    if path.exists():
        return dict(json.loads(path.read_text()))
    from parley.connect import credentials
    from parley.shared import ids
    from parley.shared.config import get_settings
    from parley.store import ChannelRecord
    from parley.team import tokens

    issued = tokens.create_workspace("Crash", "Ada")
    channel_id = "ch_" + ids.new_id()
    parameter = credentials.credential_parameter(get_settings().parameter_prefix, issued.workspace_id, channel_id)
    credentials.save_credential(parameter, Credential("crash.test", "app-password", "http://127.0.0.1:9"))
    ChannelRecord(
        issued.workspace_id,
        channel_id,
        network="bluesky",
        handle="crash.test",
        remote_id="did:plc:crash",
        service_url="http://127.0.0.1:9",
        credential_parameter=parameter,
        created_at=now,
        created_by=issued.member_id,
    ).save()
    setup = {"token": issued.token, "channel": channel_id}
    temp = path.with_suffix(".tmp")
    with temp.open("w") as handle:
        json.dump(setup, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    return setup


def main(argv: list[str]) -> int:
    state_dir, network_url, start = Path(argv[0]), argv[1], datetime.fromisoformat(argv[2])
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

    from infra.local.functions import FunctionRegistry
    from infra.local.runtime import LocalRuntime
    from parley.connect import adapters
    from parley.shared.clock import ManualClock
    from parley.shared.names import Function

    adapters.set_factory(StandInNetwork(network_url).adapter)
    functions = FunctionRegistry()
    functions.register(Function.POLL, lambda event, context: None)  # listening is not what this tests
    clock = ManualClock(start)
    runtime = LocalRuntime(state_dir, clock, firer_thread=True, functions=functions, snapshot_interval_seconds=0.5)
    runtime.start()
    setup = _setup(state_dir, clock.now())
    functions.handler(Function.API.value)  # imported now, so that a kill mid-request finds requests going
    print(json.dumps({"api": runtime.api_url, "now": clock.now().isoformat(), **setup}), flush=True)
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "advance":
            print(f"now {clock.advance(float(argument)).isoformat()}", flush=True)
        elif command == "save":
            threading.Thread(target=runtime.save_snapshot, daemon=True).start()
            print("saving", flush=True)
    runtime.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
