"""A channel as a resource: read it with its listening, change its time zone, disconnect it (moto behind the
API: real PynamoDB, Scheduler and SSM calls)."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from parley.connect import credentials
from parley.networks.base import Credential
from parley.shared import clock
from parley.store import DeliveryRecord, WatchRecord
from tests.integration.test_api_posts import Workspace, make_workspace, schedules


@pytest.fixture
def ws(aws: str) -> Workspace:
    workspace = make_workspace()
    credentials.save_credential("/parley/test/credential", Credential("acme.test", "secret", "http://127.0.0.1:1"))
    return workspace


def queue(ws: Workspace, minutes: int = 30) -> str:
    publish_at = (clock.now() + timedelta(minutes=minutes)).isoformat()
    answer = ws.editor.call("POST", "/posts", {"text": "Soon", "channels": [ws.channel_id], "publish_at": publish_at})
    assert answer.status == 201, answer.body
    return str(answer.body["id"])


def parameter_exists(name: str) -> bool:
    try:
        boto3.client("ssm").get_parameter(Name=name)
    except boto3.client("ssm").exceptions.ParameterNotFound:
        return False
    return True


def test_a_channel_is_read_with_its_listening_and_another_workspaces_is_404(ws: Workspace) -> None:
    answer = ws.viewer.call("GET", f"/channels/{ws.channel_id}")
    assert answer.status == 200, answer.body
    assert answer.body["id"] == ws.channel_id and answer.body["status"] == "active"
    assert answer.body["listening"] == {"watched_posts": 0, "listeners": 0, "next_poll": None}
    assert make_workspace("Other").admin.call("GET", f"/channels/{ws.channel_id}").status == 404


def test_the_time_zone_changes_and_a_bad_one_is_422_naming_it(ws: Workspace) -> None:
    answer = ws.editor.call("PATCH", f"/channels/{ws.channel_id}", {"time_zone": "Europe/Berlin"})
    assert answer.status == 200 and answer.body["time_zone"] == "Europe/Berlin"
    refused = ws.editor.call("PATCH", f"/channels/{ws.channel_id}", {"time_zone": "Mars/Olympus"})
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "time_zone"
    assert ws.viewer.call("PATCH", f"/channels/{ws.channel_id}", {"time_zone": "UTC"}).status == 403


def test_disconnecting_with_posts_to_go_out_is_409_listing_them_and_changes_nothing(ws: Workspace) -> None:
    post_id = queue(ws)
    answer = ws.admin.call("DELETE", f"/channels/{ws.channel_id}")
    assert answer.status == 409, answer.body
    assert [d["post_id"] for d in answer.body["deliveries"]] == [post_id]
    assert "cancel_scheduled=true" in answer.body["detail"]
    assert DeliveryRecord.get(post_id, ws.channel_id).state == "scheduled"
    assert ws.admin.call("GET", f"/channels/{ws.channel_id}").status == 200
    assert parameter_exists("/parley/test/credential")


def test_only_an_admin_disconnects(ws: Workspace) -> None:
    assert ws.editor.call("DELETE", f"/channels/{ws.channel_id}").status == 403
    assert ws.admin.call("GET", f"/channels/{ws.channel_id}").status == 200


def test_disconnecting_with_cancel_scheduled_cancels_them_deletes_the_secret_and_stops_listening(
    ws: Workspace,
) -> None:
    post_id = queue(ws)
    WatchRecord(
        f"{ws.id}#{ws.channel_id}", "lst_1", workspace_id=ws.id, channel_id=ws.channel_id, kind="hashtag"
    ).save()
    before = len(schedules())

    answer = ws.admin.call("DELETE", f"/channels/{ws.channel_id}?cancel_scheduled=true")

    assert answer.status == 200, answer.body
    assert answer.body == {"id": ws.channel_id, "disconnected": True, "cancelled_posts": [post_id]}
    assert DeliveryRecord.get(post_id, ws.channel_id).state == "cancelled"
    assert len(schedules()) == before - 1  # its publish schedule is gone
    assert not parameter_exists("/parley/test/credential")
    assert list(WatchRecord.query(f"{ws.id}#{ws.channel_id}")) == []
    assert ws.admin.call("GET", f"/channels/{ws.channel_id}").status == 404
    # what was queued on it stays readable, cancelled
    post = ws.viewer.call("GET", f"/posts/{post_id}")
    assert post.status == 200 and post.body["deliveries"][0]["state"] == "cancelled"
    assert ws.viewer.call("GET", f"/posts/{post_id}/metrics").status == 200
    assert ws.admin.call("DELETE", f"/channels/{ws.channel_id}").status == 404  # a second time: gone
