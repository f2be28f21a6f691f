"""The publish step and the reconciler against moto's DynamoDB/SQS/Scheduler, with a network stand-in
that fails on purpose (the real local PDS cannot be made to answer 5xx or 429 on demand; the happy
path, duplicates and crashes run against the real network in tests/e2e)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from infra.local.functions import FunctionRegistry
from infra.local.lambda_events import sqs_record
from parley.connect import adapters, credentials
from parley.networks.base import (
    Account,
    Credential,
    InvalidCredential,
    PermanentNetworkError,
    Published,
    PublishRequest,
    SessionStore,
    TransientNetworkError,
)
from parley.publishing import deliveries
from parley.publishing import publish as publishing
from parley.publishing.deliveries import State
from parley.scheduling import PublishMessage
from parley.scheduling.wiring import arming, failed_message
from parley.shared import clock, ids
from parley.shared.config import get_settings
from parley.shared.errors import FieldProblem
from parley.shared.names import LEASE_SECONDS, MAX_ATTEMPTS, Function
from parley.store import ChannelRecord
from parley.store.keys import DeliveryKey

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class FaultyNetwork:
    """Stand-in adapter: answers from a script of outcomes, remembers what it 'published'."""

    script: list[Exception | None] = field(default_factory=list)
    posted: dict[str, Published] = field(default_factory=dict)
    creates: int = 0
    network: str = "bluesky"

    def adapter(self, network: str, credential: Credential, sessions: SessionStore) -> FaultyNetwork:
        return self

    def check_text(self, text: str) -> list[FieldProblem]:
        return []

    def verify(self, credential: Credential) -> Account:
        raise NotImplementedError

    def publish(self, request: PublishRequest) -> Published:
        if request.look_first and request.delivery_id in self.posted:
            return self.posted[request.delivery_id]
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        self.creates += 1
        published = Published("at://x/" + request.delivery_id, "https://bsky.app/x", clock.now())
        self.posted[request.delivery_id] = published
        return published

    def find(self, request: PublishRequest) -> Published | None:
        return self.posted.get(request.delivery_id)


@pytest.fixture
def net(aws: str) -> Iterator[FaultyNetwork]:
    manual = clock.ManualClock(START)
    clock.set_clock(manual)
    fake = FaultyNetwork()
    adapters.set_factory(fake.adapter)
    yield fake
    adapters.set_factory(None)
    clock.set_clock(clock.SystemClock())


def make_delivery(workspace_id: str = "ws_pub") -> DeliveryKey:
    channel_id = "ch_" + ids.new_id()
    parameter = credentials.credential_parameter(get_settings().parameter_prefix, workspace_id, channel_id)
    credentials.save_credential(parameter, Credential("brand.test", "secret", "http://127.0.0.1:1"))
    ChannelRecord(
        workspace_id,
        channel_id,
        network="bluesky",
        handle="brand.test",
        remote_id="did:plc:brand",
        service_url="http://127.0.0.1:1",
        credential_parameter=parameter,
        created_at=START,
        created_by="mem_1",
    ).save()
    key = DeliveryKey(workspace_id, "p_" + ids.new_id(), channel_id)
    deliveries.new_delivery(key, network="bluesky", text="hi", publish_at=START, publish_key="k").save()
    return key


def state(key: DeliveryKey) -> deliveries.DeliveryRecord:
    record = deliveries.get(key)
    assert record is not None
    return record


def queued_messages() -> list[dict[str, object]]:
    sqs = boto3.client("sqs")
    answer = sqs.receive_message(QueueUrl=get_settings().publish_queue_url, MaxNumberOfMessages=10)
    for message in answer.get("Messages", []):
        sqs.delete_message(QueueUrl=get_settings().publish_queue_url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def delayed_messages() -> int:
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=get_settings().publish_queue_url, AttributeNames=["ApproximateNumberOfMessagesDelayed"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessagesDelayed"])


def due(key: DeliveryKey) -> PublishMessage:
    return PublishMessage(key, state(key).due_at)


def test_a_transient_error_schedules_a_retry_that_then_publishes(net: FaultyNetwork) -> None:
    key = make_delivery()
    net.script = [TransientNetworkError("the PDS answered 502")]
    outcome = publishing.handle_due(due(key), arming())
    record = state(key)
    assert (outcome.state, record.state, record.last_error) == ("retrying", "retrying", "the PDS answered 502")
    assert record.due_at == START + publishing.backoff(1)

    clock.get_clock().sleep(30)  # type: ignore[attr-defined]
    assert publishing.handle_due(due(key), arming()).state == "published"
    assert state(key).attempt == 2 and net.creates == 1


def test_a_rate_limit_retries_at_the_networks_reset_time(net: FaultyNetwork) -> None:
    key = make_delivery()
    reset = START + timedelta(minutes=7)
    net.script = [TransientNetworkError("rate limited", retry_at=reset)]
    publishing.handle_due(due(key), arming())
    assert state(key).due_at == reset


def test_transient_errors_until_the_attempts_run_out_end_failed_with_the_reason(net: FaultyNetwork) -> None:
    key = make_delivery()
    net.script = [TransientNetworkError("timeout")] * MAX_ATTEMPTS
    for _ in range(MAX_ATTEMPTS):
        clock.get_clock().set(state(key).due_at)  # type: ignore[attr-defined]
        publishing.handle_due(due(key), arming())
    record = state(key)
    assert record.state == State.FAILED
    assert record.failure_reason == f"gave up after {MAX_ATTEMPTS} attempts: timeout"


def test_a_permanent_refusal_fails_at_once_with_a_reason_a_marketer_can_act_on(net: FaultyNetwork) -> None:
    key = make_delivery()
    net.script = [PermanentNetworkError("Bluesky refused the post: text too long")]
    assert publishing.handle_due(due(key), arming()).state == "failed"
    assert state(key).failure_reason == "Bluesky refused the post: text too long"


def test_a_message_that_arrives_early_is_handed_back_not_published(net: FaultyNetwork) -> None:
    key = make_delivery()
    delayed_before = delayed_messages()
    clock.get_clock().set(START - timedelta(seconds=30))  # type: ignore[attr-defined]
    outcome = publishing.handle_due(due(key), arming())
    assert outcome.detail.startswith("early") and state(key).state == State.SCHEDULED and net.creates == 0
    assert delayed_messages() == delayed_before + 1  # back in the queue, delayed to its second


def test_a_stale_message_rearms_the_current_time_and_publishes_nothing(net: FaultyNetwork) -> None:
    key = make_delivery()
    queued_messages()
    publishing.handle_due(PublishMessage(key, START - timedelta(minutes=3)), arming())
    assert state(key).state == State.SCHEDULED and net.creates == 0
    assert [m["due_at"] for m in queued_messages()] == [START.isoformat()]


def test_a_duplicate_while_the_lease_is_live_is_retried_later_not_dropped(net: FaultyNetwork) -> None:
    key = make_delivery()
    deliveries.start_publishing(state(key), due_at=START, by="first")
    with pytest.raises(publishing.LeaseBusy):
        publishing.handle_due(due(key), arming())


def test_the_reconciler_takes_over_an_expired_lease_and_finds_the_post(net: FaultyNetwork) -> None:
    key = make_delivery()
    record = deliveries.start_publishing(state(key), due_at=START, by="crashed")
    net.publish(PublishRequest(key.id, "hi", START, look_first=False))  # it went out, then the crash
    clock.get_clock().sleep(LEASE_SECONDS + 1)  # type: ignore[attr-defined]
    assert publishing.settle(key, arming()).state == "published"
    assert net.creates == 1 and state(key).lease_token != record.lease_token


def test_the_reconciler_out_of_attempts_only_looks_then_fails(net: FaultyNetwork) -> None:
    key = make_delivery()
    for _ in range(MAX_ATTEMPTS):
        deliveries.start_publishing(state(key), due_at=START, by="crashing")
        clock.get_clock().sleep(LEASE_SECONDS + 1)  # type: ignore[attr-defined]
    assert publishing.settle(key, arming()).state == "failed"
    assert net.creates == 0 and "gave up" in (state(key).failure_reason or "")


def test_the_reconciler_rearms_a_scheduled_delivery(net: FaultyNetwork) -> None:
    key = make_delivery()
    queued_messages()
    assert publishing.settle(key, arming()).detail == "re-armed"
    assert [m["post_id"] for m in queued_messages()] == [key.post_id]


def test_the_three_shapes_of_a_failure_record_name_the_delivery() -> None:
    arm = {"action": "arm", "workspace_id": "w", "post_id": "p", "channel_id": "c", "due_at": START.isoformat()}
    on_failure = {"version": "1.0", "requestPayload": arm, "responsePayload": {"errorMessage": "boom"}}
    for body in (arm, on_failure):
        message = failed_message(body)
        assert message is not None and message.key == DeliveryKey("w", "p", "c")
    assert failed_message({"something": "else"}) is None


def test_refused_credentials_fail_the_delivery_and_stop_the_channel_until_reconnected(net: FaultyNetwork) -> None:
    key = make_delivery()
    net.script = [InvalidCredential("the app password was revoked")]
    assert publishing.handle_due(due(key), arming()).state == "failed"
    assert "no longer work: the app password was revoked" in (state(key).failure_reason or "")
    channel = ChannelRecord.get(key.workspace_id, key.channel_id)
    assert (channel.status, channel.status_reason) == ("needs_reauth", "the app password was revoked")

    # The next delivery on that channel fails at once, saying what to do, without calling the network.
    later = DeliveryKey(key.workspace_id, "p_" + ids.new_id(), key.channel_id)
    deliveries.new_delivery(later, network="bluesky", text="hi", publish_at=START, publish_key="k").save()
    assert publishing.handle_due(due(later), arming()).state == "failed"
    assert state(later).failure_reason == "the channel needs to be reconnected (the app password was revoked)"
    assert net.creates == 0


def test_a_duplicate_through_the_publish_function_is_one_info_line_and_a_count_and_comes_back(
    net: FaultyNetwork, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 16 item 3: the expected duplicate is no failure traceback; its message still comes back
    (batchItemFailures) in case the lease belongs to a holder that crashed."""
    key = make_delivery()
    deliveries.start_publishing(state(key), due_at=START, by="first")
    message = {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": due(key).to_json()}
    event = {"Records": [sqs_record(message, "arn:aws:sqs:eu-west-1:123456789012:publish", "eu-west-1")]}
    functions = FunctionRegistry()

    with caplog.at_level(logging.INFO):
        answer = functions.invoke(Function.PUBLISH, event, clock=clock.get_clock())

    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    duplicate = [r for r in caplog.records if "duplicate delivery" in r.getMessage()]
    assert [r.levelno for r in duplicate] == [logging.INFO]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert '"DuplicateDelivery"' in capsys.readouterr().out  # the EMF line the metrics flush prints
    assert state(key).state == State.PUBLISHING and net.creates == 0
