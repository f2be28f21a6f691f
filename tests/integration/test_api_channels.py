"""A channel as a resource: read it with its listening, change its time zone, disconnect it (moto behind the
API: real PynamoDB, Scheduler and SSM calls)."""

from __future__ import annotations

from datetime import timedelta

import boto3
import pytest

from parley.connect import credentials
from parley.networks.base import Credential
from parley.shared import clock
from parley.store import ChannelRecord, DeliveryRecord, WatchRecord
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
    assert answer.body == {"id": ws.channel_id, "disconnected": True, "cancelled_posts": [post_id], "failed_posts": []}
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


def test_a_channels_health_says_how_its_credential_lasts_and_when_it_last_published_and_was_read(
    ws: Workspace,
) -> None:
    from parley.connect import health

    before = ws.viewer.call("GET", f"/channels/{ws.channel_id}").body["health"]
    assert before["ok"] is True and "app password" in before["credential"]
    assert before["token_expires_at"] is None and before["last_published_at"] is None
    published, polled = clock.now() - timedelta(hours=2), clock.now() - timedelta(minutes=5)
    health.note(ws.id, ws.channel_id, published_at=published)
    health.note(ws.id, ws.channel_id, polled_at=polled)
    after = ws.viewer.call("GET", f"/channels/{ws.channel_id}").body["health"]
    assert after["last_published_at"] == published.isoformat() and after["last_polled_at"] == polled.isoformat()
    health.note(ws.id, "ch_gone", published_at=published)  # a channel disconnected meanwhile: nothing, no error


def test_an_oauth_channels_health_tells_its_tokens_expiry_and_whether_it_is_renewed(ws: Workspace) -> None:
    from parley.connect import health

    record = ChannelRecord.get(ws.id, ws.channel_id)
    record.update(actions=[ChannelRecord.network.set("x"), ChannelRecord.credential_parameter.set("/parley/test/x")])
    expires = clock.now() + timedelta(hours=2)
    session = credentials.SsmSessionStore(credentials.session_parameter("/parley/test/x"))
    session.save({"access_token": "a", "expires_at": expires.isoformat(), "refresh_token": "r"})
    view = health.health(ChannelRecord.get(ws.id, ws.channel_id))
    assert view["token_expires_at"] == expires.isoformat() and view["renewed_automatically"] is True
    assert view["credential"] == "a token renewed before it expires"
    session.save({"access_token": "a", "expires_at": (clock.now() - timedelta(minutes=1)).isoformat()})
    lapsed = health.health(ChannelRecord.get(ws.id, ws.channel_id))
    assert lapsed["ok"] is False and lapsed["renewed_automatically"] is False
    assert "connect the channel again" in lapsed["credential"]


def _set_state(post_id: str, channel_id: str, state: str) -> None:
    from parley.publishing.deliveries import State, state_key

    record = DeliveryRecord.get(post_id, channel_id)
    record.update(
        actions=[
            DeliveryRecord.state.set(state),
            DeliveryRecord.state_key.set(state_key(record.workspace_id, State(state))),
        ]
    )


def test_a_retry_waiting_on_the_channel_is_listed_then_ended_failed_but_an_attempt_under_way_waits(
    ws: Workspace,
) -> None:
    post_id = queue(ws)
    _set_state(post_id, ws.channel_id, "retrying")
    listed = ws.admin.call("DELETE", f"/channels/{ws.channel_id}")
    assert listed.status == 409 and [(d["post_id"], d["state"]) for d in listed.body["deliveries"]] == [
        (post_id, "retrying")
    ]
    _set_state(post_id, ws.channel_id, "publishing")
    busy = ws.admin.call("DELETE", f"/channels/{ws.channel_id}?cancel_scheduled=true")
    assert busy.status == 409 and "right now" in busy.body["detail"]
    _set_state(post_id, ws.channel_id, "retrying")
    done = ws.admin.call("DELETE", f"/channels/{ws.channel_id}?cancel_scheduled=true")
    assert done.status == 200 and done.body["failed_posts"] == [post_id] and done.body["cancelled_posts"] == []
    ended = DeliveryRecord.get(post_id, ws.channel_id)
    assert ended.state == "failed" and ended.failure_reason == "the channel was disconnected"


def test_a_channel_gets_a_display_name_and_a_patch_must_change_something(ws: Workspace) -> None:
    named = ws.editor.call("PATCH", f"/channels/{ws.channel_id}", {"display_name": "Acme (EU)"})
    assert named.status == 200 and named.body["display_name"] == "Acme (EU)" and named.body["time_zone"] == "UTC"
    assert ws.viewer.call("GET", "/channels").body["items"][0]["display_name"] == "Acme (EU)"
    assert ws.editor.call("PATCH", f"/channels/{ws.channel_id}", {}).status == 422
    assert ws.editor.call("PATCH", f"/channels/{ws.channel_id}", {"display_name": ""}).status == 422


def test_a_paused_channel_holds_what_is_due_and_what_is_queued_on_it_and_unpausing_lets_them_go(
    ws: Workspace,
) -> None:
    before = queue(ws)
    paused = ws.editor.call("PATCH", f"/channels/{ws.channel_id}", {"paused": True})
    assert paused.status == 200 and paused.body["paused"] is True
    assert paused.body["held"] == [f"{before}.{ws.channel_id}"]
    during = queue(ws, minutes=45)
    assert [DeliveryRecord.get(p, ws.channel_id).state for p in (before, during)] == ["held", "held"]
    # the workspace's own resume leaves a paused channel's posts held
    assert ws.editor.call("POST", "/workspace/resume").status == 200
    assert DeliveryRecord.get(during, ws.channel_id).state == "held"
    armed = len(schedules())
    resumed = ws.editor.call("PATCH", f"/channels/{ws.channel_id}", {"paused": False})
    assert resumed.status == 200 and resumed.body["paused"] is False
    assert sorted(resumed.body["resumed"]) == sorted(f"{p}.{ws.channel_id}" for p in (before, during))
    assert [DeliveryRecord.get(p, ws.channel_id).state for p in (before, during)] == ["scheduled", "scheduled"]
    assert len(schedules()) == armed + 2  # each armed again for its time
    assert ws.viewer.call("PATCH", f"/channels/{ws.channel_id}", {"paused": True}).status == 403


def test_unpausing_while_the_workspace_is_held_keeps_them_held_until_it_resumes(ws: Workspace) -> None:
    post_id = queue(ws)
    assert ws.editor.call("PATCH", f"/channels/{ws.channel_id}", {"paused": True}).status == 200
    assert ws.editor.call("POST", "/workspace/hold").status == 200
    assert ws.editor.call("PATCH", f"/channels/{ws.channel_id}", {"paused": False}).body["resumed"] == []
    assert DeliveryRecord.get(post_id, ws.channel_id).state == "held"
    assert ws.editor.call("POST", "/workspace/resume").status == 200
    assert DeliveryRecord.get(post_id, ws.channel_id).state == "scheduled"
