"""Cost per 1,000 posts: what AWS would bill for posts queued through the API, published and watched for
their week, counted from every AWS call the local runtime makes and priced at us-east-1 list prices.

Run: .venv/bin/python bench/cost.py [--posts 50 --channels 5 --interval-minutes 43.2 --react-every 5]
Takes about 10-15 minutes (a full local Bluesky network with its AppView, ~10 s to start; then the
runtime's clock is driven, not waited for).

How: a LocalRuntime on a ManualClock (no firer thread) and a real local Bluesky network (PLC + PDS +
AppView, so polls read real threads). After a workspace and CHANNELS channels are connected (setup, not
counted), POSTS posts are queued through the API (one channel each, with an Idempotency-Key; every other
one with a link, so short links are made), due one every INTERVAL minutes (43.2 min is 1,000 a month).
The clock then jumps from one event to the next (a schedule's time, a queue message becoming visible, a
Lambda retry) until nothing is left: every post published, every watch past its 7 days, no schedule.
Every REACT_EVERY-th post gets an audience (a reply, a reply to it, a like, a repost, a mention), so
polls find something to file.

What is counted, and only inside the functions or on their behalf (the bench's own calls and the
runtime's setup are not):
- every AWS API call (botocore's BaseClient._make_api_call, which boto3 and PynamoDB go through), by
  function, service and operation; calls of the local stand-ins for AWS services are counted as AWS
  bills them: Lambda's SQS event source (receives and deletes), Lambda's on-failure records, Scheduler's
  fired schedules (its own delete after completion is not billed);
- DynamoDB request units from the item sizes moto holds (moto's ConsumedCapacity is not size-based):
  reads 1 unit per 4 KB (half if eventually consistent, Query summed over the items read), writes 1 unit
  per 1 KB of the larger of the item before and after (also when a condition fails), transactions twice,
  and one more write per secondary index whose projection changed (two when its key moved);
- Lambda invocations per function, their CPU time in the function's thread, calls out to the network,
  time slept (the publish function waits out the last second on the clock), log and EMF bytes printed;
- API Gateway requests (the api and redirect functions behind the HTTP front) and their access log line.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# As deployed (infra/parley_cdk/settings.py): INFO logs, metrics on. Both are what is billed.
os.environ["POWERTOOLS_LOG_LEVEL"] = "INFO"
os.environ.pop("POWERTOOLS_METRICS_DISABLED", None)
warnings.filterwarnings("ignore", message="No application metrics to publish")

# --- what is printed inside a function is its CloudWatch Logs ingestion ------------------------------
# Installed before anything of parley is imported: Powertools' Logger keeps the stream it finds at import.

_local = threading.local()


def _stack() -> list[Any]:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack  # type: ignore[no-any-return]


@contextmanager
def acting_as(who: Any) -> Iterator[None]:
    """Calls made inside are made by `who` (an Invocation, or an AWS service's label)."""
    _stack().append(who)
    try:
        yield
    finally:
        _stack().pop()


def current() -> Any:
    stack = _stack()
    return stack[-1] if stack else None


def current_invocation() -> Invocation | None:
    for who in reversed(_stack()):
        if isinstance(who, Invocation):
            return who
    return None


class LogMeter(io.TextIOBase):
    """sys.stdout / sys.stderr: lines written inside an invocation are counted (and not shown)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self._partial = threading.local()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.real, "encoding", "utf-8"))

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        invocation = current_invocation()
        if invocation is None:
            return int(self.real.write(text))
        *lines, rest = (getattr(self._partial, "text", "") + text).split("\n")
        self._partial.text = rest
        for line in lines:
            invocation.log_line(line)
        return len(text)

    def end_invocation(self, invocation: Invocation) -> None:
        rest = getattr(self._partial, "text", "")
        if rest:
            invocation.log_line(rest)
            self._partial.text = ""

    def flush(self) -> None:
        self.real.flush()


STDOUT, STDERR = LogMeter(sys.stdout), LogMeter(sys.stderr)
sys.stdout, sys.stderr = STDOUT, STDERR  # type: ignore[assignment]

import botocore.client  # noqa: E402
import requests  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from infra.local import audience, aws  # noqa: E402
from infra.local.bluesky_net import BlueskyNetwork, ensure_installed  # noqa: E402
from infra.local.firer import _schedule_key, parse_at  # noqa: E402
from infra.local.functions import FunctionRegistry  # noqa: E402
from infra.local.runtime import LocalRuntime, allow_outbound  # noqa: E402
from parley.shared.clock import ManualClock  # noqa: E402
from parley.shared.names import EVENT_SOURCES, Function, physical_name  # noqa: E402

LOG_EVENT_OVERHEAD = 26  # bytes CloudWatch Logs adds to each event's message for ingestion
# Lambda's own records per invocation with the JSON log format (platform.start and platform.report,
# ~120 + ~280 bytes; a cold start adds platform.initStart and the init fields): estimated, not printed here.
PLATFORM_LOG_BYTES, PLATFORM_LOG_EVENTS = 400, 2


# --- prices -------------------------------------------------------------------------------------------

PRICES_AS_OF = "August 2025"
REGION = "us-east-1"


@dataclass(frozen=True)
class Price:
    usd: float
    per: float  # units the price is for
    unit: str
    source: str  # the AWS pricing page it is from
    free: float = 0.0  # always-free units a month (account-wide), 0 if none

    def cost(self, units: float) -> float:
        return units * self.usd / self.per

    def label(self) -> str:
        amount = f"${self.usd:.10f}".rstrip("0") if round(self.usd, 2) != self.usd else f"${self.usd:.2f}"
        per = {1: "", 1000: "1,000 ", 10_000: "10,000 ", 1e6: "1M "}[self.per]
        return f"{amount} / {per}{self.unit}"


PRICES = {
    "lambda_requests": Price(0.20, 1e6, "requests", "AWS Lambda pricing", free=1e6),
    "lambda_gb_s": Price(0.0000133334, 1, "GB-s (arm64)", "AWS Lambda pricing", free=400_000),
    "apigw": Price(3.50, 1e6, "requests (REST)", "Amazon API Gateway pricing"),
    "ddb_write": Price(0.625, 1e6, "write request units", "Amazon DynamoDB pricing (on-demand)"),
    "ddb_read": Price(0.125, 1e6, "read request units", "Amazon DynamoDB pricing (on-demand)"),
    "ddb_storage": Price(0.25, 1, "GB-month", "Amazon DynamoDB pricing", free=25),
    "ddb_pitr": Price(0.20, 1, "GB-month", "Amazon DynamoDB pricing (continuous backups)"),
    "scheduler": Price(1.00, 1e6, "invocations", "Amazon EventBridge pricing (Scheduler)", free=14e6),
    "sqs": Price(0.40, 1e6, "requests", "Amazon SQS pricing (standard)", free=1e6),
    "ssm": Price(0.0, 1, "call (standard parameters)", "AWS Systems Manager pricing (Parameter Store)"),
    "kms": Price(0.03, 10_000, "requests", "AWS Key Management Service pricing", free=20_000),
    "secrets_calls": Price(0.05, 10_000, "API calls", "AWS Secrets Manager pricing"),
    "sns": Price(0.50, 1e6, "publishes", "Amazon SNS pricing", free=1e6),
    "s3_put": Price(0.005, 1000, "PUT/COPY/POST/LIST", "Amazon S3 pricing"),
    "s3_get": Price(0.0004, 1000, "GET and others", "Amazon S3 pricing"),
    "logs_ingest": Price(0.50, 1, "GB ingested", "Amazon CloudWatch pricing (Logs)", free=5),
    "logs_storage": Price(0.03, 1, "GB-month stored", "Amazon CloudWatch pricing (Logs)"),
    "metrics": Price(0.30, 1, "metric-month (by the hour)", "Amazon CloudWatch pricing", free=10),
}
HOURS_PER_MONTH = 730
# Lambda's SQS event source mappings long-poll their queue while it is empty. AWS does not publish how
# many pollers an idle mapping keeps; taken here (as in docs/deploy.md) as 5 pollers with 20-second long
# polls: 5 x 3 a minute x 43,200 minutes = 648,000 ReceiveMessage requests a month per mapping.
IDLE_SQS_REQUESTS = len(EVENT_SOURCES) * 5 * 3 * 60 * 24 * 30

# How long an AWS call takes from a Lambda function in the same region (ms; DynamoDB is single-digit),
# and a call to the network (Bluesky's API from us-east-1): the model of a realistic duration.
AWS_CALL_MS = {"dynamodb": 6.0}
OTHER_AWS_CALL_MS = 15.0
NETWORK_CALL_MS = 150.0
# Lambda gives a function CPU in proportion to its memory: 1,769 MB is one vCPU.
FULL_VCPU_MB = 1769
# A container is taken to stay warm this long after its last invocation (AWS does not say; 5-15 min is
# what is observed): an invocation after a longer pause of its function is a cold start.
KEEP_WARM = timedelta(minutes=10)


# --- what was counted -----------------------------------------------------------------------------------


@dataclass
class Invocation:
    function: str
    at: datetime
    wall: float = 0.0
    cpu: float = 0.0
    slept: float = 0.0
    aws_calls: Counter[str] = field(default_factory=Counter)  # by service
    http_calls: int = 0
    log_bytes: int = 0
    log_events: int = 0
    emf_bytes: int = 0
    emf_events: int = 0
    access_log_bytes: int = 0  # API Gateway's access log line for this request (0: not behind the API)

    def log_line(self, line: str) -> None:
        size = len(line.encode("utf-8")) + LOG_EVENT_OVERHEAD
        if line.startswith('{"_aws"'):
            self.emf_bytes += size
            self.emf_events += 1
            METER.metric_line(self, line)
        else:
            self.log_bytes += size
            self.log_events += 1


class Meter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.on = False
        self.calls: Counter[tuple[str, str, str]] = Counter()  # (who, service, operation)
        self.units: defaultdict[tuple[str, str], float] = defaultdict(float)  # (who, "read"/"write"/...)
        self.table_units: defaultdict[tuple[str, str], float] = defaultdict(float)  # (table, kind)
        self.invocations: list[Invocation] = []
        self.fired: Counter[str] = Counter()  # schedules fired, by target function
        self.kms: Counter[str] = Counter()  # KMS requests made on the functions' behalf, by why
        self.series_hours: defaultdict[tuple[str, str, tuple[tuple[str, str], ...]], set[datetime]] = defaultdict(set)
        self.series_emissions: Counter[tuple[str, str, tuple[tuple[str, str], ...]]] = Counter()
        self.metering_errors: Counter[str] = Counter()

    def metering_error(self, what: str) -> None:
        if not self.metering_errors[what] and os.environ.get("COST_DEBUG"):
            import traceback

            traceback.print_exc(file=STDERR.real)
        self.metering_errors[what] += 1

    def who(self) -> str | None:
        who = current()
        if who is None or not self.on:
            return None
        return who.function if isinstance(who, Invocation) else str(who)

    def metric_line(self, invocation: Invocation, line: str) -> None:
        if not self.on:
            return
        try:
            blob = json.loads(line)
            hour = invocation.at.replace(minute=0, second=0, microsecond=0)
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                for dimensions in directive["Dimensions"]:
                    values = tuple(sorted((d, str(blob.get(d))) for d in dimensions))
                    for metric in directive["Metrics"]:
                        series = (directive["Namespace"], metric["Name"], values)
                        with self.lock:
                            self.series_hours[series].add(hour)
                            self.series_emissions[series] += 1
        except (ValueError, KeyError, TypeError):
            self.metering_errors["emf"] += 1


METER = Meter()


# --- DynamoDB request units, from moto's items ---------------------------------------------------------


def _table(name: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[aws.ACCOUNT][aws.REGION].tables.get(name)


def _item(table: Any, key: dict[str, Any]) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    return table.get_item(hash_key, range_key)


def _key_of(table: Any, item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in table.table_key_attrs}


@dataclass(frozen=True)
class ItemState:
    size: int
    indexes: dict[str, tuple[str, str, int]]  # index -> (its key, its projection, projection size)


def _state(table: Any, key: dict[str, Any]) -> ItemState:
    item = _item(table, key)
    if item is None:
        return ItemState(0, {})
    indexes = {}
    for index in [*table.global_indexes, *table.indexes]:
        if all(name in item.attrs for name in index.schema_key_attrs):
            projected = index.project(item)
            index_key = json.dumps([item.attrs[n].to_json() for n in index.schema_key_attrs], default=repr)
            body = json.dumps({k: v.to_json() for k, v in projected.attrs.items()}, sort_keys=True, default=repr)
            indexes[index.name] = (index_key, body, projected.size())
    return ItemState(item.size(), indexes)


def _write_units(before: ItemState, after: ItemState) -> tuple[float, float]:
    """(base table write units, index write units) of one write that turned `before` into `after`."""
    base = max(1, math.ceil(max(before.size, after.size) / 1024))
    index_units = 0.0
    for name in set(before.indexes) | set(after.indexes):
        old, new = before.indexes.get(name), after.indexes.get(name)
        if old == new:
            continue
        size_units = max(1, math.ceil(max(old[2] if old else 0, new[2] if new else 0) / 1024))
        moved = old is not None and new is not None and old[0] != new[0]
        index_units += size_units * (2 if moved else 1)
    return base, index_units


def _writes(operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any], int]]:
    """(table, key, factor) of each item a write operation touches."""
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        table = _table(params["TableName"])
        key = params["Key"] if "Key" in params else _key_of(table, params["Item"])
        return [(params["TableName"], key, 1)]
    if operation == "TransactWriteItems":
        found = []
        for entry in params["TransactItems"]:
            ((_, body),) = entry.items()
            table = _table(body["TableName"])
            key = body["Key"] if "Key" in body else _key_of(table, body["Item"])
            found.append((body["TableName"], key, 2))
        return found
    if operation == "BatchWriteItem":
        found = []
        for name, requests_ in params["RequestItems"].items():
            table = _table(name)
            for request in requests_:
                if "PutRequest" in request:
                    found.append((name, _key_of(table, request["PutRequest"]["Item"]), 1))
                else:
                    found.append((name, request["DeleteRequest"]["Key"], 1))
        return found
    return []


def _read_units(operation: str, params: dict[str, Any], response: dict[str, Any]) -> list[tuple[str, float]]:
    """(table, read units) of a read operation, from the full size of the items it read."""

    def one(table_name: str, key: dict[str, Any], consistent: bool, factor: float = 1) -> tuple[str, float]:
        item = _item(_table(table_name), key)
        size = item.size() if item is not None else 0
        return table_name, factor * max(1, math.ceil(size / 4096)) * (1 if consistent else 0.5)

    if operation == "GetItem":
        return [one(params["TableName"], params["Key"], bool(params.get("ConsistentRead")))]
    if operation == "BatchGetItem":
        return [
            one(name, key, bool(request.get("ConsistentRead")))
            for name, request in params["RequestItems"].items()
            for key in request["Keys"]
        ]
    if operation == "TransactGetItems":
        return [one(e["Get"]["TableName"], e["Get"]["Key"], True, factor=2) for e in params["TransactItems"]]
    if operation == "Query":
        table = _table(params["TableName"])
        index = None
        if params.get("IndexName"):
            index = next(i for i in [*table.global_indexes, *table.indexes] if i.name == params["IndexName"])
        total = 0
        items = response.get("Items", [])
        for returned in items:
            item = _item(table, _key_of(table, returned))
            if item is not None:
                total += (index.project(item) if index is not None else item).size()
        scanned = int(response.get("ScannedCount", len(items)))
        if scanned > len(items):  # a filter dropped some: they were read all the same
            total += (total // len(items) if items else 200) * (scanned - len(items))
        consistent = bool(params.get("ConsistentRead")) and index is None
        return [(params["TableName"], max(1, math.ceil(total / 4096)) * (1 if consistent else 0.5))]
    return []


# --- the hooks -----------------------------------------------------------------------------------------

_make_api_call = botocore.client.BaseClient._make_api_call
# Calls of the local runtime's stand-ins that AWS does not bill, or that exist only here.
NOT_BILLED = {("scheduler", "DeleteSchedule"), ("sqs", "GetQueueUrl")}
SERVICE_LABELS = {"lambda-esm", "scheduler-service", "lambda-async"}


def _metered_api_call(client: Any, operation: str, params: dict[str, Any]) -> Any:
    who = METER.who()
    if who is None:
        return _make_api_call(client, operation, params)
    service = client.meta.service_model.service_name
    if who in SERVICE_LABELS and (service, operation) in NOT_BILLED:
        return _make_api_call(client, operation, params)
    writes: list[tuple[str, dict[str, Any], int, ItemState]] = []
    if service == "dynamodb":
        try:
            writes = [(t, k, f, _state(_table(t), k)) for t, k, f in _writes(operation, params)]
        except Exception:
            METER.metering_error(f"dynamodb {operation}")
    error: ClientError | None = None
    try:
        response = _make_api_call(client, operation, params)
    except ClientError as exc:
        error, response = exc, exc.response
    with METER.lock:
        METER.calls[(who, service, operation)] += 1
    invocation = current_invocation()
    if invocation is not None and isinstance(current(), Invocation):
        invocation.aws_calls[service] += 1
    try:
        _units(who, service, operation, params, response, writes, failed=error is not None)
    except Exception:
        METER.metering_error(f"{service} {operation}")
    if error is not None:
        raise error
    return response


def _units(
    who: str,
    service: str,
    operation: str,
    params: dict[str, Any],
    response: dict[str, Any],
    writes: list[tuple[str, dict[str, Any], int, ItemState]],
    *,
    failed: bool,
) -> None:
    if service == "dynamodb":
        for table_name, key, factor, before in writes:
            after = before if failed else _state(_table(table_name), key)
            base, index_units = _write_units(before, after)
            with METER.lock:
                METER.units[(who, "write")] += base * factor
                METER.units[(who, "index write")] += index_units
                METER.table_units[(table_name, "write")] += base * factor + index_units
        if not failed:
            for table_name, read in _read_units(operation, params, response):
                with METER.lock:
                    METER.units[(who, "read")] += read
                    METER.table_units[(table_name, "read")] += read
    # SecureStrings are encrypted and decrypted with the AWS-managed key aws/ssm: a KMS request each.
    secure = response.get("Parameter", {}).get("Type") == "SecureString"
    if service == "ssm" and not failed and operation == "GetParameter" and params.get("WithDecryption") and secure:
        METER.kms["ssm decrypt"] += 1
    if service == "ssm" and not failed and operation == "PutParameter" and params.get("Type") == "SecureString":
        METER.kms["ssm encrypt"] += 1
    if service == "secretsmanager" and operation == "GetSecretValue" and not failed:
        METER.kms["secretsmanager decrypt"] += 1


_send = requests.Session.send


def _metered_send(session: requests.Session, request: Any, **kwargs: Any) -> Any:
    invocation = current_invocation()
    if invocation is not None and METER.on:
        invocation.http_calls += 1
    return _send(session, request, **kwargs)


class MeteredClock(ManualClock):
    def sleep(self, seconds: float) -> None:
        invocation = current_invocation()
        if invocation is not None and seconds > 0:
            invocation.slept += seconds
        super().sleep(seconds)


class MeteredRegistry(FunctionRegistry):
    def invoke(self, function: str, event: Any, *, clock: Any, request_id: str | None = None) -> Any:
        counted = METER.on  # setup's invocations are run the same way (their logs kept out of sight), not kept
        invocation = Invocation(function, clock.now())
        started, cpu = time.perf_counter(), time.thread_time()
        result: Any = None
        try:
            with acting_as(invocation):
                result = super().invoke(function, event, clock=clock, request_id=request_id)
            return result
        finally:
            invocation.wall = time.perf_counter() - started
            invocation.cpu = time.thread_time() - cpu
            STDOUT.end_invocation(invocation)
            STDERR.end_invocation(invocation)
            if isinstance(event, dict) and "requestContext" in event and "httpMethod" in event:
                invocation.access_log_bytes = _access_log_bytes(event, result)
            if counted:
                with METER.lock:
                    METER.invocations.append(invocation)


def _access_log_bytes(event: dict[str, Any], result: Any) -> int:
    """The stage's access log line (infra/parley_cdk/api.py: JSON with the standard fields, no caller/user)."""
    result = result if isinstance(result, dict) else {}
    line = {
        "requestId": str(uuid.uuid4()),
        "ip": "203.0.113.10",
        "requestTime": "06/Dec/2026:15:46:59 +0000",
        "httpMethod": event.get("httpMethod"),
        "resourcePath": event.get("resource"),
        "status": str(result.get("statusCode", 502)),
        "protocol": "HTTP/1.1",
        "responseLength": str(len(str(result.get("body") or ""))),
    }
    return len(json.dumps(line, separators=(",", ":"))) + LOG_EVENT_OVERHEAD


def install_hooks(runtime: LocalRuntime) -> None:
    botocore.client.BaseClient._make_api_call = _metered_api_call  # type: ignore[method-assign]
    requests.Session.send = _metered_send  # type: ignore[method-assign,assignment]
    firer = runtime.firer

    def labelled(label: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            with acting_as(label):
                return method(*args, **kwargs)

        return run

    firer._poll_event_sources = labelled("lambda-esm", firer._poll_event_sources)  # type: ignore[method-assign]
    firer._fire_due_schedules = labelled("scheduler-service", firer._fire_due_schedules)  # type: ignore[method-assign]
    firer._run_due_invocations = labelled("lambda-async", firer._run_due_invocations)  # type: ignore[method-assign]
    hand_over = firer._hand_over

    def counted_hand_over(schedule: dict[str, Any], target: dict[str, Any], target_arn: str, *args: Any) -> None:
        if METER.on:
            METER.fired[runtime.functions.name_of(target_arn) or target_arn] += 1
        hand_over(schedule, target, target_arn, *args)

    firer._hand_over = counted_hand_over  # type: ignore[method-assign,assignment]


# --- driving the runtime ------------------------------------------------------------------------------


def next_event(runtime: LocalRuntime) -> datetime | None:
    """The earliest moment something is due: a schedule, a retry, a queue message becoming visible."""
    times: list[datetime] = []
    firer = runtime.firer
    for schedule in aws.in_process_schedules():
        if schedule.get("State") != "ENABLED" or _schedule_key(schedule) in firer._completed:
            continue
        at = parse_at(str(schedule.get("ScheduleExpression", "")), schedule.get("ScheduleExpressionTimezone"))
        if at is not None:
            times.append(at)
    times += [p.due_at for p in firer.pending]
    for queue in EVENT_SOURCES:
        found = aws.in_process_queue(physical_name(queue))
        for message in list(found._messages) if found is not None else []:
            visible_ms = max(message.visible_at, message.delayed_until)
            times.append(datetime.fromtimestamp(visible_ms / 1000, UTC))
    return min(times) if times else None


def drive(runtime: LocalRuntime, clock: ManualClock, on_step: Callable[[], None]) -> int:
    """Run everything to its end, jumping the clock to each next event; the number of steps."""
    steps = 0
    while True:
        runtime.firer.run_due()
        on_step()
        due = next_event(runtime)
        if due is None:
            return steps
        now = clock.now()
        clock.set(max(due, now + timedelta(milliseconds=1)) if due > now else now + timedelta(seconds=1))
        steps += 1


# --- the run -----------------------------------------------------------------------------------------


@dataclass
class Run:
    posts: int
    channels: int
    published: int
    reacted: int
    inbox: int
    clock_span: timedelta
    wall_seconds: float
    steps: int
    stored_bytes: int
    stored_items: int


def bench(args: argparse.Namespace) -> Run:
    ensure_installed("full")
    work = Path(tempfile.mkdtemp(prefix="parley-cost-"))
    accounts = [(f"cost{i:02d}.test", f"cost-pass-{i:02d}") for i in range(args.channels)]
    accounts += [("fan-a.test", "fan-a-pass-0001"), ("fan-b.test", "fan-b-pass-0001")]
    network = BlueskyNetwork("full", work / "bluesky", accounts)
    network.start(timeout=240)
    allow_outbound(network.pds_url, network.appview_url or "")
    clock = MeteredClock(datetime.now(UTC).replace(microsecond=0))
    # No periodic snapshot: saving moto's whole state every 2 s would take most of the run's CPU.
    runtime = LocalRuntime(
        work / "state", clock, firer_thread=False, functions=MeteredRegistry(), snapshot_interval_seconds=1e9
    )
    import logging

    logging.getLogger("parley.local").setLevel(logging.WARNING)
    started = time.monotonic()
    try:
        runtime.start()
        install_hooks(runtime)
        from parley.store import DeliveryRecord
        from parley.team import tokens

        issued = tokens.create_workspace("Cost", "Ada")
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {issued.token}"
        channels = []
        for account in network.accounts[: args.channels]:
            body: dict[str, Any] = {
                "identifier": account.handle,
                "app_password": account.password,
                "service_url": network.pds_url,
            }
            answer = api.post(f"{runtime.api_url}/channels", json=body, timeout=60)
            answer.raise_for_status()
            channels.append((answer.json()["id"], account))
        fans = [audience.Person(network.pds_url, a.handle, a.password) for a in network.accounts[args.channels :]]

        runtime.firer.run_due()  # setup's own work (S3's test event to the media queue) is not counted
        METER.on = True  # from here on: the posts, their publishing and their week
        start = clock.now()
        first_due = start + timedelta(minutes=15)
        queued: list[tuple[str, str, int, datetime]] = []
        for i in range(args.posts):
            channel_id, _ = channels[i % len(channels)]
            due = first_due + timedelta(minutes=args.interval_minutes * i)
            text = f"Cost bench post {i}: what we shipped this week"
            if i % 2 == 0:
                text += f" https://example.com/notes/{i}?ref=cost"
            body = {"text": text, "channels": [channel_id], "publish_at": due.isoformat()}
            headers = {"Idempotency-Key": uuid.uuid4().hex}
            answer = api.post(f"{runtime.api_url}/posts", json=body, headers=headers, timeout=60)
            if answer.status_code != 201:
                raise RuntimeError(f"POST /posts answered {answer.status_code}: {answer.text}")
            queued.append((answer.json()["id"], channel_id, i, due))

        reacted: set[str] = set()
        handles = {channel_id: account.handle for channel_id, account in channels}
        to_react = [
            (post_id, channel_id, i, due) for post_id, channel_id, i, due in queued if i % args.react_every == 0
        ]

        def react_to_new() -> None:
            for post_id, channel_id, i, due in to_react:
                if post_id in reacted or due > clock.now():
                    continue
                delivery = DeliveryRecord.get(post_id, channel_id)
                if delivery.state != "published" or not delivery.remote_id:
                    continue
                reacted.add(post_id)
                root = audience.post_ref(network.pds_url, delivery.remote_id)
                audience.react(root, handles[channel_id], fans[0], fans[1], mood="happy" if i % 3 else "angry")
                time.sleep(0.7)  # the AppView indexes within ~0.6 s; the first poll is 2 minutes later

        steps = drive(runtime, clock, react_to_new)
        METER.on = False
        records = [DeliveryRecord.get(post_id, channel_id) for post_id, channel_id, _, _ in queued]
        published = sum(1 for r in records if r.state == "published")
        from parley.store import InboxRecord

        inbox = sum(1 for _ in InboxRecord.query(issued.workspace_id))
        stored_bytes, stored_items = _stored()
        return Run(
            posts=args.posts,
            channels=len(channels),
            published=published,
            reacted=len(reacted),
            inbox=inbox,
            clock_span=clock.now() - start,
            wall_seconds=time.monotonic() - started,
            steps=steps,
            stored_bytes=stored_bytes,
            stored_items=stored_items,
        )
    finally:
        METER.on = False
        runtime.stop()
        network.stop()
        shutil.rmtree(work, ignore_errors=True)


def _stored() -> tuple[int, int]:
    """Bytes DynamoDB would bill as stored (each item's size + 100 bytes, and each index entry's), all
    tables, at the end (the workspace and its channels included: a few KB)."""
    from moto.dynamodb.models import dynamodb_backends

    total = items = 0
    for table in dynamodb_backends[aws.ACCOUNT][aws.REGION].tables.values():
        for item in table.all_items():
            items += 1
            total += item.size() + 100
            for index in [*table.global_indexes, *table.indexes]:
                if all(name in item.attrs for name in index.schema_key_attrs):
                    total += index.project(item).size() + 100
    return total, items


# --- cold starts -------------------------------------------------------------------------------------


def cold_import_seconds(function: str) -> float:
    """A fresh interpreter importing the handler, as Lambda's init does (median of 3, after one to warm
    the bytecode cache)."""
    snippet = (
        f"import time; t = time.perf_counter(); import functions.{function}.handler; print(time.perf_counter() - t)"
    )
    env = os.environ | {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "core" / "python"), str(ROOT)]),
    }
    runs = []
    for _ in range(4):
        out = subprocess.run(
            [sys.executable, "-c", snippet], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120
        )
        runs.append(float(out.stdout.decode().strip().splitlines()[-1]))
    return sorted(runs[1:])[1]


def cold_fraction(per_thousand: float) -> float:
    """The share of a function's invocations that find no warm container, at 1,000 posts a month: its
    invocations come at random (Poisson) at per_thousand / 730 an hour, and one that comes more than
    KEEP_WARM after the one before is cold."""
    per_hour = per_thousand / HOURS_PER_MONTH
    return math.exp(-per_hour * KEEP_WARM.total_seconds() / 3600)


# --- the report ---------------------------------------------------------------------------------------


@dataclass
class Line:
    item: str
    count: float
    unit: str
    price: Price
    note: str = ""

    @property
    def cost(self) -> float:
        return self.price.cost(self.count)


def modelled_ms(invocation: Invocation, memory_mb: int) -> float:
    cpu_factor = max(1.0, FULL_VCPU_MB / memory_mb)
    calls = sum(n * AWS_CALL_MS.get(service, OTHER_AWS_CALL_MS) for service, n in invocation.aws_calls.items())
    return (
        invocation.cpu * 1000 * cpu_factor + calls + invocation.http_calls * NETWORK_CALL_MS + invocation.slept * 1000
    )


def report(run: Run, args: argparse.Namespace) -> None:
    from infra.parley_cdk.settings import FUNCTIONS

    memory = {function.value: FUNCTIONS[function].memory_mb for function in Function}
    scale = 1000 / run.posts
    invocations = METER.invocations
    by_function: defaultdict[str, list[Invocation]] = defaultdict(list)
    for invocation in invocations:
        by_function[invocation.function].append(invocation)
    cold = {f: len(done) * cold_fraction(len(done) * scale) for f, done in by_function.items()}
    init_s = {function: cold_import_seconds(function) for function in by_function}

    print()
    print(
        f"{run.posts} posts on {run.channels} channels, one every {args.interval_minutes:g} min; "
        f"{run.published} published, {run.reacted} with an audience, {run.inbox} inbox items; "
        f"clock {run.clock_span.days} d {run.clock_span.seconds // 3600} h in {run.steps} steps, "
        f"{run.wall_seconds:.0f} s of wall time"
    )
    if METER.metering_errors:
        print(f"metering errors (calls not priced): {dict(METER.metering_errors)}")

    print()
    print("Per function, per 1,000 posts (durations per invocation: measured here | modelled for AWS)")
    header = (
        f"{'function':<12}{'MB':>5}{'invocations':>12}{'cold':>7}{'AWS calls':>10}{'RRU':>6}{'WRU':>6}"
        f"{'net calls':>10}{'wall ms':>8}{'cpu ms':>7}{'slept ms':>9}{'model ms':>9}{'GB-s model':>11}"
    )
    print(header)
    gb_s_model = gb_s_wall = gb_s_init = 0.0
    for function, done in sorted(by_function.items(), key=lambda kv: -len(kv[1])):
        mb = memory[function]
        n = len(done)
        model = [modelled_ms(i, mb) for i in done]
        billed_model = sum(math.ceil(ms) for ms in model) / 1000 * mb / 1024
        billed_wall = sum(math.ceil(i.wall * 1000) for i in done) / 1000 * mb / 1024
        init = cold[function] * init_s[function] * max(1.0, FULL_VCPU_MB / mb) * mb / 1024
        gb_s_model += billed_model
        gb_s_wall += billed_wall
        gb_s_init += init
        rru = METER.units[(function, "read")] / n
        wru = (METER.units[(function, "write")] + METER.units[(function, "index write")]) / n
        print(
            f"{function:<12}{mb:>5}{n * scale:>12,.0f}{cold[function] * scale:>7,.0f}"
            f"{sum(sum(i.aws_calls.values()) for i in done) / n:>10.1f}{rru:>6.1f}{wru:>6.1f}"
            f"{sum(i.http_calls for i in done) / n:>10.1f}"
            f"{sum(i.wall for i in done) / n * 1000:>8.0f}{sum(i.cpu for i in done) / n * 1000:>7.0f}"
            f"{sum(i.slept for i in done) / n * 1000:>9.0f}{sum(model) / n:>9.0f}{billed_model * scale:>11,.0f}"
        )
    print(
        "per invocation: AWS calls, DynamoDB read and write units (index writes included), calls to the network,"
        " wall and CPU time here, time slept;\nmodel ms = CPU x (1,769 MB / memory) + 6 ms a DynamoDB call + 15 ms"
        f" another AWS call + {NETWORK_CALL_MS:.0f} ms a network call + time slept, billed by the ms at the memory"
    )
    print(
        f"cold: invocations at 1,000 posts a month (at random) after > {KEEP_WARM.seconds // 60} min without one; "
        "init = a fresh import of its handler here "
        f"({', '.join(f'{f} {s * 1000:.0f} ms' for f, s in sorted(init_s.items()))}) x the CPU factor"
    )

    print()
    print("AWS calls per 1,000 posts, by service and operation (who: the function or the service acting for it)")
    by_op: Counter[tuple[str, str]] = Counter()
    for (_, service, operation), n in METER.calls.items():
        by_op[(service, operation)] += n
    for (service, operation), n in sorted(by_op.items()):
        whos = Counter({who: m for (who, s, o), m in METER.calls.items() if (s, o) == (service, operation)})
        detail = ", ".join(f"{who} {m * scale:,.0f}" for who, m in whos.most_common())
        print(f"  {service:<15}{operation:<26}{n * scale:>10,.0f}   ({detail})")
    print("DynamoDB request units per 1,000 posts, by table")
    tables = sorted({t for t, _ in METER.table_units})
    for table in tables:
        read, write = METER.table_units[(table, "read")], METER.table_units[(table, "write")]
        print(f"  {table:<28} reads {read * scale:>9,.0f}   writes {write * scale:>9,.0f}")

    # The lines of the bill.
    calls: Counter[str] = Counter()
    for (_, service, _), n in METER.calls.items():
        calls[service] += n
    lambda_requests = len(invocations)
    api_requests = sum(1 for i in invocations if i.access_log_bytes)
    log_bytes = sum(i.log_bytes + i.emf_bytes + i.access_log_bytes for i in invocations)
    log_bytes += lambda_requests * (PLATFORM_LOG_BYTES + PLATFORM_LOG_EVENTS * LOG_EVENT_OVERHEAD)
    s3 = Counter({op: n for (_, s, op), n in METER.calls.items() if s == "s3"})
    s3_get = sum(n for op, n in s3.items() if op.startswith(("Get", "Head")))
    reads = sum(v for (who, kind), v in METER.units.items() if kind == "read")
    writes = sum(v for (who, kind), v in METER.units.items() if kind in ("write", "index write"))
    lines = [
        Line("Lambda requests", lambda_requests, "invocations", PRICES["lambda_requests"]),
        Line("Lambda compute (modelled durations)", gb_s_model, "GB-s", PRICES["lambda_gb_s"]),
        Line("Lambda init of cold starts (billed since Aug 2025)", gb_s_init, "GB-s", PRICES["lambda_gb_s"]),
        Line("API Gateway REST requests", api_requests, "requests", PRICES["apigw"]),
        Line("DynamoDB writes", writes, "WRU", PRICES["ddb_write"]),
        Line("DynamoDB reads", reads, "RRU", PRICES["ddb_read"]),
        Line("EventBridge Scheduler (schedules fired)", sum(METER.fired.values()), "invocations", PRICES["scheduler"]),
        Line("SQS requests", calls["sqs"], "requests", PRICES["sqs"]),
        Line("SSM Parameter Store calls", calls["ssm"], "calls", PRICES["ssm"]),
        Line("KMS requests (SecureString gets and puts)", sum(METER.kms.values()), "requests", PRICES["kms"]),
        Line("Secrets Manager calls", calls["secretsmanager"], "calls", PRICES["secrets_calls"]),
        Line("SNS publishes (listening alerts)", calls["sns"], "publishes", PRICES["sns"]),
        Line("S3 GET/HEAD requests", s3_get, "requests", PRICES["s3_get"]),
        Line("S3 PUT/COPY/POST/LIST requests", sum(s3.values()) - s3_get, "requests", PRICES["s3_put"]),
        Line("CloudWatch Logs ingestion", log_bytes / 1e9, "GB", PRICES["logs_ingest"]),
        Line("CloudWatch Logs storage (30 days kept)", log_bytes / 1e9, "GB-month", PRICES["logs_storage"]),
    ]
    # Custom metrics: billed per metric and hour with data, not per post. At 1,000 posts a month spread
    # over its 730 hours, a series emitted E times (per 1,000 posts) has data in about 730(1 - e^(-E/730))
    # of them.
    metric_rows = []
    metric_months = 0.0
    for series, emitted in sorted(METER.series_emissions.items(), key=lambda kv: -kv[1]):
        per_k = emitted * scale
        hours = HOURS_PER_MONTH * (1 - math.exp(-per_k / HOURS_PER_MONTH))
        metric_months += hours / HOURS_PER_MONTH
        metric_rows.append((series, per_k, hours))
    lines.append(
        Line(
            f"CloudWatch custom metrics ({len(metric_rows)} series)",
            metric_months,
            "metric-months",
            PRICES["metrics"],
        )
    )
    stored_gb = run.stored_bytes * scale / 1e9
    ongoing = [
        Line("DynamoDB storage added (kept)", stored_gb, "GB-month", PRICES["ddb_storage"]),
        Line("DynamoDB point-in-time recovery of it", stored_gb, "GB-month", PRICES["ddb_pitr"]),
    ]

    print()
    print(
        f"Cost of 1,000 posts with their week of listening, us-east-1 list prices as of {PRICES_AS_OF}; last "
        "column: within the always-free allowances, were these posts the month's only use"
    )
    print(f"{'item':<50}{'per 1,000 posts':>24}  {'unit price':<40}{'list':>9}{'free tier':>11}")
    total = total_free = 0.0
    # What the always-free allowances leave (account-wide, monthly). SQS's first million requests go to
    # the idle event source pollers (IDLE_SQS_REQUESTS a month) before any post is made.
    left = {id(price): price.free for price in PRICES.values()}
    left[id(PRICES["sqs"])] = max(0.0, PRICES["sqs"].free - IDLE_SQS_REQUESTS)
    for line in lines:
        count = line.count * scale if line.price is not PRICES["metrics"] else line.count
        cost = line.price.cost(count)
        billed = max(0.0, count - left[id(line.price)])
        left[id(line.price)] = max(0.0, left[id(line.price)] - count)
        free_cost = line.price.cost(billed)
        total += cost
        total_free += free_cost
        print(
            f"{line.item:<50}{_fmt(count):>13} {line.unit:<10}  {line.price.label():<40}"
            f"{_usd(cost):>9}{_usd(free_cost):>11}"
        )
    print(f"{'total':<50}{'':>24}  {'':<40}{_usd(total):>9}{_usd(total_free):>11}")
    goal = 0.50
    print(
        f"goal <= ${goal:.2f} per 1,000 posts: at list price {'met' if total <= goal else 'NOT met'}"
        f" (${total:.2f}); within the free tier {'met' if total_free <= goal else 'NOT met'} (${total_free:.2f})"
    )
    print("and each month the posts' data is kept (it grows by this every month of 1,000 posts):")
    for line in ongoing:
        print(f"{line.item:<50}{_fmt(line.count):>13} {line.unit:<10}  {line.price.label():<40}{_usd(line.cost):>9}")
    print(
        f"  ({run.stored_items} items, {run.stored_bytes / 1024:,.0f} KB for {run.posts} posts: "
        f"{run.stored_bytes / run.posts / 1024:.1f} KB a post, indexes included; the first 25 GB are free)"
    )

    print()
    print("Lambda compute as measured here instead (moto and the local network inflate it):")
    wall_cost = PRICES["lambda_gb_s"].cost(gb_s_wall * scale)
    print(f"  {gb_s_wall * scale:,.0f} GB-s -> {_usd(wall_cost)} (modelled: {gb_s_model * scale:,.0f} GB-s)")
    print()
    print(
        "Custom metric series (Parley namespace), emitted per 1,000 posts and the hours of a month they "
        "would have data in at 1,000 posts a month:"
    )
    for (namespace, name, dims), per_k, hours in metric_rows:
        labels = ",".join(f"{d}={v}" for d, v in dims)
        print(f"  {namespace}/{name} [{labels}]  {per_k:,.0f} emitted  ~{hours:.0f} h")
    print()
    print(
        "Scheduler fired: "
        + ", ".join(f"{f} {n * scale:,.0f}" for f, n in METER.fired.most_common())
        + f"; KMS: {', '.join(f'{k} {n * scale:,.0f}' for k, n in METER.kms.items()) or 'none'}"
    )
    print("Prices: " + "; ".join(sorted({price.source for price in PRICES.values()})) + f" ({REGION}, {PRICES_AS_OF})")
    print(
        f"Log bytes per 1,000 posts: function logs {sum(i.log_bytes for i in invocations) * scale / 1e6:.1f} MB, "
        f"EMF {sum(i.emf_bytes for i in invocations) * scale / 1e6:.1f} MB, API access logs "
        f"{sum(i.access_log_bytes for i in invocations) * scale / 1e6:.2f} MB, Lambda platform records "
        f"(estimated {PLATFORM_LOG_BYTES} B each) {lambda_requests * PLATFORM_LOG_BYTES * scale / 1e6:.1f} MB"
    )


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 1:
        return f"{value:,.1f}"
    return f"{value:.4f}"


def _usd(value: float) -> str:
    return f"${value:.4f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--channels", type=int, default=5)
    parser.add_argument("--interval-minutes", type=float, default=43.2, help="between two posts' times")
    parser.add_argument("--react-every", type=int, default=5, help="every n-th post gets an audience")
    args = parser.parse_args()
    if args.posts < 1 or args.channels < 1 or args.react_every < 1:
        parser.error("--posts, --channels and --react-every must be at least 1")
    run = bench(args)
    report(run, args)
    if run.published != run.posts:
        print(f"only {run.published} of {run.posts} posts were published", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
