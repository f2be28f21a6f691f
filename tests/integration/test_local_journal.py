"""A crash of the local runtime loses nothing it answered for: each write is journaled before its answer,
and a start replays the journal over the last snapshot.

In this process a crash is `stop(save=False)`: nothing is saved beyond what is already on disk (the last
snapshot and the journal). tests/integration/test_local_crash.py kills a real process with SIGKILL."""

from __future__ import annotations

import json
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from botocore.exceptions import ClientError

from infra.local import aws, journal, snapshot
from infra.local.functions import FunctionRegistry
from infra.local.runtime import LocalRuntime
from parley.shared.clock import ManualClock
from parley.shared.names import Function, Queue, ScheduleGroup, physical_name

START = datetime(2030, 5, 1, 9, 0, tzinfo=UTC)
GROUP = physical_name(ScheduleGroup.DELIVERIES)
TABLE = "journal-probe"
KEY = {"pk": {"S": "counter"}}


@dataclass
class StandIn:
    clock: ManualClock
    calls: list[tuple[datetime, Any, str]] = field(default_factory=list)
    behaviour: Callable[[Any], Any] | None = None

    def __call__(self, event: Any, context: Any) -> Any:
        self.calls.append((self.clock.now(), event, context.aws_request_id))
        return self.behaviour(event) if self.behaviour else None


@dataclass
class Machine:
    """A state folder and a clock that outlive the runtimes started on them."""

    state_dir: Path
    clock: ManualClock = field(default_factory=lambda: ManualClock(START))
    publish: StandIn | None = None
    runtime: LocalRuntime | None = None

    def start(self) -> LocalRuntime:
        functions = FunctionRegistry(functions_dir=None)
        self.publish = StandIn(self.clock)
        functions.register(Function.PUBLISH, self.publish)
        self.runtime = LocalRuntime(
            self.state_dir, self.clock, firer_thread=False, functions=functions, snapshot_interval_seconds=3600
        ).start()
        return self.runtime

    def crash(self) -> None:
        assert self.runtime is not None
        self.runtime.stop(save=False)
        self.runtime = None

    def restart(self, down_for: float = 0) -> LocalRuntime:
        self.crash()
        self.clock.advance(down_for)
        return self.start()

    def client(self, service: str) -> Any:
        assert self.runtime is not None
        return self.runtime.aws.client(service)

    def queue_url(self, queue: Queue) -> str:
        assert self.runtime is not None
        return self.runtime.aws.queue_url(physical_name(queue))

    def journal_lines(self) -> list[dict[str, Any]]:
        return journal.read_entries(self.state_dir, 0)


@pytest.fixture
def machine(tmp_path: Path) -> Iterator[Machine]:
    m = Machine(tmp_path / "state")
    m.start()
    yield m
    if m.runtime is not None:
        m.runtime.stop()


def _table(ddb: Any) -> None:
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def _schedule(machine: Machine, name: str, at: str, payload: dict[str, Any]) -> None:
    assert machine.runtime is not None
    machine.client("scheduler").create_schedule(
        Name=name,
        GroupName=GROUP,
        ScheduleExpression=f"at({at})",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={
            "Arn": machine.runtime.functions.arn(Function.PUBLISH),
            "RoleArn": f"arn:aws:iam::{aws.ACCOUNT}:role/r",
            "Input": json.dumps(payload),
        },
        ActionAfterCompletion="DELETE",
    )


def _messages(queue: Queue) -> list[Any]:
    backend_queue = aws.in_process_queue(physical_name(queue))
    assert backend_queue is not None
    return list(backend_queue._messages)


def _counter(machine: Machine) -> int:
    item = machine.client("dynamodb").get_item(TableName=TABLE, Key=KEY, ConsistentRead=True).get("Item")
    return int(item["n"]["N"]) if item else 0


def test_every_kind_of_write_survives_a_crash_with_no_snapshot_at_all(machine: Machine) -> None:
    ddb = machine.client("dynamodb")
    _table(ddb)
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}, "blob": {"B": b"\x00\xff"}, "tags": {"SS": ["x"]}})
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "gone"}})
    ddb.delete_item(TableName=TABLE, Key={"pk": {"S": "gone"}})
    ddb.update_item(
        TableName=TABLE, Key=KEY, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}}
    )
    ddb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {"pk": {"S": "t1"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": TABLE,
                    "Key": KEY,
                    "UpdateExpression": "ADD n :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}},
                }
            },
        ]
    )
    _schedule(machine, "stays", "2030-05-01T12:00:00", {"delivery_id": "d-1"})
    _schedule(machine, "moved", "2030-05-01T12:00:00", {"delivery_id": "d-2"})
    _schedule(machine, "dropped", "2030-05-01T12:00:00", {"delivery_id": "d-3"})
    scheduler = machine.client("scheduler")
    moved = scheduler.get_schedule(Name="moved", GroupName=GROUP)
    scheduler.update_schedule(
        Name="moved",
        GroupName=GROUP,
        ScheduleExpression="at(2030-05-01T13:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target=moved["Target"],
        State="ENABLED",
    )
    scheduler.delete_schedule(Name="dropped", GroupName=GROUP)
    ssm = machine.client("ssm")
    ssm.put_parameter(Name="/parley/c/token", Value="s3cret", Type="SecureString")
    ssm.put_parameter(Name="/parley/c/old", Value="x", Type="String")
    ssm.delete_parameter(Name="/parley/c/old")
    s3 = machine.client("s3")
    bucket = aws.local_bucket_name(next(iter(aws.Bucket)), aws.ACCOUNT)
    s3.put_object(Bucket=bucket, Key="m/1.png", Body=b"\x89PNG", ContentType="image/png", Metadata={"alt": "a"})
    s3.put_object(Bucket=bucket, Key="m/2.png", Body=b"x")
    s3.delete_object(Bucket=bucket, Key="m/2.png")
    form = s3.generate_presigned_post(Bucket=bucket, Key="m/3.png", Fields={"Content-Type": "image/png"})
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("3.png", b"\x89PNG3")}, timeout=10)
    assert posted.status_code == 204, posted.text  # a browser's upload: unsigned, multipart
    machine.client("secretsmanager").create_secret(Name="parley/app", SecretString="hush")
    sqs = machine.client("sqs")
    delayed = sqs.send_message(QueueUrl=machine.queue_url(Queue.PUBLISH), MessageBody="later", DelaySeconds=300)
    sqs.send_message_batch(
        QueueUrl=machine.queue_url(Queue.FAILURES_DLQ),
        Entries=[{"Id": "1", "MessageBody": "one"}, {"Id": "2", "MessageBody": "two"}],
    )

    machine.restart(down_for=10)

    assert ddb.get_item(TableName=TABLE, Key={"pk": {"S": "a"}})["Item"] == {
        "pk": {"S": "a"},
        "blob": {"B": b"\x00\xff"},
        "tags": {"SS": ["x"]},
    }
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"pk": {"S": "gone"}})
    assert "Item" in ddb.get_item(TableName=TABLE, Key={"pk": {"S": "t1"}})
    assert _counter(machine) == 2
    names = {s["Name"]: s for s in scheduler.list_schedules(GroupName=GROUP)["Schedules"]}
    assert sorted(names) == ["moved", "stays"]
    assert scheduler.get_schedule(Name="moved", GroupName=GROUP)["ScheduleExpression"] == "at(2030-05-01T13:00:00)"
    assert ssm.get_parameter(Name="/parley/c/token", WithDecryption=True)["Parameter"]["Value"] == "s3cret"
    with pytest.raises(ClientError):
        ssm.get_parameter(Name="/parley/c/old")
    obj = s3.get_object(Bucket=bucket, Key="m/1.png")
    assert (obj["Body"].read(), obj["ContentType"], obj["Metadata"]) == (b"\x89PNG", "image/png", {"alt": "a"})
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == ["m/1.png", "m/3.png"]
    assert s3.get_object(Bucket=bucket, Key="m/3.png")["Body"].read() == b"\x89PNG3"
    assert machine.client("secretsmanager").get_secret_value(SecretId="parley/app")["SecretString"] == "hush"
    [later] = _messages(Queue.PUBLISH)
    assert (later.id, later.body) == (delayed["MessageId"], "later")
    assert later.delayed_until == pytest.approx((START + timedelta(seconds=300)).timestamp() * 1000, abs=1)
    assert sorted(m.body for m in _messages(Queue.FAILURES_DLQ)) == ["one", "two"]


def test_what_was_written_after_the_last_snapshot_is_replayed_over_it(machine: Machine) -> None:
    ddb = machine.client("dynamodb")
    _table(ddb)
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "before"}})
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "deleted-after"}})
    assert machine.runtime is not None
    machine.runtime.save_snapshot()
    generation = snapshot.journal_from(snapshot.read_snapshot(machine.runtime.snapshot_path))
    assert journal.generations(machine.state_dir) == []  # the snapshot holds the earlier ones: dropped

    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "after"}})
    ddb.delete_item(TableName=TABLE, Key={"pk": {"S": "deleted-after"}})
    assert journal.generations(machine.state_dir) == [generation]

    machine.restart()

    keys = sorted(i["pk"]["S"] for i in ddb.scan(TableName=TABLE)["Items"])
    assert keys == ["after", "before"]


def test_only_writes_that_succeeded_are_journaled_in_a_file_of_the_user_alone(machine: Machine) -> None:
    ddb = machine.client("dynamodb")
    _table(ddb)
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}})
    before = len(machine.journal_lines())
    ddb.get_item(TableName=TABLE, Key={"pk": {"S": "a"}})
    ddb.scan(TableName=TABLE)
    with pytest.raises(ClientError):
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)")
    machine.client("sqs").receive_message(QueueUrl=machine.queue_url(Queue.PUBLISH), WaitTimeSeconds=0)
    machine.client("scheduler").list_schedules(GroupName=GROUP)
    assert len(machine.journal_lines()) == before

    [generation] = journal.generations(machine.state_dir)  # it holds what the snapshot holds, secrets too
    path = journal.journal_path(machine.state_dir, generation)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(machine.state_dir.stat().st_mode) == 0o700


def test_a_last_line_cut_short_by_a_crash_is_skipped(machine: Machine) -> None:
    ddb = machine.client("dynamodb")
    _table(ddb)
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "kept"}})
    machine.crash()
    [generation] = journal.generations(machine.state_dir)
    with journal.journal_path(machine.state_dir, generation).open("ab") as torn:
        torn.write(b'{"k":"http","m":"POST","u":"/","h":{},"b":"ey')  # the crash came mid-line

    machine.start()

    assert [i["pk"]["S"] for i in ddb.scan(TableName=TABLE)["Items"]] == ["kept"]
    assert journal.generations(machine.state_dir) == [generation]  # new lines go to a new file, once written
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "next"}})
    assert journal.generations(machine.state_dir) == [generation, generation + 1]


def test_a_damaged_line_before_the_last_stops_the_start_instead_of_losing_what_follows(machine: Machine) -> None:
    ddb = machine.client("dynamodb")
    _table(ddb)
    machine.crash()
    [generation] = journal.generations(machine.state_dir)
    path = journal.journal_path(machine.state_dir, generation)
    path.write_bytes(b"not json\n" + path.read_bytes())

    with pytest.raises(journal.JournalError):
        machine.start()
    assert path.read_bytes().startswith(b"not json\n")


def test_writes_during_snapshots_are_kept_once(machine: Machine) -> None:
    """A counter ADDed to while snapshots are taken counts each acknowledged ADD exactly once after a
    crash: the tables are captured and the journal rotated with the writes held. Messages sent meanwhile
    are kept once too (by id, though they may be in both the snapshot and the journal)."""
    ddb = machine.client("dynamodb")
    _table(ddb)
    runtime = machine.runtime
    assert runtime is not None
    sqs = machine.client("sqs")
    url = machine.queue_url(Queue.FAILURES_DLQ)
    acknowledged = {"adds": 0, "sent": 0}
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            ddb.update_item(
                TableName=TABLE, Key=KEY, UpdateExpression="ADD n :one", ExpressionAttributeValues={":one": {"N": "1"}}
            )
            acknowledged["adds"] += 1
            sqs.send_message(QueueUrl=url, MessageBody=str(acknowledged["sent"]))
            acknowledged["sent"] += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(8):
            runtime.save_snapshot()
    finally:
        stop.set()
        writer.join()

    machine.restart()

    assert _counter(machine) == acknowledged["adds"] > 0
    bodies = sorted(int(m.body) for m in _messages(Queue.FAILURES_DLQ))
    assert bodies == list(range(acknowledged["sent"]))


def test_an_accepted_asynchronous_invocation_survives_a_crash(machine: Machine) -> None:
    """Lambda holds an accepted event durably: the retry of a failed attempt runs after the restart, with
    the same request id, once."""
    runtime = machine.runtime
    assert runtime is not None and machine.publish is not None

    def fail(event: Any) -> Any:
        raise RuntimeError("the first attempt fails")

    machine.publish.behaviour = fail
    request_id = runtime.firer.invoke_async(Function.PUBLISH, {"delivery_id": "d-retry"})
    runtime.firer.run_due()
    assert len(runtime.firer.pending) == 1

    runtime = machine.restart(down_for=120)
    runtime.firer.run_due()
    runtime.firer.run_due()

    assert machine.publish is not None
    assert [(e, r) for _, e, r in machine.publish.calls] == [({"delivery_id": "d-retry"}, request_id)]
    assert runtime.firer.pending == []


def test_a_schedule_due_while_down_fires_at_once_and_a_delivered_message_does_not_come_back(
    machine: Machine,
) -> None:
    runtime = machine.runtime
    assert runtime is not None
    sqs = machine.client("sqs")
    sqs.send_message(QueueUrl=machine.queue_url(Queue.PUBLISH), MessageBody=json.dumps({"delivery_id": "d-sent"}))
    runtime.firer.run_due()  # delivered to the publish function, then deleted
    _schedule(machine, "due-while-down", "2030-05-01T09:01:00", {"delivery_id": "d-scheduled"})

    runtime = machine.restart(down_for=3600)
    runtime.firer.run_due()

    assert machine.publish is not None
    assert [(at, e) for at, e, _ in machine.publish.calls] == [
        (START + timedelta(seconds=3600), {"delivery_id": "d-scheduled"})
    ]
    assert _messages(Queue.PUBLISH) == []


def test_messages_waiting_at_the_crash_are_delivered_without_the_clock_moving(machine: Machine) -> None:
    """moto's `visible` is `now > visible_at`: a message put back visible at exactly now would wait for a
    manual clock to move. One from the snapshot and one from the journal go out at the first pass."""
    runtime = machine.runtime
    assert runtime is not None
    sqs = machine.client("sqs")
    sqs.send_message(QueueUrl=machine.queue_url(Queue.PUBLISH), MessageBody=json.dumps({"delivery_id": "snap"}))
    runtime.save_snapshot()
    sqs.send_message(QueueUrl=machine.queue_url(Queue.PUBLISH), MessageBody=json.dumps({"delivery_id": "jour"}))

    runtime = machine.restart(down_for=0)
    runtime.firer.run_due()

    assert machine.publish is not None
    delivered = [
        json.loads(r["body"])["delivery_id"] for _, event, _ in machine.publish.calls for r in event["Records"]
    ]
    assert sorted(delivered) == ["jour", "snap"]
