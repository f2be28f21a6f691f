"""The local firer does what AWS does and moto does not: fires schedules, retries asynchronous
invocations, feeds queues to functions. Stand-in handlers, one runtime for the module, a manual clock."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.local import aws
from infra.local.firer import Firer
from infra.local.functions import FunctionRegistry
from infra.local.runtime import LocalRuntime
from parley.shared.clock import ManualClock
from parley.shared.names import Function, Queue, ScheduleGroup, physical_name

START = datetime(2030, 1, 1, tzinfo=UTC)
GROUP = physical_name(ScheduleGroup.DELIVERIES)
ROLE = f"arn:aws:iam::{aws.ACCOUNT}:role/parley-scheduler"


@dataclass
class Call:
    at: datetime
    event: Any
    request_id: str


@dataclass
class StandIn:
    """A function that records its calls and does what the test tells it to."""

    clock: ManualClock
    calls: list[Call] = field(default_factory=list)
    behaviour: Callable[[Any], Any] | None = None

    def __call__(self, event: Any, context: Any) -> Any:
        self.calls.append(Call(self.clock.now(), event, context.aws_request_id))
        return self.behaviour(event) if self.behaviour else None


@dataclass
class Env:
    runtime: LocalRuntime
    clock: ManualClock
    publish: StandIn
    reconciler: StandIn

    @property
    def firer(self) -> Firer:
        return self.runtime.firer

    def client(self, service: str) -> Any:
        return self.runtime.aws.client(service)

    def queue_url(self, queue: Queue) -> str:
        return self.runtime.aws.queue_url(physical_name(queue))

    def schedule(self, name: str, at: datetime, payload: Any, *, target: str | None = None, **extra: Any) -> None:
        self.client("scheduler").create_schedule(
            Name=name,
            GroupName=GROUP,
            ScheduleExpression=f"at({at.strftime('%Y-%m-%dT%H:%M:%S')})",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={
                "Arn": target or self.runtime.functions.arn(Function.PUBLISH),
                "RoleArn": ROLE,
                "Input": json.dumps(payload),
                "DeadLetterConfig": {"Arn": self.runtime.aws.queue_arn(physical_name(Queue.FAILURES))},
            },
            **({"ActionAfterCompletion": "DELETE"} | extra),
        )

    def messages_in(self, queue: Queue) -> list[Any]:
        backend_queue = aws.in_process_queue(physical_name(queue))
        return list(backend_queue._messages) if backend_queue is not None else []


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    clock = ManualClock(START)
    functions = FunctionRegistry(functions_dir=None)
    publish, reconciler = StandIn(clock), StandIn(clock)
    functions.register(Function.PUBLISH, publish)
    functions.register(Function.RECONCILER, reconciler)
    runtime = LocalRuntime(
        tmp_path_factory.mktemp("state"),
        clock,
        firer_thread=False,
        functions=functions,
        snapshot_interval_seconds=3600,
    ).start()
    yield Env(runtime, clock, publish, reconciler)
    runtime.stop()


@pytest.fixture(autouse=True)
def clean(env: Env) -> Iterator[None]:
    """Each test starts with empty queues, no schedules, idle stand-ins, both functions present."""
    env.runtime.functions.register(Function.PUBLISH, env.publish)
    env.runtime.functions.register(Function.RECONCILER, env.reconciler)
    for stand_in in (env.publish, env.reconciler):
        stand_in.calls.clear()
        stand_in.behaviour = None
    for queue in Queue:
        backend_queue = aws.in_process_queue(physical_name(queue))
        assert backend_queue is not None
        backend_queue._messages.clear()
        backend_queue._pending_messages.clear()
    scheduler = env.client("scheduler")
    for schedule in scheduler.list_schedules(GroupName=GROUP)["Schedules"]:
        scheduler.delete_schedule(Name=schedule["Name"], GroupName=GROUP)
    yield
    assert env.firer.pending == [], "a test left asynchronous invocations behind"


def fail(message: str) -> Callable[[Any], Any]:
    def behaviour(event: Any) -> Any:
        raise RuntimeError(message)

    return behaviour


# --- Scheduler ------------------------------------------------------------------------------------


def test_a_schedule_fires_once_when_due_and_not_before_and_is_then_deleted(env: Env) -> None:
    # Given a one-time schedule five minutes from now
    due = env.clock.now() + timedelta(minutes=5)
    env.schedule("d-1", due, {"delivery_id": "d-1"})

    # When the clock reaches one second before it
    env.clock.set(due - timedelta(seconds=1))
    assert env.firer.run_due() == 0
    assert env.publish.calls == []

    # Then at its time it fires once, with its input, and is deleted
    env.clock.set(due)
    assert env.firer.run_due() == 1
    assert [(c.at, c.event) for c in env.publish.calls] == [(due, {"delivery_id": "d-1"})]
    with pytest.raises(ClientError) as missing:
        env.client("scheduler").get_schedule(Name="d-1", GroupName=GROUP)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"

    # And it never fires again
    env.clock.advance(3600)
    assert env.firer.run_due() == 0
    assert len(env.publish.calls) == 1


def test_a_schedule_kept_after_completion_fires_only_once(env: Env) -> None:
    due = env.clock.now() + timedelta(minutes=1)
    env.schedule("kept", due, {"n": 1}, ActionAfterCompletion="NONE")

    env.clock.set(due)
    env.firer.run_due()
    env.clock.advance(600)
    env.firer.run_due()

    assert len(env.publish.calls) == 1
    assert env.client("scheduler").get_schedule(Name="kept", GroupName=GROUP)["Name"] == "kept"


def test_scheduler_context_attributes_in_the_input_are_filled_in(env: Env) -> None:
    due = (env.clock.now() + timedelta(minutes=1)).replace(microsecond=0)
    env.schedule("ctx", due, {"time": "<aws.scheduler.scheduled-time>", "arn": "<aws.scheduler.schedule-arn>"})

    env.clock.set(due)
    env.firer.run_due()

    event = env.publish.calls[0].event
    assert event["time"] == due.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert event["arn"].endswith(f":schedule/{GROUP}/ctx")


def test_a_schedule_for_a_missing_function_dead_letters_its_input_with_schedulers_attributes(env: Env) -> None:
    # Given a schedule whose target function does not exist
    due = env.clock.now() + timedelta(minutes=1)
    missing = f"arn:aws:lambda:{aws.REGION}:{aws.ACCOUNT}:function:parley-nowhere"
    env.schedule("lost", due, {"delivery_id": "d-lost"}, target=missing)

    # When it is due
    env.clock.set(due)
    env.firer.run_due()

    # Then the reconciler gets its input from the failures queue, with why it failed
    assert env.publish.calls == []
    [record] = env.reconciler.calls[0].event["Records"]
    assert json.loads(record["body"]) == {"delivery_id": "d-lost"}
    attributes = {k: v["stringValue"] for k, v in record["messageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "ResourceNotFoundException"
    assert attributes["TARGET_ARN"] == missing
    assert attributes["SCHEDULE_ARN"].endswith(f":schedule/{GROUP}/lost")
    # And the schedule is gone all the same
    assert env.client("scheduler").list_schedules(GroupName=GROUP)["Schedules"] == []


def _fire_with(env: Env, seed: int) -> list[tuple[int, int]]:
    """Twenty schedules at one moment, fired by a firer with a 60 s late window and duplicates, on a
    clock that steps one second at a time: (seconds late, schedule number) of every invocation."""
    at = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)
    for n in range(20):
        env.schedule(f"seeded-{n}", at, {"n": n})
    clock = ManualClock(at - timedelta(seconds=1))
    firer = Firer(
        clock,
        env.runtime.functions,
        seed,
        late_window_seconds=60,
        duplicate_rate=0.3,
        endpoint_url=env.runtime.endpoint_url,
    )
    env.publish.calls.clear()
    env.publish.clock = clock
    try:
        for _ in range(62):
            clock.advance(1)
            firer.run_due()
    finally:
        env.publish.clock = env.clock
    return [(int((c.at - at).total_seconds()), c.event["n"]) for c in env.publish.calls]


def test_late_window_and_duplicates_are_seeded_and_reproducible(env: Env) -> None:
    first = _fire_with(env, seed=7)
    again = _fire_with(env, seed=7)
    other = _fire_with(env, seed=8)

    # The same seed gives the same delays and the same duplicates
    assert first == again
    assert first != other
    # Every schedule fires within the window, some late, a few twice, none more
    assert {n for _, n in first} == set(range(20))
    assert all(0 <= late <= 60 for late, _ in first)
    assert len({late for late, _ in first}) > 5
    counts = [sum(1 for _, n in first if n == k) for k in range(20)]
    assert set(counts) == {1, 2}


# --- Lambda asynchronous invocation --------------------------------------------------------------


def test_a_failing_invocation_is_retried_at_one_and_two_minutes_then_recorded_as_failed(env: Env) -> None:
    # Given a publish function that always raises
    env.publish.behaviour = fail("network said no")
    due = env.clock.now() + timedelta(minutes=1)
    env.schedule("doomed", due, {"delivery_id": "d-9"})

    # When the schedule fires, and time passes
    env.clock.set(due)
    env.firer.run_due()
    env.clock.set(due + timedelta(seconds=59))
    env.firer.run_due()
    assert len(env.publish.calls) == 1
    env.clock.set(due + timedelta(seconds=60))
    env.firer.run_due()
    env.clock.set(due + timedelta(seconds=179))
    env.firer.run_due()
    assert len(env.publish.calls) == 2
    assert env.reconciler.calls == []
    env.clock.set(due + timedelta(seconds=180))
    env.firer.run_due()

    # Then three attempts at +0, +1 and +3 minutes, one request id
    assert [c.at - due for c in env.publish.calls] == [timedelta(0), timedelta(minutes=1), timedelta(minutes=3)]
    assert len({c.request_id for c in env.publish.calls}) == 1
    # And Lambda's on-failure record reaches the reconciler through the failures queue
    [record] = env.reconciler.calls[0].event["Records"]
    failure = json.loads(record["body"])
    assert failure["version"] == "1.0"
    assert failure["requestContext"] == {
        "requestId": env.publish.calls[0].request_id,
        "functionArn": f"{env.runtime.functions.arn(Function.PUBLISH)}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert failure["requestPayload"] == {"delivery_id": "d-9"}
    assert failure["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert failure["responsePayload"]["errorMessage"] == "network said no"
    assert failure["responsePayload"]["errorType"] == "RuntimeError"
    assert failure["timestamp"].startswith((due + timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%S"))


def test_an_invocation_that_succeeds_on_retry_leaves_no_failure(env: Env) -> None:
    outcomes = iter([fail("once"), None])

    def flaky(event: Any) -> Any:
        behaviour = next(outcomes)
        return behaviour(event) if behaviour else None

    env.publish.behaviour = flaky
    env.firer.invoke_async(Function.PUBLISH, {"delivery_id": "d-2"})
    env.firer.run_due()
    env.clock.advance(60)
    env.firer.run_due()

    assert len(env.publish.calls) == 2
    assert env.reconciler.calls == []


# --- SQS event source mappings ---------------------------------------------------------------------


def test_sqs_delay_seconds_follow_the_runtime_clock(env: Env) -> None:
    # Given a message sent with a two-minute delay
    sent = env.clock.now()
    env.client("sqs").send_message(
        QueueUrl=env.queue_url(Queue.PUBLISH),
        MessageBody=json.dumps({"delivery_id": "d-3"}),
        DelaySeconds=120,
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "publish"}},
    )

    # When the clock stands one second short of the delay, nothing is delivered
    env.clock.set(sent + timedelta(seconds=119))
    assert env.firer.run_due() == 0

    # Then at the delay the function gets it as a Lambda SQS event
    env.clock.set(sent + timedelta(seconds=120))
    assert env.firer.run_due() == 1
    [record] = env.publish.calls[0].event["Records"]
    assert json.loads(record["body"]) == {"delivery_id": "d-3"}
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == env.runtime.aws.queue_arn(physical_name(Queue.PUBLISH))
    assert record["awsRegion"] == aws.REGION
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["attributes"]["SentTimestamp"] == str(int(sent.timestamp() * 1000))
    assert record["messageAttributes"]["kind"]["stringValue"] == "publish"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    # And, handled without error, it is deleted
    assert env.messages_in(Queue.PUBLISH) == []


def test_batch_item_failures_leave_only_the_failed_message(env: Env) -> None:
    # (the failures queue: the publish queue hands over one message per invocation)
    # Given three messages, the function reports the one with "bad" in its body as failed
    for body in ("good-1", "bad", "good-2"):
        env.client("sqs").send_message(QueueUrl=env.queue_url(Queue.FAILURES), MessageBody=body)
    env.reconciler.behaviour = lambda event: {
        "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"]
    }

    # When the batch is delivered
    env.firer.run_due()

    # Then one invocation had all three, and only the failed one remains
    assert sorted(r["body"] for r in env.reconciler.calls[0].event["Records"]) == ["bad", "good-1", "good-2"]
    assert [m.body for m in env.messages_in(Queue.FAILURES)] == ["bad"]
    # And it comes back after the visibility timeout (moto: strictly after), alone
    env.clock.advance(181)
    env.firer.run_due()
    assert [r["body"] for r in env.reconciler.calls[1].event["Records"]] == ["bad"]
    assert env.reconciler.calls[1].event["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"


def test_an_exception_keeps_the_whole_batch(env: Env) -> None:
    for body in ("one", "two"):
        env.client("sqs").send_message(QueueUrl=env.queue_url(Queue.FAILURES), MessageBody=body)
    env.reconciler.behaviour = fail("crash")

    env.firer.run_due()

    assert len(env.reconciler.calls) == 1
    assert sorted(m.body for m in env.messages_in(Queue.FAILURES)) == ["one", "two"]


def test_a_message_failing_max_receives_times_is_redriven_to_the_failures_queue(env: Env) -> None:
    # Given a publish function that always fails, and no reconciler reading the failures queue
    env.runtime.functions.unregister(Function.RECONCILER)
    env.publish.behaviour = fail("always")
    env.client("sqs").send_message(QueueUrl=env.queue_url(Queue.PUBLISH), MessageBody="poison")

    # When it has been received as often as the redrive policy allows, and comes back once more
    for _ in range(8):
        env.firer.run_due()
        env.clock.advance(91)

    # Then moto moved it to the failures queue on the receive after the fifth
    assert len(env.publish.calls) == 5
    assert env.messages_in(Queue.PUBLISH) == []
    assert [m.body for m in env.messages_in(Queue.FAILURES)] == ["poison"]


def test_a_redriven_publish_message_reaches_the_reconciler(env: Env) -> None:
    """A redriven message keeps its receive count (moto does this), so the failures queue allows more
    receives than the publish queue; otherwise it would pass the message straight to failures-dlq."""
    env.publish.behaviour = fail("always")
    env.client("sqs").send_message(QueueUrl=env.queue_url(Queue.PUBLISH), MessageBody="poison")

    for _ in range(8):
        env.firer.run_due()
        env.clock.advance(181)

    assert len(env.publish.calls) == 5
    assert len(env.reconciler.calls) == 1
    assert env.messages_in(Queue.FAILURES_DLQ) == []


def test_the_background_thread_fires_what_is_due_without_being_asked(env: Env) -> None:
    import threading

    fired = threading.Event()
    env.publish.behaviour = lambda event: fired.set()
    env.schedule("background", env.clock.now(), {"delivery_id": "d-bg"})

    env.firer.start()
    try:
        assert fired.wait(timeout=30), "the firer thread never fired the due schedule"
    finally:
        env.firer.stop()
    assert [c.event for c in env.publish.calls] == [{"delivery_id": "d-bg"}]
