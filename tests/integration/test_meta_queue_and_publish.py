"""Instagram and Threads through the domain, against moto (S3, DynamoDB, SSM) and the loopback Meta
stand-in (tests/support/meta_standin.py: no Meta server runs locally; it serves recorded shapes).

Channels are connected with the domain's `channels.connect` and a credential (the IG/Threads user id and
a token); the OAuth connect flow that obtains that token is built in parallel (GET /channels/{network}/connect).
Queue-time refusals go through the API; publishing goes through `publishing.handle_due`, and the image
reaches Meta as a presigned GET of moto's S3 (the stand-in fetches it, as Meta does).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import pytest

from parley.connect import channels
from parley.networks.base import Credential
from parley.publishing import quotas
from parley.publishing.publish import attempt
from parley.scheduling.wiring import arming
from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.names import Queue, physical_name
from parley.store import DeliveryRecord, PostRecord
from parley.team import tokens
from tests.integration.test_media import register, upload
from tests.support import instagram_recorded as ig
from tests.support import threads_recorded as th
from tests.support.api import ApiClient
from tests.support.meta_standin import MetaStandIn, serve


def jpeg(width: int, height: int) -> bytes:
    """A minimal baseline JPEG header of `width` x `height` (SOI, JFIF, SOF0, EOI): enough for the type and
    size checks (no image library needed)."""
    jfif = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + jfif + sof + b"\xff\xd9"


@dataclass
class Meta:
    client: ApiClient
    instagram: MetaStandIn
    threads: MetaStandIn
    channels: dict[str, str]
    workspace_id: str


@pytest.fixture
def meta(aws: str) -> Iterator[Meta]:
    stand_ins = {"instagram": MetaStandIn("instagram"), "threads": MetaStandIn("threads")}
    servers = [serve(s)[0] for s in stand_ins.values()]
    admin = tokens.create_workspace("Meta", "Ada")
    principal = tokens.authenticate(f"Bearer {admin.token}")
    made = {}
    for network, stand_in in stand_ins.items():
        credential = Credential(stand_in.user_id, f"{network}-token", stand_in.base_url)
        record, created = channels.connect(principal, get_settings(), network, credential)
        assert created and record.handle == stand_in.username
        made[network] = record.channel_id
    quotas.forget()
    yield Meta(ApiClient(admin.token), stand_ins["instagram"], stand_ins["threads"], made, admin.workspace_id)
    for server in servers:
        server.shutdown()
        server.server_close()
    _drain_upload_events()


def _drain_upload_events() -> None:
    """Our uploads' S3 events: not left for the media-check tests, which read that queue."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=physical_name(Queue.MEDIA_UPLOADS))["QueueUrl"]
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _queue(meta: Meta, network: str, text: str = "New in store", **body: Any) -> Any:
    at = (clock.now() + timedelta(hours=1)).isoformat()
    return meta.client.call(
        "POST", "/posts", {"text": text, "channels": [meta.channels[network]], "publish_at": at} | body
    )


def _errors(answer: Any) -> dict[str, str]:
    return {e["field"]: e["reason"] for e in answer.body["errors"]}


def _ready_jpeg(meta: Meta, width: int = 1080, height: int = 1080) -> str:
    data = jpeg(width, height)
    created = register(meta.client, data, content_type="image/jpeg", alt="The new mug")
    upload(created, data)
    assert meta.client.call("POST", f"/media/{created['id']}/complete").body["status"] == "ready"
    return str(created["id"])


def test_instagram_without_an_image_is_refused_naming_the_network(meta: Meta) -> None:
    answer = _queue(meta, "instagram")
    assert answer.status == 422
    assert "Instagram takes no post without an image" in _errors(answer)["media"]
    assert not list(PostRecord.query(meta.workspace_id))  # nothing written
    assert meta.instagram.count("GET", "content_publishing_limit") == 1  # the limit was asked of the network


def test_an_instagram_image_out_of_its_aspect_ratio_is_refused(meta: Meta) -> None:
    media_id = _ready_jpeg(meta, 1000, 2000)
    answer = _queue(meta, "instagram", media=[media_id])
    assert answer.status == 422 and "aspect ratio" in _errors(answer)["media[0]"]


def test_threads_over_500_characters_is_refused(meta: Meta) -> None:
    answer = _queue(meta, "threads", text="a" * 497 + "\U0001f600")  # 497 + 4 bytes for the emoji
    assert answer.status == 422
    assert "501 characters as Threads counts them" in _errors(answer)["text"]


def test_the_quota_said_by_the_network_refuses_the_post_over_it(meta: Meta) -> None:
    meta.threads.quota_total = 2  # threads_publishing_limit says 250; two keeps the test short
    assert _queue(meta, "threads").status == 201
    assert _queue(meta, "threads").status == 201

    answer = _queue(meta, "threads")

    assert answer.status == 422 and "threads allows 2 posts per 24 hours" in _errors(answer)["publish_at"]
    assert meta.threads.count("GET", "threads_publishing_limit") == 1  # asked once, kept a few minutes


def test_an_instagram_post_goes_out_once_with_its_image_fetched_from_s3(meta: Meta) -> None:
    media_id = _ready_jpeg(meta)
    answer = _queue(meta, "instagram", media=[media_id])
    assert answer.status == 201, answer.body
    (record,) = DeliveryRecord.query(answer.body["id"])
    meta.instagram.fail("POST", "media_publish", 500, {"error": {"message": "An unexpected error", "code": 2}})

    # Its time has come (the publish step itself; the queue's timing is tested elsewhere).
    first = attempt(record, arming(), due_at=record.due_at, by="publish")  # container made, publishing fails

    assert first.state == "retrying", first
    recorded = DeliveryRecord.get(record.post_id, record.channel_id)
    assert recorded.remote_intent  # the container id, kept on the delivery before publishing

    second = attempt(recorded, arming(), due_at=recorded.due_at, by="retry")

    assert second.state == "published", second
    assert meta.instagram.count("POST", "media") == 1 and meta.instagram.count("POST", "media_publish") == 2
    (url, status, size) = meta.instagram.fetched[0]
    assert status == 200 and size == len(jpeg(1080, 1080)) and "Signature=" in url  # presigned
    (post,) = meta.instagram.posts()
    assert post["form"]["alt_text"] == "The new mug" and post["form"]["caption"] == "New in store"
    done = DeliveryRecord.get(record.post_id, record.channel_id)
    assert done.state == "published" and done.remote_id == post["id"]


def test_a_threads_text_post_goes_out_once(meta: Meta) -> None:
    answer = _queue(meta, "threads", text="Hello Threads \U0001f44b")
    (record,) = DeliveryRecord.query(answer.body["id"])
    outcome = attempt(record, arming(), due_at=record.due_at, by="publish")
    assert outcome.state == "published"
    assert meta.threads.count("POST", "threads") == 1 and meta.threads.count("POST", "threads_publish") == 1
    assert ig.USER_ID != th.USER_ID  # the two stand-ins are two accounts


def test_a_listener_on_instagram_is_refused_and_on_threads_accepted(meta: Meta) -> None:
    body = {"channel_id": meta.channels["instagram"], "kind": "hashtag", "value": "spring"}
    refused = meta.client.call("POST", "/listeners", body)
    assert refused.status == 422 and "Instagram's API offers no search" in _errors(refused)["channel_id"]

    accepted = meta.client.call("POST", "/listeners", body | {"channel_id": meta.channels["threads"]})
    assert accepted.status == 201, accepted.body
