"""Media against moto's S3 and DynamoDB: register, upload with the presigned POST, check, read.

moto does not enforce a presigned POST's content-length-range (AWS refuses the upload with 400); the
check after upload refuses an oversized file either way, which is what these tests pin down."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from xml.etree import ElementTree

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from parley.media import uploads
from parley.shared import clock, ids
from parley.shared.config import get_settings
from parley.shared.names import Queue, physical_name
from parley.store import ChannelRecord, DeliveryRecord, MediaRecord, PostRecord
from parley.team import tokens
from tests.support.api import ApiClient, FakeContext
from tests.support.images import png
from tests.support.loopback import allow_loopback, serving
from tests.support.peers import MastodonMock


@pytest.fixture
def editor(aws: str) -> ApiClient:
    admin = tokens.create_workspace("Pics", "Ada")
    return ApiClient(admin.token)


def upload(answer_body: dict[str, Any], data: bytes, content_type: str | None = None) -> requests.Response:
    form = answer_body["upload"]
    fields = dict(form["fields"])
    if content_type:
        fields["Content-Type"] = content_type
    return requests.post(form["url"], data=fields, files={"file": ("image", data)}, timeout=10)


def register(client: ApiClient, data: bytes, content_type: str = "image/png", **extra: Any) -> dict[str, Any]:
    answer = client.call("POST", "/media", {"content_type": content_type, "size": len(data), **extra})
    assert answer.status == 201, answer.body
    body: dict[str, Any] = answer.body
    return body


def test_an_uploaded_png_is_checked_ready_with_its_dimensions(editor: ApiClient) -> None:
    image = png(8, 5)
    created = register(editor, image, alt="A red square")
    assert created["status"] == "pending"

    assert upload(created, image).status_code in (200, 201, 204)
    checked = editor.call("POST", f"/media/{created['id']}/complete")

    assert checked.status == 200
    assert checked.body["status"] == "ready"
    assert (checked.body["width"], checked.body["height"], checked.body["size"]) == (8, 5, len(image))
    assert editor.call("GET", f"/media/{created['id']}").body["alt"] == "A red square"


def test_completing_twice_changes_nothing(editor: ApiClient) -> None:
    image = png()
    created = register(editor, image)
    upload(created, image)

    first = editor.call("POST", f"/media/{created['id']}/complete").body
    again = editor.call("POST", f"/media/{created['id']}/complete").body

    assert first == again and again["status"] == "ready"


def test_a_png_declared_as_jpeg_is_rejected_naming_the_real_type(editor: ApiClient) -> None:
    image = png()
    created = register(editor, image, content_type="image/jpeg")
    upload(created, image)

    checked = editor.call("POST", f"/media/{created['id']}/complete").body

    assert checked["status"] == "rejected"
    assert "image/png, not image/jpeg" in checked["reason"]


def test_a_file_larger_than_declared_is_refused(editor: ApiClient) -> None:
    created = register(editor, png())  # declares the small file's size
    big = png(padding=5000)

    stored = upload(created, big)
    checked = editor.call("POST", f"/media/{created['id']}/complete").body

    # AWS refuses the upload itself (content-length-range); moto stores it and the check rejects it.
    assert stored.status_code == 400 or (checked["status"] == "rejected" and "more than" in checked["reason"])


def test_completing_before_uploading_is_409_and_the_media_stays_pending(editor: ApiClient) -> None:
    created = register(editor, png())

    answer = editor.call("POST", f"/media/{created['id']}/complete")

    assert answer.status == 409 and "upload the file first" in answer.body["detail"]
    assert editor.call("GET", f"/media/{created['id']}").body["status"] == "pending"


def test_a_type_parley_does_not_take_is_422(editor: ApiClient) -> None:
    answer = editor.call("POST", "/media", {"content_type": "image/bmp", "size": 10})

    assert answer.status == 422 and answer.body["errors"][0]["field"] == "content_type"


def test_another_workspaces_media_is_404(editor: ApiClient) -> None:
    created = register(editor, png())
    other = ApiClient(tokens.create_workspace("Other", "Bo").token)

    assert other.call("GET", f"/media/{created['id']}").status == 404
    assert other.call("POST", f"/media/{created['id']}/complete").status == 404


# ---- queue time ---------------------------------------------------------------------------------


@dataclass
class Team:
    client: ApiClient
    workspace_id: str
    channels: dict[str, str]  # network -> channel id


def add_channel(workspace_id: str, member_id: str, network: str) -> str:
    channel_id = "ch_" + ids.new_id()
    ChannelRecord(
        workspace_id,
        channel_id,
        network=network,
        handle=f"acme-{network}",
        remote_id="remote",
        service_url="http://127.0.0.1:1",
        credential_parameter="/parley/test/credential",
        created_at=clock.now(),
        created_by=member_id,
    ).save()
    return channel_id


@pytest.fixture
def team(aws: str) -> Team:
    admin = tokens.create_workspace("Shop", "Ada")
    chans = {n: add_channel(admin.workspace_id, admin.member_id, n) for n in ("bluesky", "mastodon")}
    return Team(ApiClient(admin.token), admin.workspace_id, chans)


def ready_media(client: ApiClient, data: bytes, alt: str | None = "alt", complete: bool = True) -> str:
    created = register(client, data, **({"alt": alt} if alt else {}))
    upload(created, data)
    if complete:
        assert client.call("POST", f"/media/{created['id']}/complete").body["status"] == "ready"
    return str(created["id"])


def queue(team: Team, networks: tuple[str, ...] = ("bluesky",), **body: Any) -> Any:
    publish_at = (clock.now() + timedelta(hours=1)).isoformat()
    draft = {"text": "New in the shop", "channels": [team.channels[n] for n in networks], "publish_at": publish_at}
    return team.client.call("POST", "/posts", draft | body)


def errors(answer: Any) -> dict[str, str]:
    return {e["field"]: e["reason"] for e in answer.body["errors"]}


def test_a_post_with_a_ready_image_is_queued_and_its_deliveries_carry_it(team: Team) -> None:
    media_id = ready_media(team.client, png())

    answer = queue(team, ("bluesky", "mastodon"), media=[media_id])

    assert answer.status == 201, answer.body
    assert answer.body["media"] == [media_id]
    stored = {d.network: d.media_ids for d in DeliveryRecord.query(answer.body["id"])}
    assert stored == {"bluesky": [media_id], "mastodon": [media_id]}
    assert MediaRecord.get(media_id).in_use == {f"{answer.body['id']}.{team.channels[n]}" for n in stored}


def test_an_uploaded_image_that_was_never_completed_is_checked_at_queue_time(team: Team) -> None:
    media_id = ready_media(team.client, png(), complete=False)

    assert queue(team, media=[media_id]).status == 201
    assert team.client.call("GET", f"/media/{media_id}").body["status"] == "ready"


def test_an_unknown_or_not_uploaded_image_is_422_and_nothing_is_written(team: Team) -> None:
    pending = register(team.client, png())["id"]

    answer = queue(team, media=["m_nope", pending])

    assert answer.status == 422
    assert errors(answer) == {"media[0]": "no media m_nope", "media[1]": f"{pending} is not uploaded yet"}
    assert list(PostRecord.query(team.workspace_id)) == []


def test_a_rejected_image_is_422_with_its_reason(team: Team) -> None:
    image = png()
    created = register(team.client, image, content_type="image/jpeg")
    upload(created, image)

    answer = queue(team, media=[created["id"]])

    assert answer.status == 422 and "rejected: the file is image/png" in errors(answer)["media[0]"]


def test_another_workspaces_image_is_404(team: Team) -> None:
    other = ApiClient(tokens.create_workspace("Other", "Bo").token)
    foreign = ready_media(other, png())

    assert queue(team, media=[foreign]).status == 404


def test_more_images_than_bluesky_takes_is_422_naming_the_network_and_limit(team: Team) -> None:
    media_ids = [ready_media(team.client, png(i + 1, 1)) for i in range(5)]

    answer = queue(team, ("bluesky",), media=media_ids)

    assert answer.status == 422
    assert errors(answer)["media"] == "5 images; Bluesky takes at most 4 per post"


def test_an_image_over_bluesky_s_size_limit_is_422_naming_image_network_and_limit(team: Team) -> None:
    big = ready_media(team.client, png(padding=1_100_000))

    answer = queue(team, ("bluesky", "mastodon"), media=[big])

    assert answer.status == 422
    reason = errors(answer)["media[0]"]
    assert big in reason and "Bluesky takes at most 1000000 bytes per image" in reason
    # the same image within Mastodon's limit goes out there alone
    ok = queue(team, ("bluesky", "mastodon"), media=[big], overrides={"bluesky": {"media": []}})
    assert ok.status == 201, ok.body


def test_a_workspace_that_requires_alt_text_refuses_an_image_without_it(team: Team) -> None:
    assert team.client.call("PUT", "/workspace/media", {"require_alt_text": True}).status == 200
    bare = ready_media(team.client, png(), alt=None)

    answer = queue(team, media=[bare])

    assert answer.status == 422 and "no alt text" in errors(answer)["media[0]"]


def test_a_cancelled_post_retires_its_image(team: Team) -> None:
    media_id = ready_media(team.client, png())
    post_id = queue(team, media=[media_id]).body["id"]

    assert team.client.call("DELETE", f"/posts/{post_id}").status == 200

    record = MediaRecord.get(media_id)
    assert not record.in_use and record.expires_at is not None
    tags = boto3.client("s3").get_object_tagging(Bucket=get_settings().media_bucket, Key=record.object_key)
    assert tags["TagSet"] == [{"Key": "parley-use", "Value": "retired"}]


@pytest.mark.peers
def test_a_mastodon_channel_is_held_to_its_own_instances_image_limit(aws: str, mastodon_mock: MastodonMock) -> None:
    # mastodon_mock (a mock written by others) says image_size_limit 10485760 in /api/v2/instance
    admin = tokens.create_workspace("Toots", "Ada")
    client = ApiClient(admin.token)
    token = mastodon_mock.new_account("image_limits")
    connected = client.call(
        "POST", "/channels", {"network": "mastodon", "access_token": token, "service_url": mastodon_mock.base_url}
    )
    assert connected.status == 201, connected.body
    big = ready_media(client, png(padding=10_600_000))
    team = Team(client, admin.workspace_id, {"mastodon": connected.body["id"]})

    answer = queue(team, ("mastodon",), media=[big])

    assert answer.status == 422
    assert "Mastodon takes at most 10485760 bytes per image" in errors(answer)["media[0]"]


# ---- the check after upload, from S3's event notification ----------------------------------------


def uploads_queue_messages() -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=physical_name(Queue.MEDIA_UPLOADS))["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return list(messages)


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    records = [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {},
            "messageAttributes": {},
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:parley-media-uploads",
            "awsRegion": "us-east-1",
        }
        for m in messages
    ]
    return {"Records": records}


def test_an_upload_is_checked_by_the_media_check_function_from_s3_s_event(editor: ApiClient) -> None:
    from functions.media_check.handler import lambda_handler

    uploads_queue_messages()  # whatever earlier tests left
    good, bad = png(3, 2), png()
    created = register(editor, good)
    mislabelled = register(editor, bad, content_type="image/gif")
    upload(created, good)
    upload(mislabelled, bad)

    answer = lambda_handler(sqs_event(uploads_queue_messages()), FakeContext())

    assert answer == {"batchItemFailures": []}
    assert editor.call("GET", f"/media/{created['id']}").body["status"] == "ready"
    assert editor.call("GET", f"/media/{mislabelled['id']}").body["status"] == "rejected"


class _TwoPages(BaseHTTPRequestHandler):
    """Two pages with Open Graph titles, on 127.0.0.1 (the link-card edit test's web)."""

    def do_GET(self) -> None:
        title = {"/spring": "Spring sale", "/summer": "Summer sale"}.get(self.path)
        if title is None:
            self.send_response(404)
            self.end_headers()
            return
        body = f'<html><head><meta property="og:title" content="{title}"></head></html>'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def pages(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    allow_loopback(monkeypatch)
    with serving(_TwoPages) as url:
        yield url
    get_settings.cache_clear()


def test_an_edit_that_changes_the_link_changes_the_card_and_one_that_keeps_it_keeps_the_card(
    team: Team, pages: str
) -> None:
    queued = queue(team, text=f"Spring: {pages}/spring", link_card={"description": "Ours"})
    post_id = queued.body["id"]
    assert queued.body["link_card"]["title"] == "Spring sale"

    kept = team.client.call("PATCH", f"/posts/{post_id}", {"text": f"Spring, now: {pages}/spring"})
    assert kept.body["post"]["link_card"] == queued.body["link_card"]  # the marketer's description stays

    moved = team.client.call("PATCH", f"/posts/{post_id}", {"text": f"Summer: {pages}/summer"})
    assert moved.body["post"]["link_card"]["title"] == "Summer sale"
    (delivery,) = DeliveryRecord.query(post_id)
    assert delivery.link_card is not None and delivery.link_card.as_dict()["url"] == f"{pages}/summer"

    gone = team.client.call("PATCH", f"/posts/{post_id}", {"text": "No link any more"})
    assert gone.body["post"]["link_card"] is None and gone.body["post"]["link_card_missing"] is None
    (delivery,) = DeliveryRecord.query(post_id)
    assert delivery.link_card is None


def test_a_link_whose_page_gives_no_card_says_why(team: Team, pages: str) -> None:
    queued = queue(team, text=f"Our feed: {pages}/missing")
    assert queued.status == 201, queued.body
    assert queued.body["link_card"] is None
    assert "could not be read" in queued.body["link_card_missing"]
    assert "link_card.title" in queued.body["link_card_missing"]  # what to do about it

    found = team.client.call("PATCH", f"/posts/{queued.body['id']}", {"text": f"Spring: {pages}/spring"})
    assert found.body["post"]["link_card"]["title"] == "Spring sale"
    assert found.body["post"]["link_card_missing"] is None


# ---- a second upload through the same presigned POST (issue 15 item 9) ---------------------------


def upload_as_aws_does(answer_body: dict[str, Any], data: bytes) -> None:
    """The presigned POST, then what AWS does and moto does not: the policy's `tagging` field tags the
    new object (`parley-use=unused`), whatever tag the key's object had before."""
    assert upload(answer_body, data).status_code in (200, 201, 204)
    fields = answer_body["upload"]["fields"]
    tag = ElementTree.fromstring(fields["tagging"]).find("./TagSet/Tag")
    assert tag is not None
    boto3.client("s3").put_object_tagging(
        Bucket=get_settings().media_bucket,
        Key=fields["key"],
        Tagging={"TagSet": [{"Key": tag.findtext("Key"), "Value": tag.findtext("Value")}]},
    )


def run_media_check() -> None:
    """The media-check function on every S3 event waiting in its queue."""
    from functions.media_check.handler import lambda_handler

    assert lambda_handler(sqs_event(uploads_queue_messages()), FakeContext()) == {"batchItemFailures": []}


def test_a_second_upload_after_complete_never_replaces_the_checked_image(editor: ApiClient) -> None:
    uploads_queue_messages()  # whatever earlier tests left
    checked, swapped = png(8, 5), png(3, 3)
    created = register(editor, checked)
    upload(created, checked)
    assert editor.call("POST", f"/media/{created['id']}/complete").body["status"] == "ready"

    upload_as_aws_does(created, swapped)  # the POST is good for an hour
    run_media_check()

    record = MediaRecord.get(created["id"])
    assert (record.status, record.width, record.height) == ("ready", 8, 5)
    assert uploads.read_bytes(record) == checked  # what a post sends
    with pytest.raises(ClientError):  # the second upload is gone: the upload key died with the check
        boto3.client("s3").head_object(Bucket=get_settings().media_bucket, Key=created["upload"]["fields"]["key"])


def test_a_re_upload_cannot_untag_an_image_a_post_uses(team: Team) -> None:
    uploads_queue_messages()
    image = png()
    created = register(team.client, image, alt="alt")
    upload(created, image)
    assert team.client.call("POST", f"/media/{created['id']}/complete").body["status"] == "ready"
    assert queue(team, media=[created["id"]]).status == 201

    upload_as_aws_does(created, png(2, 2))
    run_media_check()

    record = MediaRecord.get(created["id"])
    tags = boto3.client("s3").get_object_tagging(Bucket=get_settings().media_bucket, Key=record.object_key)
    assert tags["TagSet"] == [{"Key": "parley-use", "Value": "in-use"}]  # the lifecycle keeps it
    assert uploads.read_bytes(record) == image


def test_s3_tells_the_media_check_of_uploads_only_not_of_the_checks_own_copies(editor: ApiClient) -> None:
    uploads_queue_messages()
    image = png()
    created = register(editor, image)
    upload(created, image)
    assert editor.call("POST", f"/media/{created['id']}/complete").body["status"] == "ready"

    told = [key for m in uploads_queue_messages() for key in uploads.uploaded_keys(json.loads(m["Body"]))]

    assert told == [created["upload"]["fields"]["key"]]
    assert MediaRecord.get(created["id"]).object_key.startswith("checked/")


def test_a_check_that_loses_the_race_to_settle_leaves_the_winners_bytes(editor: ApiClient) -> None:
    first, second = png(8, 5), png(3, 3)
    created = register(editor, first)
    upload(created, first)
    late = MediaRecord.get(created["id"])  # a second check read the record while it was pending
    uploads.check(MediaRecord.get(created["id"]))

    upload(created, second)
    settled = uploads.check(late)  # reads the second file, but the first check settled the media

    assert (settled.width, settled.height) == (8, 5)
    assert uploads.read_bytes(settled) == first


def test_a_check_that_finds_the_upload_deleted_by_a_check_that_settled_it_answers_the_settled_media(
    editor: ApiClient,
) -> None:
    image = png(8, 5)
    created = register(editor, image)
    upload(created, image)
    late = MediaRecord.get(created["id"])  # read while pending, e.g. by a post being queued
    uploads.check(MediaRecord.get(created["id"]))  # settles it and deletes the upload

    settled = uploads.check(late)

    assert (settled.status, settled.width, settled.height) == ("ready", 8, 5)
