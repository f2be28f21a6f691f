"""Exactly once under faults, on a real local Bluesky network (issue 16 item 4).

Queues DELIVERIES posts through the API, each on one of CHANNELS channels (accounts on a local PDS), due at
whole seconds spread over SPREAD seconds, and gives each delivery a fault drawn with a seeded RNG:

- none
- duplicate: Scheduler delivers the schedule's event twice (the firer's `delivers_twice`), so two
  messages reach the publish function at the due second. The twin's step runs, for a third of them,
  between the first's read of the delivery and its lease write (one of the two loses the conditional
  write); for a third while the first is in its network call (the lease is live); for a third after it.
- crash: the createRecord goes out and is taken, then the function dies before recording it
  (`deliveries.mark_published` raises); once, or on up to 5 attempts running (then the reconciler).
- timeout: the createRecord goes out and is taken, and its answer is lost (a read timeout); for half of
  them the look that follows loses its answer too, on up to 3 attempts running.
- 5xx: the PDS answers 500/502/503/504 before doing anything; on up to 5 attempts running (5: failed).
- 429: the PDS turns the createRecord away with a `ratelimit-reset` 1-180 s ahead; on up to 5 attempts
  running (5: failed). No attempt may start before the reset.
- lease: the holder of the lease dies before the network call (it won `scheduled -> publishing`, then
  its step raises); the message comes back after the visibility timeout and takes the expired lease
  over; on up to 5 attempts running (then the reconciler, which only looks).
- cancel: DELETE /posts/{id} through the API at the firing moment: when the schedule's event reaches the
  function, right after it handed the attempt to the queue, when the queued message reaches the function,
  between the publish step's read of the delivery and its lease write (the step loses), or while the
  lease holder's createRecord is going out (then the cancel loses: 409, and the delivery is published).

The runtime runs on a ManualClock (the firer is driven second by second, deterministic and fast), with
Scheduler firing 0-60 s late. The poll function (listening) is replaced by a stand-in that does nothing:
this bench is about publishing. At the end: per fault the count, the outcomes (published, failed with a
reason, cancelled), stuck deliveries (not final), doubles, and the records listed on the PDS
(com.atproto.repo.listRecords) against the deliveries, by record key (derived from the delivery).
Exits non-zero on any double, stuck delivery, mismatch, early attempt or fault that was not injected.

Run: .venv/bin/python bench/faults.py [--deliveries 1000 --channels 12 --seed 1]
Takes about 11 minutes for 1,000 deliveries on a 2-core machine (most of it the embedded AWS and the PDS).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import re
import shutil
import sys
import tempfile
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
# The injected faults make the functions log tracebacks by the hundred; the figures below are the point.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "CRITICAL")
warnings.filterwarnings("ignore", message="No application metrics to publish")

from infra.local.bluesky_net import BlueskyNetwork, ensure_installed  # noqa: E402
from infra.local.runtime import LocalRuntime, allow_outbound  # noqa: E402
from parley.connect import adapters  # noqa: E402
from parley.networks import tid  # noqa: E402
from parley.networks.base import Adapter, Credential, SessionStore  # noqa: E402
from parley.networks.bluesky import BlueskyAdapter  # noqa: E402
from parley.publishing import deliveries  # noqa: E402
from parley.publishing import publish as publishing  # noqa: E402
from parley.scheduling import PublishMessage  # noqa: E402
from parley.shared import outbound_requests  # noqa: E402
from parley.shared.clock import ManualClock  # noqa: E402
from parley.shared.errors import LostRace  # noqa: E402
from parley.shared.names import SCHEDULE_LEAD_SECONDS, Queue, physical_name  # noqa: E402
from parley.store import DeliveryRecord  # noqa: E402
from parley.store.keys import DeliveryKey  # noqa: E402
from parley.team import tokens  # noqa: E402

FAULTS = ("none", "duplicate", "crash", "timeout", "5xx", "429", "lease", "cancel")
LABELS = {
    "none": "none",
    "duplicate": "duplicate event",
    "crash": "crash after the call",
    "timeout": "timeout",
    "5xx": "5xx",
    "429": "429 with reset",
    "lease": "expired lease takeover",
    "cancel": "cancel at firing",
}
FINAL = {"published", "failed", "cancelled"}
CREATE = "com.atproto.repo.createRecord"
POST_ID_IN_INPUT = re.compile(r'"post_id":\s*"([^"]+)"')
CHECK_EVERY = 30  # simulated seconds between looks at the deliveries' states


@dataclass(frozen=True)
class Plan:
    """What goes wrong for one delivery; `times`: on how many attempts running (from the first)."""

    fault: str
    times: int = 1
    variant: str = ""
    status: int = 0  # 5xx
    reset: int = 0  # 429: seconds ahead


def draw_plan(rng: random.Random) -> Plan:
    fault = rng.choice(FAULTS)
    if fault == "duplicate":
        return Plan(fault, variant=rng.choice(["race", "during", "after"]))
    if fault == "crash":
        return Plan(fault, times=rng.choices([1, 2, 3, 5], [80, 8, 4, 8])[0])
    if fault == "timeout":
        variant = rng.choice(["answer", "answer+look"])
        return Plan(fault, times=1 if variant == "answer" else rng.choices([1, 2, 3], [70, 20, 10])[0], variant=variant)
    if fault == "5xx":
        return Plan(
            fault, times=rng.choices([1, 2, 3, 5], [70, 10, 10, 10])[0], status=rng.choice([500, 502, 503, 504])
        )
    if fault == "429":
        return Plan(fault, times=rng.choices([1, 2, 5], [80, 10, 10])[0], reset=rng.randint(1, 180))
    if fault == "lease":
        return Plan(fault, times=rng.choices([1, 2, 5], [85, 7, 8])[0])
    if fault == "cancel":
        return Plan(fault, variant=rng.choice(["schedule", "queued", "message", "before-lease", "in-flight"]))
    return Plan(fault)


@dataclass
class Delivery:
    index: int
    post_id: str
    channel_id: str
    did: str
    publish_at: datetime
    rkey: str
    text: str
    plan: Plan
    started: list[datetime] = field(default_factory=list)  # when each attempt won the lease (runtime clock)
    injected: int = 0
    busy: int = 0  # messages that found the lease live (LeaseBusy)
    lost: int = 0  # steps that lost the conditional lease write (LostRace)
    resets: list[tuple[int, datetime]] = field(default_factory=list)  # (attempt, ratelimit-reset) of each 429
    cancel_status: int | None = None
    nested: bool = False


class HolderDied(RuntimeError):
    """Injected: the lease holder's process ended (before the network call)."""


class CrashedAfterCall(RuntimeError):
    """Injected: the function died after the network took the post, before recording it."""


def fake_answer(
    request: requests.PreparedRequest, status: int, body: dict[str, Any], headers: Mapping[str, str] = {}
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict({"content-type": "application/json; charset=utf-8", **headers})
    response._content = json.dumps(body).encode("utf-8")
    response.url = request.url or ""
    response.request = request
    response.encoding = "utf-8"
    response.reason = HTTPStatus(status).phrase
    return response


class FaultTransport(BaseAdapter):
    """The adapter's HTTP transport: the real one (the outbound fetcher), with the delivery's faults."""

    def __init__(self, inner: BaseAdapter, injector: Injector) -> None:
        super().__init__()
        self._inner = inner
        self._injector = injector

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        return self._injector.on_request(request, lambda: self._inner.send(request, *args, **kwargs))

    def close(self) -> None:
        self._inner.close()


def request_rkey(request: requests.PreparedRequest) -> tuple[str, str | None]:
    """(the XRPC method, the record key it names: createRecord's body or getRecord's query)."""
    url = urlparse(request.url or "")
    nsid = url.path.rsplit("/", 1)[-1]
    if nsid == CREATE and request.body:
        body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
        return nsid, json.loads(body).get("rkey")
    keys = parse_qs(url.query).get("rkey")
    return nsid, keys[0] if keys else None


class Injector:
    """Installs the faults (bench-side wrappers around the product's seams) and keeps what happened."""

    def __init__(self, runtime: LocalRuntime, clock: ManualClock, api: requests.Session) -> None:
        self.runtime = runtime
        self.clock = clock
        self.api = api
        self.by_post: dict[str, Delivery] = {}
        self.by_rkey: dict[str, Delivery] = {}
        self.cancel_errors: list[str] = []
        self._undo: list[Callable[[], None]] = []

    def add(self, delivery: Delivery) -> None:
        self.by_post[delivery.post_id] = delivery
        self.by_rkey[delivery.rkey] = delivery

    # -- installing ---------------------------------------------------------------------------------

    def install(self) -> None:
        self._patch(deliveries, "start_publishing", self._start_publishing(deliveries.start_publishing))
        self._patch(deliveries, "mark_published", self._mark_published(deliveries.mark_published))
        self._patch(publishing, "handle_due", self._handle_due(publishing.handle_due))
        self._patch(self.runtime.functions, "invoke", self._invoke(self.runtime.functions.invoke))
        self._patch(self.runtime.firer, "delivers_twice", self._delivers_twice)
        adapters.set_factory(self._adapter)
        self._undo.append(lambda: adapters.set_factory(None))

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def _patch(self, owner: Any, name: str, replacement: Any) -> None:
        had = name in vars(owner)
        before = vars(owner).get(name)
        setattr(owner, name, replacement)
        self._undo.append(lambda: setattr(owner, name, before) if had else delattr(owner, name))

    # -- the seams ----------------------------------------------------------------------------------

    def _start_publishing(self, real: Callable[..., DeliveryRecord]) -> Callable[..., DeliveryRecord]:
        def start_publishing(record: DeliveryRecord, *, due_at: datetime, by: str) -> DeliveryRecord:
            delivery = self.by_post.get(record.post_id)
            if delivery is None:
                return real(record, due_at=due_at, by=by)
            plan = delivery.plan
            # Between the step's read of the delivery and its lease write: a cancel, or the twin's whole attempt.
            if plan.fault == "cancel" and plan.variant == "before-lease" and delivery.cancel_status is None:
                self.cancel(delivery)
            if plan.fault == "duplicate" and plan.variant == "race" and not delivery.nested:
                delivery.nested = True
                self.runtime.firer.run_due()
            try:
                record = real(record, due_at=due_at, by=by)
            except LostRace:
                delivery.lost += 1
                raise
            delivery.started.append(self.clock.now())
            if plan.fault == "lease" and int(record.attempt) <= plan.times:
                delivery.injected += 1
                raise HolderDied(f"injected: the lease holder of {record.post_id} died before the call")
            return record

        return start_publishing

    def _mark_published(self, real: Callable[..., DeliveryRecord]) -> Callable[..., DeliveryRecord]:
        def mark_published(record: DeliveryRecord, **kwargs: Any) -> DeliveryRecord:
            delivery = self.by_post.get(record.post_id)
            if delivery is not None and delivery.plan.fault == "crash" and int(record.attempt) <= delivery.plan.times:
                delivery.injected += 1
                raise CrashedAfterCall(f"injected: {record.post_id} was published, then the function died")
            return real(record, **kwargs)

        return mark_published

    def _handle_due(self, real: Callable[..., publishing.Outcome]) -> Callable[..., publishing.Outcome]:
        def handle_due(message: PublishMessage, *args: Any, **kwargs: Any) -> publishing.Outcome:
            try:
                return real(message, *args, **kwargs)
            except publishing.LeaseBusy:
                delivery = self.by_post.get(message.key.post_id)
                if delivery is not None:
                    delivery.busy += 1
                raise

        return handle_due

    def _invoke(self, real: Callable[..., Any]) -> Callable[..., Any]:
        """Cancels at the firing moment: the schedule's event or the queued message reaching the function."""

        def invoke(function: str, event: Any, **kwargs: Any) -> Any:
            if function != "publish" or not isinstance(event, dict):
                return real(function, event, **kwargs)
            if "Records" in event:
                kind = "message"
                post_ids = [json.loads(r["body"]).get("post_id") for r in event["Records"]]
            else:
                kind = "schedule"
                post_ids = [event.get("post_id")]
            cancels = [
                d
                for d in (self.by_post.get(str(p)) for p in post_ids)
                if d is not None and d.plan.fault == "cancel" and d.cancel_status is None
            ]
            for delivery in cancels:
                if delivery.plan.variant == kind:
                    self.cancel(delivery)
            answer = real(function, event, **kwargs)
            for delivery in cancels:
                if kind == "schedule" and delivery.plan.variant == "queued":
                    self.cancel(delivery)
            return answer

        return invoke

    def _delivers_twice(self, schedule_key: str) -> bool:
        found = POST_ID_IN_INPUT.search(schedule_key)
        delivery = self.by_post.get(found.group(1)) if found else None
        if delivery is not None and delivery.plan.fault == "duplicate":
            delivery.injected += 1
            return True
        return False

    def _adapter(self, network: str, credential: Credential, sessions: SessionStore) -> Adapter:
        if network != "bluesky":
            return adapters.default_factory(network, credential, sessions)
        http = outbound_requests.session()
        transport = FaultTransport(http.get_adapter("https://pds.invalid/"), self)
        http.mount("http://", transport)
        http.mount("https://", transport)
        return BlueskyAdapter(credential, sessions, http=http)

    def on_request(self, request: requests.PreparedRequest, send: Callable[[], requests.Response]) -> requests.Response:
        nsid, rkey = request_rkey(request)
        delivery = self.by_rkey.get(rkey or "")
        if delivery is None:
            return send()
        plan = delivery.plan
        attempt = len(delivery.started)
        write = nsid == CREATE
        if plan.fault == "5xx" and attempt <= plan.times:
            if write:
                delivery.injected += 1
            answer = {"error": "InternalServerError", "message": "Internal Server Error"}
            return fake_answer(request, plan.status, answer)
        if plan.fault == "429" and write and attempt <= plan.times:
            reset = self.clock.now() + timedelta(seconds=plan.reset)
            delivery.injected += 1
            delivery.resets.append((attempt, reset))
            headers = {
                "ratelimit-limit": "5000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(int(reset.timestamp())),
            }
            return fake_answer(request, 429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}, headers)
        if plan.fault == "timeout" and attempt <= plan.times and (write or plan.variant == "answer+look"):
            send()  # it goes out and the PDS does it; the answer never comes back
            if write:
                delivery.injected += 1
            raise requests.exceptions.ReadTimeout("read timed out (injected)", request=request)
        if write and plan.fault == "cancel" and plan.variant == "in-flight" and delivery.cancel_status is None:
            self.cancel(delivery)
        if write and plan.fault == "duplicate" and plan.variant == "during" and not delivery.nested:
            delivery.nested = True
            # While this attempt is in its network call, whatever else is due (the twin) runs beside it.
            self.runtime.firer.run_due()
        return send()

    def cancel(self, delivery: Delivery) -> None:
        try:
            answer = self.api.delete(f"{self.runtime.api_url}/posts/{delivery.post_id}", timeout=60)
        except requests.RequestException as exc:
            self.cancel_errors.append(f"{delivery.post_id}: {exc}")
            delivery.cancel_status = -1
            return
        delivery.cancel_status = answer.status_code
        if answer.status_code not in (200, 409):
            self.cancel_errors.append(f"{delivery.post_id}: HTTP {answer.status_code} {answer.text[:200]}")


# -- the run ----------------------------------------------------------------------------------------------


def queue_depths(runtime: LocalRuntime) -> dict[str, int]:
    sqs = runtime.aws.client("sqs")
    depths = {}
    for queue in (Queue.PUBLISH, Queue.FAILURES, Queue.FAILURES_DLQ):
        url = sqs.get_queue_url(QueueName=physical_name(queue))["QueueUrl"]
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        depths[queue.value] = sum(int(attributes.get(name, 0)) for name in names)
    return depths


def delivery_schedules(runtime: LocalRuntime) -> int:
    scheduler = runtime.aws.client("scheduler")
    groups = [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]
    count = 0
    for group in groups:
        for page in scheduler.get_paginator("list_schedules").paginate(GroupName=group):
            count += sum(1 for s in page["Schedules"] if str(s["Name"]).startswith("d-"))
    return count


def list_records(pds_url: str, did: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, str] = {"repo": did, "collection": "app.bsky.feed.post", "limit": "100"}
        if cursor:
            params["cursor"] = cursor
        answer = requests.get(f"{pds_url}/xrpc/com.atproto.repo.listRecords", params=params, timeout=30)
        answer.raise_for_status()
        body = answer.json()
        records += body["records"]
        cursor = body.get("cursor")
        if not cursor or not body["records"]:
            return records


def states(keys: list[tuple[str, str]]) -> dict[str, DeliveryRecord]:
    wanted = set(keys)
    return {r.post_id: r for r in DeliveryRecord.scan(consistent_read=True) if (r.post_id, r.channel_id) in wanted}


def drive(
    runtime: LocalRuntime, clock: ManualClock, queued: list[Delivery], start: datetime, limit: timedelta, console: Any
) -> None:
    """Second by second until every delivery is final and the queues are empty (or `limit` after the last due)."""
    keys = [(d.post_id, d.channel_id) for d in queued]
    last_due = max(d.publish_at for d in queued)
    settled_at: datetime | None = None
    while clock.now() < last_due + limit:
        clock.advance(1)
        runtime.firer.run_due()
        elapsed = int((clock.now() - start).total_seconds())
        if clock.now() <= last_due or elapsed % CHECK_EVERY:
            continue
        if settled_at is None:
            final = sum(1 for r in states(keys).values() if r.state in FINAL)
            if final == len(queued):
                settled_at = clock.now()
                print(f"every delivery final {elapsed} s after queueing; the queues drain", file=console, flush=True)
        elif sum(queue_depths(runtime).values()) == 0 or clock.now() > settled_at + timedelta(hours=1):
            return  # stray messages (twins that came back, a crash's message) have had their turn


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--channels", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spread", type=int, default=600, help="seconds the due times are spread over")
    parser.add_argument("--late-window", type=float, default=60, help="Scheduler fires 0 to this many s late")
    parser.add_argument("--max-seconds", type=int, default=4 * 3600, help="simulated seconds before giving up")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    logging.getLogger("parley.local").setLevel(logging.ERROR)
    wall = time.monotonic()
    console = sys.stdout

    ensure_installed("pds")
    work = Path(tempfile.mkdtemp(prefix="parley-faults-"))
    accounts = [(f"faults{i:02d}.test", f"faults-pass-{i:02d}") for i in range(args.channels)]
    network = BlueskyNetwork("pds", work / "bluesky", accounts)
    network.start(timeout=180)
    allow_outbound(network.pds_url)
    clock = ManualClock(datetime.now(UTC).replace(microsecond=0))
    runtime = LocalRuntime(
        work / "state",
        clock,
        firer_thread=False,
        late_window_seconds=args.late_window,
        seed=args.seed,
        snapshot_interval_seconds=3600,
    )
    injector: Injector | None = None
    result = 1
    try:
        runtime.start()
        runtime.functions.register("poll", lambda event, context: {"stand-in": True})
        issued = tokens.create_workspace("Faults", "Bench")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {issued.token}"
        channels = []
        for account in network.accounts:
            body = {"identifier": account.handle, "app_password": account.password, "service_url": network.pds_url}
            answer = api.post(f"{runtime.api_url}/channels", json=body, timeout=30)
            answer.raise_for_status()
            channels.append((answer.json()["id"], account))

        injector = Injector(runtime, clock, api)
        injector.install()
        start = clock.now()
        first_due = start + timedelta(seconds=SCHEDULE_LEAD_SECONDS + 30)  # every one goes through Scheduler
        for i in range(args.deliveries):
            plan = draw_plan(rng)
            channel_id, account = channels[rng.randrange(len(channels))]
            due = first_due + timedelta(seconds=rng.randrange(args.spread))
            text = f"fault trial {i} ({plan.fault}) seed {args.seed}"
            post = {"text": text, "channels": [channel_id], "publish_at": due.isoformat()}
            answer = api.post(f"{runtime.api_url}/posts", json=post, timeout=30)
            answer.raise_for_status()
            post_id = answer.json()["id"]
            delivery_id = DeliveryKey(issued.workspace_id, post_id, channel_id).id
            rkey = tid.for_delivery(delivery_id, due)
            injector.add(Delivery(i, post_id, channel_id, account.did, due, rkey, text, plan))
        queued = list(injector.by_post.values())
        print(
            f"queued {len(queued)} deliveries on {len(channels)} channels, due over {args.spread} s "
            f"(seed {args.seed}); faults {dict(Counter(d.plan.fault for d in queued))}",
            file=console,
            flush=True,
        )

        # What the functions print (Powertools' single metrics ignore POWERTOOLS_METRICS_DISABLED) goes to a file.
        with (work / "functions.out").open("w") as out, contextlib.redirect_stdout(out):
            drive(runtime, clock, queued, start, timedelta(seconds=args.max_seconds), console)
        keys = [(d.post_id, d.channel_id) for d in queued]
        records = states(keys)
        simulated = clock.now() - start
        depths = queue_depths(runtime)
        schedules = delivery_schedules(runtime)

        listed: dict[str, list[dict[str, Any]]] = {}
        for _, account in channels:
            listed[account.did] = list_records(network.pds_url, account.did)
        result = report(queued, records, listed, injector, depths, schedules, simulated, time.monotonic() - wall)
    finally:
        if injector is not None:
            injector.uninstall()
        runtime.stop()
        network.stop()
    if result == 0:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print(f"the functions' output and the logs are in {work}")
    return result


def report(
    queued: list[Delivery],
    records: dict[str, DeliveryRecord],
    listed: dict[str, list[dict[str, Any]]],
    injector: Injector,
    depths: dict[str, int],
    schedules: int,
    simulated: timedelta,
    wall_seconds: float,
) -> int:
    on_network: dict[str, list[dict[str, Any]]] = defaultdict(list)
    strays: list[str] = []
    for did, items in listed.items():
        for item in items:
            rkey = str(item["uri"]).rsplit("/", 1)[-1]
            delivery = injector.by_rkey.get(rkey)
            if delivery is None or delivery.did != did:
                strays.append(str(item["uri"]))
            else:
                on_network[delivery.post_id].append(item)

    problems: list[str] = []
    rows: dict[str, Counter[str]] = {fault: Counter() for fault in FAULTS}
    reasons: Counter[str] = Counter()
    paths: dict[str, Counter[str]] = {fault: Counter() for fault in FAULTS}
    for d in queued:
        row = rows[d.plan.fault]
        record = records.get(d.post_id)
        state = record.state if record is not None else "missing"
        found = on_network[d.post_id]
        row["n"] += 1
        row["records"] += len(found)
        row["attempts"] += int(record.attempt or 0) if record is not None else 0
        injected = d.cancel_status is not None if d.plan.fault == "cancel" else d.injected > 0
        row["injected"] += 1 if injected or d.plan.fault == "none" else 0
        if not injected and d.plan.fault != "none":
            problems.append(f"{d.post_id} ({d.plan.fault}): the fault was never injected")
        if state in FINAL:
            row[state] += 1
        else:
            row["stuck"] += 1
            problems.append(f"{d.post_id} ({d.plan.fault}): stuck in {state}")
        if len(found) > 1:
            row["doubles"] += len(found) - 1
            problems.append(f"{d.post_id} ({d.plan.fault}): {len(found)} records")
        if state == "published":
            assert record is not None
            if not found:
                row["mismatch"] += 1
                problems.append(f"{d.post_id} ({d.plan.fault}): published, but no record on the network")
            elif found[0]["uri"] != record.remote_id or found[0]["value"].get("text") != d.text:
                row["mismatch"] += 1
                problems.append(f"{d.post_id} ({d.plan.fault}): the record is not the delivery's ({found[0]['uri']})")
        elif state in ("failed", "cancelled") and found:
            row["mismatch"] += 1
            problems.append(f"{d.post_id} ({d.plan.fault}): {state}, but its record is on the network")
        if state == "failed":
            reason = record.failure_reason if record is not None else None
            if not reason:
                row["mismatch"] += 1
                problems.append(f"{d.post_id} ({d.plan.fault}): failed without a reason")
            reasons[str(reason)] += 1
        # Never early: no attempt before publish_at, none before a 429's reset.
        early = [at for at in d.started if at < d.publish_at]
        for attempt, reset in d.resets:
            early += [at for at in d.started[attempt:] if at < reset]
        if early:
            row["early"] += 1
            problems.append(f"{d.post_id} ({d.plan.fault}): an attempt started early ({early[0].isoformat()})")
        # The paths the faults took.
        path = paths[d.plan.fault]
        if record is not None and any(h.get("by") == "reconciler" for h in record.history or []):
            path["settled by the reconciler"] += 1
        if d.plan.fault == "duplicate":
            if d.lost:
                path["the twin won the lease first, the other lost the write"] += 1
            else:
                path["the twin found the lease live" if d.busy else "the twin found it published"] += 1
        if d.plan.fault == "cancel":
            path[f"DELETE {d.cancel_status} ({d.plan.variant}) -> {state}"] += 1
            if (d.cancel_status == 200) != (state == "cancelled"):
                row["mismatch"] += 1
                problems.append(f"{d.post_id}: DELETE answered {d.cancel_status}, and the delivery ended {state}")
        if d.plan.fault in ("5xx", "429", "crash", "lease") and d.plan.times >= 5:
            path[f"on 5 attempts running -> {state}"] += 1

    columns = ["n", "injected", "published", "failed", "cancelled", "stuck", "doubles", "records", "mismatch", "early"]
    width = max(len(label) for label in LABELS.values())
    print()
    print(f"{'fault':<{width}}  " + "  ".join(f"{c:>9}" for c in columns) + "  attempts")
    total: Counter[str] = Counter()
    for fault in FAULTS:
        row = rows[fault]
        total.update(row)
        mean = row["attempts"] / row["n"] if row["n"] else 0.0
        print(f"{LABELS[fault]:<{width}}  " + "  ".join(f"{row[c]:>9}" for c in columns) + f"  {mean:8.2f}")
    mean = total["attempts"] / total["n"] if total["n"] else 0.0
    print(f"{'all':<{width}}  " + "  ".join(f"{total[c]:>9}" for c in columns) + f"  {mean:8.2f}")

    all_records = sum(len(items) for items in listed.values())
    with_two = sum(1 for items in on_network.values() if len(items) > 1)
    published = {post_id for post_id, record in records.items() if record.state == "published"}
    of_ended = sum(len(on_network[d.post_id]) for d in queued if d.post_id not in published)
    print()
    print(
        f"on the network (listRecords, {len(listed)} accounts): {all_records} records for {total['published']} "
        f"published deliveries; of cancelled or failed deliveries: {of_ended}; deliveries with two records: "
        f"{with_two}; records of no delivery: {len(strays)}"
    )
    if strays:
        problems += [f"a record of no delivery: {uri}" for uri in strays[:10]]
    if all_records != total["published"]:
        problems.append(f"{all_records} records on the network, {total['published']} published deliveries")
    for fault in FAULTS:
        if paths[fault]:
            print(f"  {LABELS[fault]}: " + "; ".join(f"{k}: {v}" for k, v in sorted(paths[fault].items())))
    if reasons:
        print("failed, with reasons:")
        for reason, count in reasons.most_common():
            print(f"  {count:4}  {reason}")
    print(f"left over: messages {depths}; delivery schedules {schedules}")
    if any(depths.values()) or schedules:
        problems.append(f"left over: messages {depths}, delivery schedules {schedules}")
    problems += [f"cancel: {error}" for error in injector.cancel_errors]
    minutes, seconds = divmod(round(wall_seconds), 60)
    print(f"took {minutes} min {seconds} s of wall clock for {simulated.total_seconds() / 60:.0f} simulated minutes")
    if problems:
        print(f"FAILED: {len(problems)} problems")
        for problem in problems[:40]:
            print(f"  {problem}")
        return 1
    print(
        f"OK: {total['n']} deliveries, {total['doubles']} doubles, {total['stuck']} stuck, "
        f"{all_records} records = {total['published']} published"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
