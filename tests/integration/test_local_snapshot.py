"""A restart of the local runtime loses nothing: the snapshot brings back what the embedded AWS held.

One scenario for the module: a runtime is filled, stopped, the clock moves on while it is down, and a
new runtime starts on the same state folder. Each test checks one thing the restart kept."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from infra.local import aws, snapshot
from infra.local.functions import FunctionRegistry
from infra.local.runtime import LocalRuntime
from parley.shared import pagination
from parley.shared.clock import ManualClock
from parley.shared.names import Function, Queue, ScheduleGroup, physical_name

START = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
CURSOR_KEY = {"workspace_id": {"S": "ws_1"}, "post_id": {"S": "p_1"}, "publish_key": {"S": "2030-03-01#p_1"}}
LISTING = pagination.Listing("ws_1", "posts")
GROUP = physical_name(ScheduleGroup.DELIVERIES)
TABLE = "snapshot-probe"
DOWNTIME = timedelta(seconds=100)
ITEM = {
    "pk": {"S": "workspace#1"},
    "sk": {"S": "post#1"},
    "count": {"N": "42"},
    "blob": {"B": b"\x00\xffbinary"},
    "tags": {"SS": ["a", "b"]},
    "scores": {"NS": ["1", "2.5"]},
    "blobs": {"BS": [b"\x01", b"\x02"]},
    "nested": {"M": {"list": {"L": [{"S": "x"}, {"BOOL": True}, {"NULL": True}]}}},
    "gsi_key": {"S": "by-state#scheduled"},
}


@dataclass
class StandIn:
    clock: ManualClock
    calls: list[tuple[datetime, Any, str]] = field(default_factory=list)
    behaviour: Callable[[Any], Any] | None = None

    def __call__(self, event: Any, context: Any) -> Any:
        self.calls.append((self.clock.now(), event, context.aws_request_id))
        return self.behaviour(event) if self.behaviour else None


@dataclass
class Restarted:
    runtime: LocalRuntime
    clock: ManualClock
    publish: StandIn
    state_dir: Path
    stopped_at: datetime
    retry_request_id: str
    delayed_message_id: str
    cursor: str | None = None  # given out by the first runtime, signed with its cursor key

    def client(self, service: str) -> Any:
        return self.runtime.aws.client(service)


def _raise(event: Any) -> Any:
    raise RuntimeError("first attempt fails")


def _fill(runtime: LocalRuntime, publish: StandIn) -> tuple[str, str]:
    """Put one of everything into the embedded AWS; returns (pending retry id, delayed message id)."""
    ddb = runtime.aws.client("dynamodb")
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "gsi_key", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_state",
                "KeySchema": [{"AttributeName": "gsi_key", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    ddb.put_item(TableName=TABLE, Item=ITEM)

    scheduler = runtime.aws.client("scheduler")
    scheduler.create_schedule_group(Name="extra-group")
    for group in (GROUP, "extra-group"):
        scheduler.create_schedule(
            Name="later",
            GroupName=group,
            ScheduleExpression="at(2030-03-01T12:00:00)",
            ScheduleExpressionTimezone="Europe/Paris",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={
                "Arn": runtime.functions.arn(Function.PUBLISH),
                "RoleArn": f"arn:aws:iam::{aws.ACCOUNT}:role/parley-scheduler",
                "Input": json.dumps({"delivery_id": f"d-{group}"}),
                "DeadLetterConfig": {"Arn": runtime.aws.queue_arn(physical_name(Queue.FAILURES))},
            },
            ActionAfterCompletion="DELETE",
            Description="publish later",
        )

    ssm = runtime.aws.client("ssm")
    ssm.put_parameter(Name="/parley/channels/c-1/token", Value="s3cret-token", Type="SecureString")
    ssm.put_parameter(Name="/parley/settings/mode", Value="demo", Type="String", Description="plain")

    s3 = runtime.aws.client("s3")
    s3.create_bucket(Bucket="parley-media-local")
    s3.put_object(
        Bucket="parley-media-local", Key="m/1.png", Body=b"\x89PNG\r\n", ContentType="image/png", Metadata={"alt": "a"}
    )
    runtime.aws.client("secretsmanager").create_secret(Name="parley/app-secret", SecretString="hush")

    sqs = runtime.aws.client("sqs")
    delayed = sqs.send_message(
        QueueUrl=runtime.aws.queue_url(physical_name(Queue.PUBLISH)),
        MessageBody=json.dumps({"delivery_id": "d-delayed"}),
        DelaySeconds=300,
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "publish"},
            "raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )["MessageId"]
    sqs.send_message(QueueUrl=runtime.aws.queue_url(physical_name(Queue.FAILURES_DLQ)), MessageBody="for a person")

    # An asynchronous invocation that failed once: its retry is pending when the runtime stops.
    publish.behaviour = _raise
    request_id = runtime.firer.invoke_async(Function.PUBLISH, {"delivery_id": "d-retry"})
    runtime.firer.run_due()
    publish.behaviour = None
    assert len(runtime.firer.pending) == 1
    return request_id, delayed


@pytest.fixture(scope="module")
def restarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Restarted]:
    state_dir = tmp_path_factory.mktemp("snap") / "state"
    clock = ManualClock(START)

    def runtime() -> tuple[LocalRuntime, StandIn]:
        functions = FunctionRegistry(functions_dir=None)
        publish = StandIn(clock)
        functions.register(Function.PUBLISH, publish)
        return LocalRuntime(state_dir, clock, firer_thread=False, functions=functions), publish

    first, first_publish = runtime()
    first.start()
    retry_id, delayed_id = _fill(first, first_publish)
    cursor = pagination.encode_cursor(CURSOR_KEY, LISTING)
    clock.advance(10)
    first.stop()
    stopped_at = clock.now()
    clock.advance(DOWNTIME.total_seconds())

    second, publish = runtime()
    second.start()
    yield Restarted(second, clock, publish, state_dir, stopped_at, retry_id, delayed_id, cursor)
    second.stop()


def test_the_snapshot_is_readable_by_the_user_alone(restarted: Restarted) -> None:
    path = restarted.state_dir / snapshot.SNAPSHOT_FILE
    assert stat.S_IMODE(restarted.state_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in restarted.state_dir.iterdir()] == [snapshot.SNAPSHOT_FILE]  # no temp file left


def test_items_come_back_with_every_attribute_type_and_the_table_definition(restarted: Restarted) -> None:
    ddb = restarted.client("dynamodb")
    item = ddb.get_item(TableName=TABLE, Key={"pk": ITEM["pk"], "sk": ITEM["sk"]})["Item"]
    assert item == ITEM
    by_state = ddb.query(
        TableName=TABLE,
        IndexName="by_state",
        KeyConditionExpression="gsi_key = :k",
        ExpressionAttributeValues={":k": {"S": "by-state#scheduled"}},
    )
    assert by_state["Count"] == 1
    ttl = ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}


def test_schedules_come_back_whole(restarted: Restarted) -> None:
    scheduler = restarted.client("scheduler")
    for group in (GROUP, "extra-group"):
        schedule = scheduler.get_schedule(Name="later", GroupName=group)
        assert schedule["ScheduleExpression"] == "at(2030-03-01T12:00:00)"
        assert schedule["ScheduleExpressionTimezone"] == "Europe/Paris"
        assert schedule["ActionAfterCompletion"] == "DELETE"
        assert schedule["Description"] == "publish later"
        assert json.loads(schedule["Target"]["Input"]) == {"delivery_id": f"d-{group}"}
        assert schedule["Target"]["DeadLetterConfig"]["Arn"].endswith(":parley-failures")


def test_ssm_parameters_come_back_secure_strings_included(restarted: Restarted) -> None:
    ssm = restarted.client("ssm")
    token = ssm.get_parameter(Name="/parley/channels/c-1/token", WithDecryption=True)["Parameter"]
    assert (token["Type"], token["Value"]) == ("SecureString", "s3cret-token")
    mode = ssm.get_parameter(Name="/parley/settings/mode")["Parameter"]
    assert (mode["Type"], mode["Value"]) == ("String", "demo")


def test_s3_objects_and_secrets_come_back(restarted: Restarted) -> None:
    obj = restarted.client("s3").get_object(Bucket="parley-media-local", Key="m/1.png")
    assert obj["Body"].read() == b"\x89PNG\r\n"
    assert (obj["ContentType"], obj["Metadata"]) == ("image/png", {"alt": "a"})
    assert restarted.client("secretsmanager").get_secret_value(SecretId="parley/app-secret")["SecretString"] == "hush"


def test_the_cursor_key_comes_back_so_a_cursor_given_out_before_still_pages(restarted: Restarted) -> None:
    # the restarted runtime makes a new key at start; the saved one must win over it
    assert restarted.cursor is not None
    assert pagination.decode_cursor(restarted.cursor, LISTING) == CURSOR_KEY


def test_queued_messages_come_back_due_at_their_own_time(restarted: Restarted) -> None:
    """Sent with 300 s of delay 10 s before the stop, the runtime down for 100 s: it is due 190 s after
    the restart, at the time it was sent for (SQS keeps time while the runtime is down)."""
    restarted_at = restarted.stopped_at + DOWNTIME
    queue = aws.in_process_queue(physical_name(Queue.PUBLISH))
    dead = aws.in_process_queue(physical_name(Queue.FAILURES_DLQ))
    assert queue is not None and dead is not None
    [message] = [m for m in queue._messages if m.id == restarted.delayed_message_id]
    assert message.delayed_until == pytest.approx((restarted_at + timedelta(seconds=190)).timestamp() * 1000, abs=1)
    assert message.message_attributes["raw"]["BinaryValue"] == b"\x00\x01"
    assert message.message_attributes["kind"]["StringValue"] == "publish"
    [person] = dead._messages
    assert person.body == "for a person"


def test_a_pending_retry_survives_the_restart(restarted: Restarted) -> None:
    """Due 60 s after the first attempt, which is before the restart: it runs at the first pass."""
    restarted.runtime.firer.run_due()
    retries = [(e, r) for _, e, r in restarted.publish.calls if e == {"delivery_id": "d-retry"}]
    assert retries == [({"delivery_id": "d-retry"}, restarted.retry_request_id)]
    assert restarted.runtime.firer.pending == []


def test_the_delayed_message_is_delivered_when_its_delay_is_over(restarted: Restarted) -> None:
    restarted_at = restarted.stopped_at + DOWNTIME
    restarted.clock.set(restarted_at + timedelta(seconds=189))
    restarted.runtime.firer.run_due()
    assert not [e for _, e, _ in restarted.publish.calls if "Records" in e]

    restarted.clock.set(restarted_at + timedelta(seconds=190))
    restarted.runtime.firer.run_due()
    [(at, event, _)] = [c for c in restarted.publish.calls if "Records" in c[1]]
    assert at == restarted_at + timedelta(seconds=190)
    [record] = event["Records"]
    assert record["messageId"] == restarted.delayed_message_id
    assert json.loads(record["body"]) == {"delivery_id": "d-delayed"}


def test_restored_schedules_still_fire(restarted: Restarted) -> None:
    # 12:00 in Paris is 11:00 UTC on 1 March
    restarted.clock.set(datetime(2030, 3, 1, 11, 0, tzinfo=UTC))
    restarted.runtime.firer.run_due()
    fired = sorted(e["delivery_id"] for _, e, _ in restarted.publish.calls if "delivery_id" in e)
    assert f"d-{GROUP}" in fired and "d-extra-group" in fired


def test_only_writes_count_as_changes(restarted: Restarted) -> None:
    ddb = restarted.client("dynamodb")
    before = restarted.runtime.aws.changes
    ddb.scan(TableName=TABLE)
    ddb.describe_table(TableName=TABLE)
    restarted.client("scheduler").list_schedules()
    assert restarted.runtime.aws.changes == before
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "p"}, "sk": {"S": "s"}})
    assert restarted.runtime.aws.changes == before + 1


def test_a_new_runtime_on_an_empty_folder_starts_empty(tmp_path: Path, restarted: Restarted) -> None:
    """moto's state does not outlive a runtime: only the snapshot brings things back. (Last test of
    the scenario: it stops the restarted runtime, one runtime per process.)"""
    restarted.runtime.stop()
    fresh = LocalRuntime(tmp_path / "other", restarted.clock, firer_thread=False, functions=FunctionRegistry(None))
    fresh.start()
    try:
        assert TABLE not in fresh.aws.client("dynamodb").list_tables()["TableNames"]
        assert fresh.aws.client("ssm").describe_parameters()["Parameters"] == []
        assert fresh.aws.client("scheduler").list_schedules(GroupName=GROUP)["Schedules"] == []
    finally:
        fresh.stop()


def test_an_unreadable_snapshot_stops_the_start_instead_of_being_overwritten(tmp_path: Path) -> None:
    state_dir = tmp_path / "broken"
    state_dir.mkdir()
    (state_dir / snapshot.SNAPSHOT_FILE).write_text("{not json")
    runtime = LocalRuntime(state_dir, ManualClock(START), firer_thread=False, functions=FunctionRegistry(None))
    with pytest.raises(snapshot.SnapshotError):
        runtime.start()
    assert (state_dir / snapshot.SNAPSHOT_FILE).read_text() == "{not json"


def test_a_schedule_that_completes_while_the_snapshot_is_taken_is_simply_not_in_it(tmp_path: Path) -> None:
    """Under load schedules fire and are deleted all the time: one listed a moment ago and gone at its
    GetSchedule must not fail the whole snapshot (issue 16)."""
    runtime = LocalRuntime(
        tmp_path / "moving", ManualClock(START), firer_thread=False, functions=FunctionRegistry(None)
    )
    runtime.start()
    try:
        scheduler = runtime.aws.client("scheduler")
        for name in ("fires-now", "stays"):
            scheduler.create_schedule(
                Name=name,
                GroupName=GROUP,
                ScheduleExpression="at(2030-03-01T12:00:00)",
                FlexibleTimeWindow={"Mode": "OFF"},
                Target={
                    "Arn": runtime.functions.arn(Function.PUBLISH),
                    "RoleArn": f"arn:aws:iam::{aws.ACCOUNT}:role/r",
                },
            )

        def completes_first(params: dict[str, Any], **_: Any) -> None:
            if params.get("Name") == "fires-now":
                scheduler.delete_schedule(Name="fires-now", GroupName=GROUP)

        scheduler.meta.events.register("provide-client-params.scheduler.GetSchedule", completes_first)
        try:
            path = runtime.save_snapshot()
        finally:
            scheduler.meta.events.unregister("provide-client-params.scheduler.GetSchedule", completes_first)
    finally:
        runtime.stop()

    names = [entry["Name"] for entry in json.loads(path.read_text())["scheduler"]["schedules"]]
    assert names == ["stays"]
