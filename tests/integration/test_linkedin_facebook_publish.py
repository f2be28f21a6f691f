"""LinkedIn and Facebook Pages channels through the API and the publish path, against moto (DynamoDB, SSM,
Scheduler, SQS) and the networks' side as recorded answers (tests/support/linkedin_recorded.py and
facebook_recorded.py, each citing the network's docs page; served by `responses`: no local server or
published spec exists for these networks).

The channels are created through the domain (`channels.connect` with a credential): the OAuth connect
flow for these networks is built in parallel and ends in the same call.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
import requests
import responses

from parley.connect import channels
from parley.listening import poll
from parley.networks import facebook, linkedin
from parley.networks.base import Credential
from parley.publishing import deliveries
from parley.publishing import publish as publishing
from parley.scheduling import PublishMessage
from parley.scheduling.wiring import arming, polls
from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.names import Queue, physical_name
from parley.store import ChannelRecord, PostRecord
from parley.store.keys import DeliveryKey
from parley.team import tokens
from tests.support import facebook_recorded as fb
from tests.support import linkedin_recorded as li
from tests.support.api import ApiClient
from tests.support.images import png

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LINKEDIN_API = "http://127.0.0.1:4021"
FACEBOOK_API = "http://127.0.0.1:4031"
GRAPH = f"{FACEBOOK_API}/{facebook.GRAPH_VERSION}"


@dataclass
class Brand:
    workspace_id: str
    editor: ApiClient
    channel_id: str


@pytest.fixture
def manual_clock(aws: str) -> Iterator[clock.ManualClock]:
    manual = clock.ManualClock(START)
    clock.set_clock(manual)
    yield manual
    clock.set_clock(clock.SystemClock())


@pytest.fixture
def network() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def connect(network_name: str, credential: Credential) -> Brand:
    admin = tokens.create_workspace("Acme", "Ada")
    principal = tokens.authenticate(f"Bearer {admin.token}")
    record, created = channels.connect(principal, get_settings(), network_name, credential)
    assert created
    return Brand(admin.workspace_id, ApiClient(admin.token), str(record.channel_id))


def queue(brand: Brand, text: str, minutes: int = 30, **extra: object) -> tuple[int, dict]:
    at = (clock.now() + timedelta(minutes=minutes)).isoformat()
    draft = {"text": text, "channels": [brand.channel_id], "publish_at": at} | extra
    answer = brand.editor.call("POST", "/posts", draft)
    return answer.status, answer.body


def fire(brand: Brand, post_id: str) -> str:
    """What the publish queue does when the delivery is due: the outcome's state."""
    key = DeliveryKey(brand.workspace_id, post_id, brand.channel_id)
    record = deliveries.get(key)
    assert record is not None
    clock.get_clock().sleep(max((record.due_at - clock.now()).total_seconds(), 0))  # type: ignore[attr-defined]
    return publishing.handle_due(PublishMessage(key, record.due_at), arming()).state


def creates(network: responses.RequestsMock, path_end: str) -> int:
    return sum(
        1 for c in network.calls if c.request.method == "POST" and urlparse(str(c.request.url)).path.endswith(path_end)
    )


def test_linkedin_text_over_3000_is_refused_at_queue_time_and_a_post_goes_out_once(
    manual_clock: clock.ManualClock, network: responses.RequestsMock
) -> None:
    network.add(responses.GET, f"{LINKEDIN_API}/rest/organizations/5515715", json=li.ORGANIZATION_200)
    brand = connect("linkedin", Credential(li.ORG, "linkedin-token", LINKEDIN_API))

    status, body = queue(brand, "a" * 3001)
    assert status == 422
    (problem,) = body["errors"]
    assert problem["field"] == "text" and "LinkedIn allows at most 3000" in problem["reason"]
    assert not list(PostRecord.query(brand.workspace_id))  # nothing written

    status, body = queue(brand, "Launch day (finally) #launch")
    assert status == 201
    # The first attempt times out on LinkedIn's side although the post was made; the retry looks first.
    network.add(responses.POST, f"{LINKEDIN_API}/rest/posts", body=requests.Timeout())
    assert fire(brand, body["id"]) == "retrying"
    made_at = int(clock.now().timestamp() * 1000)
    network.add(
        responses.GET,
        f"{LINKEDIN_API}/rest/posts",
        json=li.posts_by_author(linkedin.little_text("Launch day (finally) #launch"), made_at),
    )

    assert fire(brand, body["id"]) == "published"

    assert creates(network, "/rest/posts") == 1
    record = deliveries.get(DeliveryKey(brand.workspace_id, body["id"], brand.channel_id))
    assert record is not None and record.remote_id == li.CREATED_URN


def test_facebook_page_post_goes_out_once(manual_clock: clock.ManualClock, network: responses.RequestsMock) -> None:
    network.add(responses.GET, f"{GRAPH}/{fb.PAGE_ID}", json=fb.PAGE_200)
    brand = connect("facebook", Credential(fb.PAGE_ID, "page-token", FACEBOOK_API))
    network.add(responses.POST, f"{GRAPH}/{fb.PAGE_ID}/feed", json=fb.FEED_CREATED_200)

    status, body = queue(brand, "Fresh roast today")
    assert status == 201
    assert fire(brand, body["id"]) == "published"
    assert fire(brand, body["id"]) == "published"  # a duplicate event: nothing more

    assert creates(network, "/feed") == 1


def test_a_facebook_photo_is_fetched_by_facebook_from_a_presigned_url_of_the_stored_image(
    aws: str, manual_clock: clock.ManualClock, network: responses.RequestsMock
) -> None:
    network.add_passthru(aws)  # moto's S3: the upload, and the fetch standing in for Facebook's
    network.add(responses.GET, f"{GRAPH}/{fb.PAGE_ID}", json=fb.PAGE_200)
    brand = connect("facebook", Credential(fb.PAGE_ID, "page-token", FACEBOOK_API))
    network.add(responses.POST, f"{GRAPH}/{fb.PAGE_ID}/photos", json=fb.PHOTO_POSTED_200)
    image = png(8, 6)
    created = brand.editor.call("POST", "/media", {"content_type": "image/png", "size": len(image), "alt": "A cup"})
    fields = created.body["upload"]
    requests.post(fields["url"], data=fields["fields"], files={"file": ("image", image)}, timeout=10)
    assert brand.editor.call("POST", f"/media/{created.body['id']}/complete").body["status"] == "ready"

    status, body = queue(brand, "Fresh roast today", media=[created.body["id"]])
    assert status == 201, body
    assert fire(brand, body["id"]) == "published"

    (photo,) = [c for c in network.calls if urlparse(str(c.request.url)).path.endswith("/photos")]
    sent = parse_qs(str(photo.request.body))
    assert sent["caption"] == ["Fresh roast today"] and sent["alt_text_custom"] == ["A cup"]
    assert "Signature=" in sent["url"][0]  # presigned
    assert requests.get(sent["url"][0], timeout=10).content == image  # what Facebook would fetch
    _drain_upload_events()


def _drain_upload_events() -> None:
    """The upload's S3 event waits in the media-uploads queue (no media-check function runs here): leave
    the queue as found, for the tests that read it."""
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=physical_name(Queue.MEDIA_UPLOADS))["QueueUrl"]
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_a_listener_on_a_linkedin_channel_is_refused_naming_the_channel(
    manual_clock: clock.ManualClock, network: responses.RequestsMock
) -> None:
    network.add(responses.GET, f"{LINKEDIN_API}/rest/organizations/5515715", json=li.ORGANIZATION_200)
    brand = connect("linkedin", Credential(li.ORG, "linkedin-token", LINKEDIN_API))

    answer = brand.editor.call(
        "POST", "/listeners", {"channel_id": brand.channel_id, "kind": "hashtag", "value": "launch"}
    )

    assert answer.status == 422
    (problem,) = answer.body["errors"]
    assert problem["field"] == "channel_id" and "LinkedIn" in problem["reason"]


def test_a_published_facebook_post_is_polled_comments_reach_the_inbox_and_an_answer_threads_once(
    manual_clock: clock.ManualClock, network: responses.RequestsMock
) -> None:
    network.add(responses.GET, f"{GRAPH}/{fb.PAGE_ID}", json=fb.PAGE_200)
    brand = connect("facebook", Credential(fb.PAGE_ID, "page-token", FACEBOOK_API))
    network.add(responses.POST, f"{GRAPH}/{fb.PAGE_ID}/feed", json=fb.FEED_CREATED_200)
    status, body = queue(brand, "Fresh roast today")
    assert status == 201 and fire(brand, body["id"]) == "published"
    network.add(responses.GET, f"{GRAPH}/{fb.POST_ID}", json=fb.COUNTERS_200)
    network.add(responses.GET, f"{GRAPH}/{fb.POST_ID}/insights", status=403, json=fb.NO_INSIGHTS_10)
    network.add(responses.GET, f"{GRAPH}/{fb.POST_ID}/comments", json=fb.COMMENTS_200)

    manual_clock.sleep(3600)
    result = poll.run(brand.workspace_id, brand.channel_id, polls())

    assert result.polled == 1 and len(result.new_items) == 2  # the Page's own comment left out
    items = brand.editor.call("GET", "/inbox").body["items"]
    assert sorted(i["text"] for i in items) == ["Love this roast!", "Same here"]
    grace = next(i for i in items if i["text"] == "Love this roast!")
    assert brand.editor.call("POST", f"/inbox/{grace['id']}/claim").status == 200
    network.add(responses.GET, f"{GRAPH}/{fb.COMMENT_1}/comments", json={"data": []})
    network.add(responses.POST, f"{GRAPH}/{fb.COMMENT_1}/comments", json=fb.COMMENT_CREATED_200)

    answer = brand.editor.call("POST", f"/inbox/{grace['id']}/reply", {"text": "Thanks, Grace!"})

    assert answer.status in (200, 201, 202), answer.body
    assert creates(network, f"/{fb.COMMENT_1}/comments") == 1


def test_a_revoked_linkedin_token_fails_the_delivery_and_marks_the_channel(
    manual_clock: clock.ManualClock, network: responses.RequestsMock
) -> None:
    network.add(responses.GET, f"{LINKEDIN_API}/rest/organizations/5515715", json=li.ORGANIZATION_200)
    brand = connect("linkedin", Credential(li.ORG, "linkedin-token", LINKEDIN_API))
    network.add(responses.POST, f"{LINKEDIN_API}/rest/posts", status=401, json=li.REVOKED_401)
    status, body = queue(brand, "Hello")
    assert status == 201

    assert fire(brand, body["id"]) == "failed"

    channel = ChannelRecord.get(brand.workspace_id, brand.channel_id)
    assert channel.status == "needs_reauth" and "revoked" in str(channel.status_reason)


def test_a_throttled_facebook_page_retries_at_facebooks_estimate(
    manual_clock: clock.ManualClock, network: responses.RequestsMock
) -> None:
    network.add(responses.GET, f"{GRAPH}/{fb.PAGE_ID}", json=fb.PAGE_200)
    brand = connect("facebook", Credential(fb.PAGE_ID, "page-token", FACEBOOK_API))
    network.add(responses.POST, f"{GRAPH}/{fb.PAGE_ID}/feed", status=400, json=fb.THROTTLED_32, headers=fb.BUC_HEADERS)
    status, body = queue(brand, "Fresh roast today")
    assert status == 201

    assert fire(brand, body["id"]) == "retrying"

    record = deliveries.get(DeliveryKey(brand.workspace_id, body["id"], brand.channel_id))
    assert record is not None and record.due_at == clock.now() + timedelta(minutes=19)
