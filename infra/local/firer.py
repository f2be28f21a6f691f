"""The firer: what AWS does between events and moto does not.

- EventBridge Scheduler: fires due `at()` schedules into their target with the schedule's input,
  deletes them when `ActionAfterCompletion` is DELETE, and sends what it cannot hand over to the
  schedule's dead-letter queue. Optionally late (uniformly in a window) and twice, seeded.
- Lambda asynchronous invocation: retries after an error (1 then 2 minutes later, up to the
  function's maximum from `parley.shared.names.ASYNC_INVOKE`), then an on-failure destination record.
- SQS event source mappings (`parley.shared.names.EVENT_SOURCES`): batches of up to 10 visible messages,
  deleted on success, `batchItemFailures` honoured, none deleted when the function raises.

Time is the runtime clock's: `run_due()` does everything due at `clock.now()`, so tests advance a
`ManualClock` and call it; `start()` runs it every ~50 ms of wall time for the running runtime.

What Lambda holds durably is journaled (`journal`, when the runtime attaches one) before the firer goes
on: an invocation accepted (before the schedule that made it is deleted), one that ran (after it ran: one
cut short by a crash runs again, as Lambda may), a kept schedule that fired. `replay` applies those lines.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from parley.shared.clock import Clock
from parley.shared.names import (
    BATCH_SIZE,
    EVENT_SOURCES,
    Function,
    Queue,
    physical_name,
)

from . import aws
from .functions import FunctionRegistry
from .journal import Journal
from .lambda_events import failed_item_ids, on_failure_record, sqs_record, substitute_context

log = logging.getLogger("parley.local.firer")

LAMBDA_CONCURRENCY = 32  # concurrent invocations side by side (a publish waits out its last second or two)
MAX_PASSES = 1000  # run_due gives up (loudly) when handlers keep feeding each other


@dataclass
class PendingInvocation:
    """An asynchronous invocation waiting for its turn (the first attempt, or a retry)."""

    function: str
    event: Any
    due_at: datetime
    attempt: int
    request_id: str

    def to_json(self) -> dict[str, Any]:
        return {
            "function": self.function,
            "event": self.event,
            "due_at": self.due_at.isoformat(),
            "attempt": self.attempt,
            "request_id": self.request_id,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingInvocation:
        return cls(
            function=data["function"],
            event=data["event"],
            due_at=datetime.fromisoformat(data["due_at"]),
            attempt=int(data["attempt"]),
            request_id=data["request_id"],
        )


def _same(a: PendingInvocation, b: PendingInvocation) -> bool:
    return (a.request_id, a.attempt) == (b.request_id, b.attempt)


def parse_at(expression: str, timezone: str | None) -> datetime | None:
    """The moment of an `at(yyyy-mm-ddThh:mm:ss)` expression in its time zone; None for rate/cron."""
    expression = expression.strip()
    if not (expression.startswith("at(") and expression.endswith(")")):
        return None
    local = datetime.fromisoformat(expression[3:-1])
    return local.replace(tzinfo=ZoneInfo(timezone or "UTC"))


def _schedule_key(schedule: dict[str, Any]) -> str:
    target = schedule.get("Target") or {}
    return "|".join(
        [
            str(schedule.get("Arn")),
            str(schedule.get("ScheduleExpression")),
            str(schedule.get("ScheduleExpressionTimezone")),
            str(target.get("Arn")),
            str(target.get("Input")),
        ]
    )


class Firer:
    def __init__(
        self,
        clock: Clock,
        functions: FunctionRegistry,
        seed: int,
        late_window_seconds: float = 0,
        duplicate_rate: float = 0,
        *,
        endpoint_url: str | None = None,
        account: str = aws.ACCOUNT,
        region: str = aws.REGION,
        tick_seconds: float = 0.15,
    ) -> None:
        if late_window_seconds < 0 or not 0 <= duplicate_rate <= 1:
            raise ValueError("late_window_seconds must be >= 0 and duplicate_rate within [0, 1]")
        self.clock = clock
        self.functions = functions
        self.seed = seed
        self.late_window_seconds = late_window_seconds
        self.duplicate_rate = duplicate_rate
        self.account = account
        self.region = region
        self.endpoint_url = endpoint_url
        self._tick_seconds = tick_seconds
        self._lock = threading.RLock()
        self._pending: list[PendingInvocation] = []
        self._completed: set[str] = set()  # fired schedules that stay (ActionAfterCompletion NONE)
        self._version = 0
        self._warned: set[str] = set()
        self._queue_urls: dict[str, str] = {}
        self._clients: dict[str, Any] = {}
        self._thread: threading.Thread | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._stop = threading.Event()
        self.journal: Journal | None = None

    # --- state that must survive a restart ---------------------------------------------------

    @property
    def version(self) -> int:
        """Grows whenever the state in `export_state()` changes."""
        with self._lock:
            return self._version

    def export_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "pending": [p.to_json() for p in self._pending],
                "completed_schedules": sorted(self._completed),
            }

    def restore_state(self, state: dict[str, Any]) -> None:
        with self._lock:
            self._pending = [PendingInvocation.from_json(p) for p in state.get("pending", [])]
            self._completed = set(state.get("completed_schedules", []))
            self._version += 1

    def replay(self, entry: dict[str, Any]) -> bool:
        """Apply a journal line of the firer's; False when the state already had it."""
        kind = entry.get("k")
        with self._lock:
            if kind == "invoke":
                invocation = PendingInvocation.from_json(entry["p"])
                if any(_same(p, invocation) for p in self._pending):
                    return False
                self._pending.append(invocation)
            elif kind == "ran":
                ran = [p for p in self._pending if (p.request_id, p.attempt) == (entry["id"], entry["attempt"])]
                if not ran:
                    return False
                self._pending = [p for p in self._pending if p not in ran]
            elif kind == "completed" and entry["key"] not in self._completed:
                self._completed.add(entry["key"])
            else:
                return False
            self._version += 1
            return True

    def _record(self, entry: dict[str, Any]) -> None:
        if self.journal is not None:
            self.journal.record(entry)

    def _add_pending(self, invocation: PendingInvocation) -> None:
        self._pending.append(invocation)
        self._version += 1
        self._record({"k": "invoke", "p": invocation.to_json()})

    @property
    def pending(self) -> list[PendingInvocation]:
        with self._lock:
            return list(self._pending)

    # --- driving it ---------------------------------------------------------------------------

    def run_due(self) -> int:
        """Process everything due at the clock's current time until nothing more is; the number of
        function invocations made."""
        with self._lock:
            invocations = 0
            for _ in range(MAX_PASSES):
                aws.drop_expired_messages(self.account, self.region)
                fired = self._fire_due_schedules()
                ran = self._run_due_invocations()
                polled = self._poll_event_sources()
                invocations += ran + polled
                if not (fired or ran or polled):
                    return invocations
            raise RuntimeError(f"still busy after {MAX_PASSES} passes: do handlers keep feeding each other?")

    def start(self) -> None:
        """Run `run_due()` in the background every ~50 ms of wall time (the running runtime)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._pool = ThreadPoolExecutor(max_workers=LAMBDA_CONCURRENCY, thread_name_prefix="parley-lambda")
        self._thread = threading.Thread(target=self._loop, name="parley-firer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _loop(self) -> None:
        while not self._stop.wait(self._tick_seconds):
            try:
                self.run_due()
            except Exception:
                log.exception("firer pass failed")

    def invoke_async(self, function: Function | str, event: Any) -> str:
        """Queue an asynchronous invocation (Lambda's `InvocationType=Event`); returns its request id."""
        request_id = str(uuid.uuid4())
        with self._lock:
            self._add_pending(PendingInvocation(str(function), event, self.clock.now(), 1, request_id))
        return request_id

    # --- AWS clients --------------------------------------------------------------------------

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = aws.client(service, self.endpoint_url, self.region)
        return self._clients[service]

    def _queue_url(self, name: str) -> str | None:
        if name not in self._queue_urls:
            if aws.in_process_queue(name, self.account, self.region) is None:
                return None
            url = self._client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
            self._queue_urls[name] = url
        return self._queue_urls[name]

    def _warn_once(self, key: str, message: str, *args: Any) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message, *args)

    # --- EventBridge Scheduler ----------------------------------------------------------------

    def lateness(self, schedule_key: str) -> float:
        """Seconds this schedule fires after its time (seeded, the same on every run)."""
        if self.late_window_seconds <= 0:
            return 0.0
        return random.Random(f"{self.seed}|late|{schedule_key}").uniform(0, self.late_window_seconds)

    def delivers_twice(self, schedule_key: str) -> bool:
        if self.duplicate_rate <= 0:
            return False
        return random.Random(f"{self.seed}|twice|{schedule_key}").random() < self.duplicate_rate

    def _fire_due_schedules(self) -> bool:
        now = self.clock.now()
        schedules = aws.in_process_schedules(self.account, self.region)
        keys = {_schedule_key(s) for s in schedules}
        if self._completed - keys:
            self._completed &= keys
            self._version += 1
        due: list[tuple[datetime, str, datetime, dict[str, Any]]] = []
        for schedule in schedules:
            if schedule.get("State") != "ENABLED":
                continue
            expression = str(schedule.get("ScheduleExpression", ""))
            at = parse_at(expression, schedule.get("ScheduleExpressionTimezone"))
            if at is None:
                self._warn_once(expression, "only at() schedules fire locally; ignoring %s", expression)
                continue
            key = _schedule_key(schedule)
            if key in self._completed:
                continue
            fire_at = at + timedelta(seconds=self.lateness(key))
            if fire_at <= now:
                due.append((fire_at, key, at, schedule))
        due.sort(key=lambda d: (d[0], d[1]))
        for _, key, at, schedule in due:
            self._fire(schedule, key, at)
        return bool(due)

    def _fire(self, schedule: dict[str, Any], key: str, at: datetime) -> None:
        target = schedule.get("Target") or {}
        target_arn = str(target.get("Arn", ""))
        times = 2 if self.delivers_twice(key) else 1
        for _ in range(times):
            execution_id = str(uuid.uuid4())
            payload = substitute_context(
                target.get("Input") or "{}",
                schedule_arn=str(schedule.get("Arn")),
                scheduled_time=aws.utc_iso(at).replace(".000Z", "Z"),
                execution_id=execution_id,
            )
            log.info("schedule %s fires into %s", schedule.get("Name"), target_arn)
            self._hand_over(schedule, target, target_arn, payload, at)
        if (schedule.get("ActionAfterCompletion") or "NONE") == "DELETE":
            aws.delete_quietly(
                self._client("scheduler").delete_schedule,
                Name=schedule["Name"],
                GroupName=schedule.get("GroupName") or "default",
            )
        else:
            self._completed.add(key)
            self._version += 1
            self._record({"k": "completed", "key": key})

    def _hand_over(
        self, schedule: dict[str, Any], target: dict[str, Any], target_arn: str, payload: str, at: datetime
    ) -> None:
        parts = target_arn.split(":")
        service = parts[2] if len(parts) > 2 else ""
        if service == "lambda":
            function = self.functions.name_of(target_arn)
            if function is None:
                self._dead_letter(
                    schedule, target_arn, payload, at, "ResourceNotFoundException", f"Function not found: {target_arn}"
                )
                return
            try:
                event = json.loads(payload)
            except ValueError:
                self._dead_letter(
                    schedule,
                    target_arn,
                    payload,
                    at,
                    "InvalidRequestContentException",
                    "Could not parse request body into json",
                )
                return
            self.invoke_async(function, event)
            return
        if service == "sqs" and len(parts) == 6:
            url = self._queue_url(parts[5])
            if url is None:
                self._dead_letter(
                    schedule,
                    target_arn,
                    payload,
                    at,
                    "AWS.SimpleQueueService.NonExistentQueue",
                    f"The specified queue does not exist: {target_arn}",
                )
                return
            kwargs: dict[str, Any] = {"QueueUrl": url, "MessageBody": payload}
            group_id = (target.get("SqsParameters") or {}).get("MessageGroupId")
            if group_id:
                kwargs["MessageGroupId"] = group_id
            self._client("sqs").send_message(**kwargs)
            return
        self._dead_letter(
            schedule,
            target_arn,
            payload,
            at,
            "ValidationException",
            f"The local runtime cannot invoke target {target_arn}",
        )

    def _dead_letter(
        self, schedule: dict[str, Any], target_arn: str, payload: str, at: datetime, code: str, message: str
    ) -> None:
        """What Scheduler does when it cannot hand an event over: the input, with attributes saying why,
        to the schedule's dead-letter queue (non-retryable errors are not retried)."""
        dlq_arn = ((schedule.get("Target") or {}).get("DeadLetterConfig") or {}).get("Arn")
        log.warning("schedule %s: %s (%s)", schedule.get("Name"), message, code)
        if not dlq_arn:
            log.error("schedule %s has no dead-letter queue: its event is lost", schedule.get("Name"))
            return
        url = self._queue_url(str(dlq_arn).split(":")[-1])
        if url is None:
            log.error("dead-letter queue %s does not exist: the event of %s is lost", dlq_arn, schedule.get("Name"))
            return

        def attribute(value: str) -> dict[str, str]:
            return {"DataType": "String", "StringValue": value}

        self._client("sqs").send_message(
            QueueUrl=url,
            MessageBody=payload,
            MessageAttributes={
                "ERROR_CODE": attribute(code),
                "ERROR_MESSAGE": attribute(message),
                "EXHAUSTED_RETRY_CONDITION": attribute("NonRetryableError"),
                "INVOCATION_TIME": attribute(aws.utc_iso(self.clock.now())),
                "RETRY_ATTEMPTS": attribute("0"),
                "SCHEDULED_TIME": attribute(aws.utc_iso(at)),
                "SCHEDULE_ARN": attribute(str(schedule.get("Arn"))),
                "TARGET_ARN": attribute(target_arn),
            },
        )

    # --- Lambda asynchronous invocation -------------------------------------------------------

    def _run_due_invocations(self) -> int:
        ran = 0
        while True:
            now = self.clock.now()
            due = sorted((p for p in self._pending if p.due_at <= now), key=lambda p: p.due_at)
            if not due:
                return ran
            invocation = due[0]
            self._pending.remove(invocation)
            self._version += 1
            self._run_async(invocation)
            self._record({"k": "ran", "id": invocation.request_id, "attempt": invocation.attempt})
            ran += 1

    def _run_async(self, invocation: PendingInvocation) -> None:
        try:
            self.functions.invoke(
                invocation.function, invocation.event, clock=self.clock, request_id=invocation.request_id
            )
            return
        except Exception as exc:
            error = exc
            log.warning(
                "%s failed (attempt %d, request %s)",
                invocation.function,
                invocation.attempt,
                invocation.request_id,
                exc_info=True,
            )
        max_retries, destination = self.functions.async_config(invocation.function)
        if invocation.attempt <= max_retries:
            # Lambda waits 1 minute before the first retry and 2 before the second.
            delay = timedelta(minutes=invocation.attempt)
            self._add_pending(
                PendingInvocation(
                    invocation.function,
                    invocation.event,
                    self.clock.now() + delay,
                    invocation.attempt + 1,
                    invocation.request_id,
                )
            )
            return
        self._on_failure(invocation, error, destination)

    def _on_failure(self, invocation: PendingInvocation, error: Exception, destination: Queue | None) -> None:
        if destination is None:
            log.error("%s: retries exhausted and no on-failure destination; event dropped", invocation.function)
            return
        url = self._queue_url(physical_name(destination))
        if url is None:
            log.error("on-failure destination %s does not exist; event dropped", destination)
            return
        record = on_failure_record(
            function_arn=f"{self.functions.arn(invocation.function)}:$LATEST",
            request_id=invocation.request_id,
            invoke_count=invocation.attempt,
            event=invocation.event,
            error=error,
            timestamp=self.clock.now(),
        )
        self._client("sqs").send_message(QueueUrl=url, MessageBody=json.dumps(record))

    # --- SQS event source mappings ------------------------------------------------------------

    def _poll_event_sources(self) -> int:
        invocations = 0
        for queue, function in EVENT_SOURCES.items():
            if self.functions.handler(function.value) is None:
                continue
            name = physical_name(queue)
            while aws.queue_has_visible_messages(name, self.account, self.region):
                url = self._queue_url(name)
                if url is None:
                    break
                response = self._client("sqs").receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=BATCH_SIZE[queue],
                    WaitTimeSeconds=0,
                    MessageSystemAttributeNames=["All"],
                    MessageAttributeNames=["All"],
                )
                messages = response.get("Messages", [])
                if not messages:
                    break  # moved to a dead-letter queue on receive, or expired
                if self._pool is not None and function.value in self.functions.concurrent:
                    # On the wall clock, as on AWS: each batch its own invocation, side by side.
                    self._pool.submit(self._deliver_batch, function.value, name, url, messages)
                else:
                    self._deliver_batch(function.value, name, url, messages)
                invocations += 1
        return invocations

    def _deliver_batch(self, function: str, queue_name: str, url: str, messages: list[dict[str, Any]]) -> None:
        queue_arn = f"arn:aws:sqs:{self.region}:{self.account}:{queue_name}"
        event = {"Records": [sqs_record(m, queue_arn, self.region) for m in messages]}
        try:
            response = self.functions.invoke(function, event, clock=self.clock)
        except Exception:
            log.warning("%s failed on a batch of %d from %s", function, len(messages), queue_name, exc_info=True)
            return  # nothing deleted: the messages come back after the visibility timeout
        failed = failed_item_ids(response, {m["MessageId"] for m in messages})
        done = [m for m in messages if m["MessageId"] not in failed]
        for batch in aws.chunks(done, 10):
            self._client("sqs").delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )
