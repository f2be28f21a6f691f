"""Outbound webhooks over moto (real PynamoDB, SQS and SSM calls) with a real local receiver that checks
each signature: registered over the API, emitted once per event, retried with backoff, given up after 24
hours, an endpoint disabled after a day of failures."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.names import Env
from parley.store import WebhookDeliveryRecord, WebhookRecord
from parley.webhooks import sending
from parley.webhooks.events import EventType, emit
from tests.integration.test_api_posts import Workspace, make_workspace
from tests.support.receiver import Receiver, webhook_receiver


@pytest.fixture
def ws(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workspace]:
    monkeypatch.setenv(Env.OUTBOUND_ALLOWED_HOSTS.value, "127.0.0.1")  # the receiver is on loopback
    # A webhook queue of each test's own, as the session's is: the session's also carries other tests'
    # events, and their failed sends come back after their backoff.
    sqs = boto3.client("sqs")
    shared = get_settings().webhook_queue_url
    kept = ["VisibilityTimeout", "MessageRetentionPeriod"]
    attributes = sqs.get_queue_attributes(QueueUrl=shared, AttributeNames=kept)
    own = sqs.create_queue(QueueName=f"parley-webhooks-{uuid.uuid4().hex[:12]}", Attributes=attributes["Attributes"])
    monkeypatch.setenv(Env.WEBHOOK_QUEUE_URL.value, own["QueueUrl"])
    get_settings.cache_clear()
    yield make_workspace()
    monkeypatch.undo()
    get_settings.cache_clear()
    sqs.delete_queue(QueueUrl=own["QueueUrl"])


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


# The webhooks these tests registered. The session's queue also carries other tests' events (the contract
# run registers hundreds of endpoints; their failed sends come back after their backoff): `drain` drops those.
OURS: set[str] = set()


def register(ws: Workspace, url: str, events: list[str] | None = None) -> dict[str, Any]:
    answer = ws.admin.call("POST", "/webhooks", {"url": url, "events": events or ["post.published"]})
    assert answer.status == 201, answer.body
    OURS.add(answer.body["id"])
    return dict(answer.body)


def drain() -> list[dict[str, Any]]:
    """Receive what is visible on the webhook queue as Lambda would hand it, and run the sender on this
    module's messages (until none is visible); another test's message is dropped."""
    sqs = boto3.client("sqs")
    url = get_settings().webhook_queue_url
    records: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", []):
        ours = [m for m in messages if json.loads(m["Body"]).get("webhook_id") in OURS]
        for m in (m for m in messages if m not in ours):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        batch = [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"]} for m in ours]
        failed = {f["itemIdentifier"] for f in sending.handle_batch(batch)["batchItemFailures"]} if batch else set()
        for m in ours:
            if m["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        records += batch
    return records


def test_an_event_reaches_the_endpoint_signed_once_however_often_it_is_emitted(
    ws: Workspace, receiver: Receiver
) -> None:
    hook = register(ws, receiver.url)
    assert hook["secret"].startswith("whsec_") and hook["status"] == "enabled"
    data = {"post_id": "p1", "channel_id": ws.channel_id, "url": "https://example.com/p1"}
    assert emit(ws.id, EventType.POST_PUBLISHED, "p1.c1", data) == 1
    emit(ws.id, EventType.POST_PUBLISHED, "p1.c1", data)  # a repeat (a publish message seen twice)
    emit(ws.id, EventType.INBOX_ITEM, "i1", {"id": "i1"})  # not subscribed
    drain()
    drain()
    (payload,) = receiver.verified(hook["secret"])
    assert payload["type"] == "post.published" and payload["data"] == data
    assert receiver.received[0].headers["webhook-id"].startswith("msg_")
    log = ws.viewer.call("GET", f"/webhooks/{hook['id']}/deliveries").body["items"]
    assert [(d["event_type"], d["status"], d["attempts"]) for d in log] == [("post.published", "delivered", 1)]
    health = ws.viewer.call("GET", f"/webhooks/{hook['id']}").body["health"]
    assert health["last_success_at"] is not None and health["failing_since"] is None


def test_a_failed_send_waits_its_backoff_keeps_its_id_and_tells_the_health(ws: Workspace, receiver: Receiver) -> None:
    hook = register(ws, receiver.url)
    receiver.answers = [500]
    emit(ws.id, EventType.POST_PUBLISHED, "p1.c1", {"post_id": "p1"})
    drain()
    (delivery,) = WebhookDeliveryRecord.query(hook["id"])
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status == 500
    assert delivery.next_attempt_at is not None and delivery.last_error == "the endpoint answered 500"
    assert drain() == []  # the message waits out its backoff (its visibility timeout), not polled meanwhile
    endpoint = ws.admin.call("GET", f"/webhooks/{hook['id']}").body
    assert endpoint["health"]["failing_since"] is not None and endpoint["status"] == "enabled"
    # the retry, as it comes back: same id, same body, a fresh signature
    outcome = sending.send(hook["id"], delivery.event_id)
    assert outcome.done
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] and first.body == second.body
    assert len(receiver.verified(hook["secret"])) == 2
    assert WebhookDeliveryRecord.get(hook["id"], delivery.event_id).status == "delivered"


def test_an_event_is_given_up_after_24_hours_and_an_endpoint_failing_for_a_day_is_disabled(
    ws: Workspace, receiver: Receiver
) -> None:
    hook = register(ws, receiver.url)
    receiver.answers = [503, 503]
    emit(ws.id, EventType.POST_PUBLISHED, "p1.c1", {"post_id": "p1"})
    (delivery,) = WebhookDeliveryRecord.query(hook["id"])
    delivery.update(actions=[WebhookDeliveryRecord.created_at.set(clock.now() - timedelta(hours=24))])
    assert sending.send(hook["id"], delivery.event_id).done  # given up, not waited on
    assert WebhookDeliveryRecord.get(hook["id"], delivery.event_id).status == "failed"

    WebhookRecord(ws.id, hook["id"]).update(
        actions=[WebhookRecord.failing_since.set(clock.now() - timedelta(hours=25))]
    )
    emit(ws.id, EventType.POST_PUBLISHED, "p2.c1", {"post_id": "p2"})
    drain()
    endpoint = ws.admin.call("GET", f"/webhooks/{hook['id']}").body
    assert endpoint["status"] == "disabled" and "no success" in endpoint["status_reason"]
    assert emit(ws.id, EventType.POST_PUBLISHED, "p3.c1", {"post_id": "p3"}) == 0  # a disabled one is not told
    on = ws.admin.call("PATCH", f"/webhooks/{hook['id']}", {"enabled": True}).body
    assert on["status"] == "enabled" and on["health"]["failing_since"] is None


def test_endpoints_are_an_admins_and_bad_ones_are_refused_naming_the_field(ws: Workspace, receiver: Receiver) -> None:
    assert ws.editor.call("POST", "/webhooks", {"url": receiver.url, "events": ["post.published"]}).status == 403
    bad_event = ws.admin.call("POST", "/webhooks", {"url": receiver.url, "events": ["post.exploded"]})
    assert bad_event.status == 422 and bad_event.body["errors"][0]["field"].startswith("events")
    twice = ws.admin.call("POST", "/webhooks", {"url": receiver.url, "events": ["post.failed", "post.failed"]})
    assert twice.status == 422
    assert ws.admin.call("GET", "/webhooks").body["items"] == []


def test_a_private_or_metadata_address_is_refused_unless_allow_listed(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(Env.OUTBOUND_ALLOWED_HOSTS.value, "")
    get_settings.cache_clear()
    for url in ("http://127.0.0.1:9001/runtime", "http://169.254.169.254/latest/meta-data", "http://10.0.0.7/"):
        refused = ws.admin.call("POST", "/webhooks", {"url": url, "events": ["post.published"]})
        assert refused.status == 422, (url, refused.body)
        assert refused.body["errors"][0]["field"] == "url" and "address" in refused.body["errors"][0]["reason"]
    assert ws.admin.call("GET", "/webhooks").body["items"] == []


def test_deleting_an_endpoint_deletes_its_secret_and_drops_what_waited(ws: Workspace, receiver: Receiver) -> None:
    hook = register(ws, receiver.url)
    emit(ws.id, EventType.POST_PUBLISHED, "p1.c1", {"post_id": "p1"})
    parameter = WebhookRecord.get(ws.id, hook["id"]).secret_parameter
    assert ws.admin.call("DELETE", f"/webhooks/{hook['id']}").status == 204
    with pytest.raises(boto3.client("ssm").exceptions.ParameterNotFound):
        boto3.client("ssm").get_parameter(Name=parameter)
    drain()
    assert receiver.received == []
    assert ws.admin.call("GET", f"/webhooks/{hook['id']}").status == 404
    body = json.loads(json.dumps(ws.admin.call("GET", "/webhooks").body))
    assert body["items"] == []
