"""The local runtime killed with SIGKILL at random moments loses nothing it acknowledged (issue 16 item 2).

The runtime runs in a process of its own (`tests.support.crash_runtime`: embedded AWS, the firer in its
thread, the HTTP API, the real functions, a snapshot every half second) on a manual clock that this test
moves, with a stand-in Bluesky network served here, which outlives each killed process and counts the
posts it is asked to create. Ten seeded trials each queue posts through the API while earlier ones are
being published, then kill the process: right after a 201, while the firer is busy, in the middle of
requests, or while a snapshot is being saved. The clock moves on while the process is down, and a new
process starts on the same state folder.

After each restart every post answered 201 is there, and those that fell due while the runtime was down
go out at once (they leave `scheduled` before the clock moves again). At the end every acknowledged post
is published, its text was created on the network exactly once and never before its time, and the posts
still waiting at the last restart go out at their second. Only states and counts are asserted; waiting
for the other process is bounded by generous guards, never measured.
"""

from __future__ import annotations

import functools
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from parley.shared.names import LEASE_SECONDS, PUBLISH_VISIBILITY_SECONDS
from tests.support.loopback import serving

REPO = Path(__file__).resolve().parents[2]
SEED = 1602
MODES = ["after-201"] * 3 + ["busy"] * 3 + ["mid-request"] * 2 + ["saving"] * 2
START = datetime(2030, 6, 1, 9, 0, tzinfo=UTC)
AHEAD = [3, 10, 30, 60, 95, 150, 400]  # seconds between queueing and publish_at: queue or schedule first
GUARD = 90.0  # wall seconds to wait for the other process before failing (never reached when it works)


# --- the stand-in network, in this process ------------------------------------------------------------


@dataclass
class Network:
    creates: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def created(self, delivery_id: str) -> dict[str, Any] | None:
        with self.lock:
            return next((c for c in self.creates if c["delivery_id"] == delivery_id), None)

    def by_text(self) -> dict[str, list[dict[str, Any]]]:
        with self.lock:
            found: dict[str, list[dict[str, Any]]] = {}
            for create in self.creates:
                found.setdefault(create["text"], []).append(create)
            return found


def _handler(network: Network) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            create = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with network.lock:
                network.creates.append(create)
            self._answer(200, create)

        def do_GET(self) -> None:
            delivery_id = parse_qs(urlsplit(self.path).query).get("delivery_id", [""])[0]
            found = network.created(delivery_id)
            self._answer(200 if found else 404, found or {})

    return Handler


@pytest.fixture
def network() -> Iterator[tuple[Network, str]]:
    stand_in = Network()
    with serving(_handler(stand_in)) as url:
        yield stand_in, url


# --- the runtime's process --------------------------------------------------------------------------


class Child:
    def __init__(self, state_dir: Path, network_url: str, now: datetime, log: Path) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(REPO / "layers" / "core" / "python"), str(REPO), env.get("PYTHONPATH", "")]
        )
        self._log = log.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.crash_runtime", str(state_dir), network_url, now.isoformat()],
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()
        ready = json.loads(self._line())
        self.api, self.token, self.channel = ready["api"], ready["token"], ready["channel"]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def _read(self, stream: Any) -> None:
        for line in stream:
            self._lines.put(line.strip())

    def _line(self) -> str:
        try:
            return self._lines.get(timeout=GUARD)
        except queue.Empty:
            self.kill()
            raise AssertionError("the runtime's process did not answer (its log is in the test's tmp_path)") from None

    def _command(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self._line()

    def advance(self, seconds: int) -> datetime:
        return datetime.fromisoformat(self._command(f"advance {seconds}").split(" ", 1)[1])

    def save(self) -> None:
        assert self._command("save") == "saving"

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: nothing is saved on the way out
        self.process.wait(timeout=30)
        self._log.close()

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self._log.close()

    def queue_post(self, text: str, publish_at: datetime) -> requests.Response:
        body = {"text": text, "channels": [self.channel], "publish_at": publish_at.isoformat()}
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        return self.session.post(f"{self.api}/posts", json=body, headers=headers, timeout=60)

    def get_post(self, post_id: str) -> requests.Response:
        return self.session.get(f"{self.api}/posts/{post_id}", timeout=60)

    def states(self) -> dict[str, dict[str, Any]]:
        """Every post's single delivery, by post id."""
        found: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            params = {"limit": "100"} | ({"cursor": cursor} if cursor else {})
            answer = self.session.get(f"{self.api}/posts", params=params, timeout=60)
            assert answer.status_code == 200, answer.text
            page = answer.json()
            found |= {p["id"]: p["deliveries"][0] for p in page["items"]}
            cursor = page.get("next_cursor")
            if not cursor:
                return found


@dataclass
class Queued:
    post_id: str
    text: str
    publish_at: datetime


@dataclass
class Machine:
    state_dir: Path
    network_url: str
    log: Path
    rng: random.Random
    now: datetime = START
    child: Child | None = None
    acknowledged: list[Queued] = field(default_factory=list)
    sent: int = 0
    trials: list[str] = field(default_factory=list)  # what each trial did, shown when the test fails

    def start(self) -> Child:
        self.child = Child(self.state_dir, self.network_url, self.now, self.log)
        return self.child

    def advance(self, seconds: int) -> None:
        assert self.child is not None
        self.now = self.child.advance(seconds)

    def queue_post(self) -> Queued | None:
        """Queue one post; returns it when the API acknowledged it (201)."""
        assert self.child is not None
        self.sent += 1
        text = f"Crash trial post #{self.sent}"
        publish_at = self.now + timedelta(seconds=self.rng.choice(AHEAD))
        try:
            answer = self.child.queue_post(text, publish_at)
        except requests.RequestException:
            return None  # cut off by the kill: never acknowledged
        assert answer.status_code == 201, answer.text
        queued = Queued(answer.json()["id"], text, publish_at)
        self.acknowledged.append(queued)
        return queued


def _eventually(check: Callable[[], bool], guard: float = GUARD) -> bool:
    deadline = time.monotonic() + guard
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return check()


def _published(child: Child, post_ids: list[str]) -> bool:
    states = child.states()
    return all(states[p]["state"] == "published" for p in post_ids)


# --- the trials -------------------------------------------------------------------------------------


def _trial(machine: Machine, mode: str) -> None:
    child = machine.start() if machine.child is None else machine.child
    rng = machine.rng
    if mode == "mid-request":
        threading.Timer(rng.uniform(0.05, 2.5), child.process.kill).start()
        while child.process.poll() is None and machine.queue_post() is not None:
            pass
        child.kill()
        return
    for _ in range(rng.randint(2, 5)):
        machine.queue_post()
        if mode != "after-201" and rng.random() < 0.6:
            machine.advance(rng.choice([5, 20, 45, 95]))  # earlier posts fall due while more are queued
    if mode == "after-201":
        child.kill()  # right after the last 201
        return
    machine.advance(rng.choice([10, 60, 100, 200]))
    if mode == "saving":
        child.save()
        time.sleep(rng.uniform(0, 0.15))
    else:
        time.sleep(rng.uniform(0, 0.4))  # the firer is busy with what the clock made due
    child.kill()


def _restart(machine: Machine, down_for: int, mode: str, before: int) -> None:
    killed_at = machine.now
    machine.now += timedelta(seconds=down_for)
    child = machine.start()
    states = child.states()
    kinds = sorted(states.get(q.post_id, {"state": "missing"})["state"] for q in machine.acknowledged)
    summary = {k: kinds.count(k) for k in dict.fromkeys(kinds)}
    machine.trials.append(
        f"{mode}: {len(machine.acknowledged) - before} acknowledged, killed at {killed_at:%H:%M:%S}, "
        f"down {down_for} s; after the restart {summary}"
    )
    for queued in machine.acknowledged:  # everything acknowledged is there
        answer = child.get_post(queued.post_id)
        assert answer.status_code == 200, (queued, answer.status_code, answer.text)
        assert answer.json()["text"] == queued.text
    due_while_down = {q.post_id for q in machine.acknowledged if killed_at < q.publish_at <= machine.now}

    def gone_out() -> bool:
        states = child.states()
        return all(states[p]["state"] != "scheduled" for p in due_while_down)

    assert _eventually(gone_out), f"posts due while the runtime was down were not sent at once: {due_while_down}"


def test_nothing_acknowledged_is_lost_when_the_runtime_is_killed(tmp_path: Path, network: tuple[Network, str]) -> None:
    stand_in, url = network
    rng = random.Random(SEED)
    modes = list(MODES)
    rng.shuffle(modes)
    machine = Machine(tmp_path / "state", url, tmp_path / "runtime.log", rng)
    try:
        for mode in modes:
            before = len(machine.acknowledged)
            _trial(machine, mode)
            _restart(machine, rng.choice([0, 30, 120, 600]), mode, before)
        _drain(machine, stand_in)
    finally:
        print("\n".join(machine.trials))
        if machine.child is not None and machine.child.process.poll() is None:
            machine.child.kill()


def _drain(machine: Machine, stand_in: Network) -> None:
    """Move the clock to each remaining due second, then past any lease a kill left behind; check."""
    child = machine.child
    assert child is not None and machine.acknowledged
    restarted_at = machine.now
    waiting = sorted((q for q in machine.acknowledged if q.publish_at > restarted_at), key=lambda q: q.publish_at)
    for due in sorted({q.publish_at for q in waiting}):
        machine.advance(max(0, int((due - machine.now).total_seconds())))
        now_due = [q.post_id for q in waiting if q.publish_at <= machine.now]
        assert _eventually(functools.partial(_published, child, now_due))
    for _ in range(6):  # a kill mid-publish leaves a lease: its message returns, the taker looks first
        if all(d["state"] == "published" for d in child.states().values()):
            break
        machine.advance(LEASE_SECONDS + PUBLISH_VISIBILITY_SECONDS)
        _eventually(lambda: all(d["state"] == "published" for d in child.states().values()), guard=20)
    states = child.states()
    child.stop()
    attempts = sorted(d["attempts"] for d in states.values())
    machine.trials.append(f"drained: {len(states)} posts, attempts {attempts}")

    assert {q.post_id: states[q.post_id]["state"] for q in machine.acknowledged} == {
        q.post_id: "published" for q in machine.acknowledged
    }
    created = stand_in.by_text()
    assert {q.text: len(created.get(q.text, [])) for q in machine.acknowledged} == {
        q.text: 1 for q in machine.acknowledged
    }
    assert all(len(c) == 1 for c in created.values()), "a post was created twice on the network"
    early = [
        (q.text, q.publish_at, created[q.text][0]["at"])
        for q in machine.acknowledged
        if datetime.fromisoformat(created[q.text][0]["at"]) < q.publish_at
    ]
    assert early == []
    late = [
        (q.text, q.publish_at, created[q.text][0]["at"])
        for q in waiting
        if datetime.fromisoformat(created[q.text][0]["at"]) != q.publish_at
    ]
    assert late == []  # the posts still waiting at the last restart go out at their second
    assert len(machine.acknowledged) >= 2 * (len(MODES) - MODES.count("mid-request"))  # two or more a trial
