"""The marketers' API against a DynamoDB/Scheduler/SQS endpoint (moto's server), in-process handler.

Channels are stored directly here (connecting one needs a network: see the Bluesky tests)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Any

import boto3
import pytest

from infra.local import openapi
from parley.shared import clock, ids
from parley.store import ChannelRecord, DeliveryRecord, PostRecord
from parley.team import members, tokens
from tests.support.api import ApiClient


@dataclass
class Workspace:
    id: str
    admin: ApiClient
    editor: ApiClient
    viewer: ApiClient
    channel_id: str


def make_workspace(name: str = "Acme") -> Workspace:
    admin = tokens.create_workspace(name, "Ada")
    editor = tokens.add_member(admin.workspace_id, "Ed", members.Role.EDITOR)
    viewer = tokens.add_member(admin.workspace_id, "Vi", members.Role.VIEWER)
    channel_id = "ch_" + ids.new_id()
    ChannelRecord(
        admin.workspace_id,
        channel_id,
        network="bluesky",
        handle="acme.test",
        remote_id="did:plc:acme",
        service_url="http://127.0.0.1:1",
        credential_parameter="/parley/test/credential",
        created_at=clock.now(),
        created_by=admin.member_id,
    ).save()
    return Workspace(
        admin.workspace_id, ApiClient(admin.token), ApiClient(editor.token), ApiClient(viewer.token), channel_id
    )


@pytest.fixture
def ws(aws: str) -> Workspace:
    return make_workspace()


def in_minutes(n: float) -> str:
    return (clock.now() + timedelta(minutes=n)).isoformat()


def draft(ws: Workspace, **overrides: Any) -> dict[str, Any]:
    return {"text": "Hello from parley", "channels": [ws.channel_id], "publish_at": in_minutes(30)} | overrides


def count_posts(ws: Workspace) -> int:
    return len(list(PostRecord.query(ws.id)))


def fields(answer: Any) -> dict[str, str]:
    return {e["field"]: e["reason"] for e in answer.body["errors"]}


def schedules() -> list[str]:
    return [s["Name"] for s in boto3.client("scheduler").list_schedules()["Schedules"]]


def test_a_queued_post_answers_201_with_its_scheduled_deliveries_and_a_schedule(ws: Workspace) -> None:
    answer = ws.editor.call("POST", "/posts", draft(ws))
    assert answer.status == 201
    assert answer.body["status"] == "scheduled"
    (delivery,) = answer.body["deliveries"]
    assert delivery["channel_id"] == ws.channel_id and delivery["state"] == "scheduled"
    assert any(answer.body["id"] in name for name in schedules())


def test_the_same_idempotency_key_returns_the_first_answer_and_creates_nothing(ws: Workspace) -> None:
    body = draft(ws)
    first = ws.editor.call("POST", "/posts", body, {"Idempotency-Key": "retry-1"})
    again = ws.editor.call("POST", "/posts", body, {"Idempotency-Key": "retry-1"})
    assert again.status == 201 and again.body["id"] == first.body["id"]
    assert count_posts(ws) == 1


def test_the_same_idempotency_key_with_another_body_is_422(ws: Workspace) -> None:
    ws.editor.call("POST", "/posts", draft(ws), {"Idempotency-Key": "k"})
    answer = ws.editor.call("POST", "/posts", draft(ws, text="Something else"), {"Idempotency-Key": "k"})
    assert answer.status == 422 and "Idempotency-Key" in fields(answer)
    assert count_posts(ws) == 1


def test_idempotency_keys_are_per_workspace(ws: Workspace) -> None:
    other = make_workspace("Other")
    ws.editor.call("POST", "/posts", draft(ws), {"Idempotency-Key": "shared"})
    answer = other.editor.call("POST", "/posts", draft(other), {"Idempotency-Key": "shared"})
    assert answer.status == 201 and count_posts(other) == 1


@pytest.mark.parametrize(
    ("body", "field", "reason_part"),
    [
        ({"text": ""}, "text", "empty"),
        ({"text": "x" * 301}, "text", "301 graphemes"),
        ({"publish_at": "2026-11-23T10:00:00"}, "publish_at", "offset"),
        ({"publish_at": "2030-01-01T10:00:00", "time_zone": "Nowhere/Land"}, "time_zone", "unknown time zone"),
        ({"publish_at": "2030-03-31T02:30:00", "time_zone": "Europe/Paris"}, "publish_at", "does not exist"),
        ({"publish_at": "2020-01-01T10:00:00Z"}, "publish_at", "past"),
        ({"channels": []}, "channels", ""),
        ({"surprise": 1}, "surprise", ""),
        ({"channels": [""]}, "channels.0", ""),  # reached DynamoDB as an empty key: a 500 (issue 14)
        ({"text": "Hello\x00there"}, "text", "control character"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    ws: Workspace, body: dict[str, Any], field: str, reason_part: str
) -> None:
    answer = ws.editor.call("POST", "/posts", draft(ws, **body))
    assert answer.status == 422, answer.body
    assert answer.headers.get("Content-Type") == "application/problem+json"
    assert reason_part in fields(answer)[field]
    assert count_posts(ws) == 0


@pytest.mark.parametrize("body", ["{not json", "\udcff\udcfe"], ids=["not-json", "not-utf8"])
def test_a_body_that_is_not_utf8_json_is_400_and_writes_nothing(ws: Workspace, body: str) -> None:
    event_body = body.encode("utf-8", "surrogateescape")  # the bytes as a client sent them
    answer = ws.editor.call("POST", "/posts", event_body)
    assert answer.status == 400, answer.body
    assert answer.headers.get("Content-Type") == "application/problem+json"
    assert count_posts(ws) == 0


def test_a_body_that_is_not_json_by_its_content_type_is_415(ws: Workspace) -> None:
    answer = ws.editor.call("POST", "/posts", "text=hello", {"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status == 415 and count_posts(ws) == 0


def test_an_unknown_or_foreign_channel_is_404_revealing_nothing(ws: Workspace) -> None:
    other = make_workspace("Other")
    for channel in ("ch_nope", other.channel_id):
        answer = ws.editor.call("POST", "/posts", draft(ws, channels=[channel]))
        assert answer.status == 404
        assert other.id not in str(answer.body)
    assert count_posts(ws) == 0


@pytest.mark.parametrize("token", [None, "pk_wrong"])
def test_a_missing_or_wrong_token_is_401(ws: Workspace, token: str | None) -> None:
    answer = ApiClient(token).call("GET", "/posts")
    assert answer.status == 401


def test_a_revoked_token_is_401_at_once(ws: Workspace) -> None:
    issued = tokens.add_member(ws.id, "Temp", members.Role.EDITOR)
    assert ApiClient(issued.token).call("GET", "/posts").status == 200
    tokens.revoke_token(issued.token_id)
    assert ApiClient(issued.token).call("GET", "/posts").status == 401


def test_a_viewer_can_read_but_not_write(ws: Workspace) -> None:
    assert ws.viewer.call("GET", "/posts").status == 200
    answer = ws.viewer.call("POST", "/posts", draft(ws))
    assert answer.status == 403 and count_posts(ws) == 0


def test_another_workspaces_post_is_404(ws: Workspace) -> None:
    other = make_workspace("Other")
    post_id = other.editor.call("POST", "/posts", draft(other)).body["id"]
    assert ws.admin.call("GET", f"/posts/{post_id}").status == 404
    assert ws.admin.call("DELETE", f"/posts/{post_id}").status == 404
    assert other.admin.call("GET", f"/posts/{post_id}").body["status"] == "scheduled"


def test_editing_changes_text_and_time_of_scheduled_deliveries(ws: Workspace) -> None:
    post_id = ws.editor.call("POST", "/posts", draft(ws)).body["id"]
    later = in_minutes(90)
    answer = ws.editor.call("PATCH", f"/posts/{post_id}", {"text": "Better words", "publish_at": later})
    assert answer.status == 200, answer.body
    assert answer.body["changed"] == [ws.channel_id]
    (delivery,) = answer.body["post"]["deliveries"]
    assert delivery["text"] == "Better words"
    assert DeliveryRecord.get(post_id, ws.channel_id).due_at.isoformat() == later.replace("+00:00", "+00:00")


def test_editing_refuses_text_over_the_limit(ws: Workspace) -> None:
    post_id = ws.editor.call("POST", "/posts", draft(ws)).body["id"]
    answer = ws.editor.call("PATCH", f"/posts/{post_id}", {"text": "y" * 400})
    assert answer.status == 422 and "text" in fields(answer)
    assert DeliveryRecord.get(post_id, ws.channel_id).text == "Hello from parley"


def test_an_empty_edit_is_422(ws: Workspace) -> None:
    post_id = ws.editor.call("POST", "/posts", draft(ws)).body["id"]
    assert ws.editor.call("PATCH", f"/posts/{post_id}", {}).status == 422


def test_cancelling_removes_the_schedule_and_a_second_cancel_is_409(ws: Workspace) -> None:
    post_id = ws.editor.call("POST", "/posts", draft(ws)).body["id"]
    answer = ws.editor.call("DELETE", f"/posts/{post_id}")
    assert answer.status == 200 and answer.body["changed"] == [ws.channel_id]
    assert answer.body["post"]["status"] == "cancelled"
    assert not any(post_id in name for name in schedules())
    again = ws.editor.call("DELETE", f"/posts/{post_id}")
    assert again.status == 409 and again.body["deliveries"][0]["state"] == "cancelled"


def test_editing_what_has_gone_out_is_409(ws: Workspace) -> None:
    post_id = ws.editor.call("POST", "/posts", draft(ws)).body["id"]
    record = DeliveryRecord.get(post_id, ws.channel_id)
    record.update(actions=[DeliveryRecord.state.set("published")])
    answer = ws.editor.call("PATCH", f"/posts/{post_id}", {"text": "too late"})
    assert answer.status == 409
    assert ws.editor.call("POST", f"/posts/{post_id}/publish-now").status == 409


def test_publish_now_hands_the_delivery_to_the_queue_at_once(ws: Workspace) -> None:
    post_id = ws.editor.call("POST", "/posts", draft(ws)).body["id"]
    answer = ws.editor.call("POST", f"/posts/{post_id}/publish-now")
    assert answer.status == 200 and answer.body["changed"] == [ws.channel_id]
    assert not any(post_id in name for name in schedules())
    record = DeliveryRecord.get(post_id, ws.channel_id)
    assert abs((record.due_at - clock.now()).total_seconds()) < 60
    assert answer.body["post"]["publish_at"] == record.publish_at.isoformat().replace("+00:00", "Z")


def test_listing_pages_with_a_cursor_and_filters_by_status_and_time(ws: Workspace) -> None:
    ids_ = [ws.editor.call("POST", "/posts", draft(ws, publish_at=in_minutes(10 + i))).body["id"] for i in range(5)]
    ws.editor.call("DELETE", f"/posts/{ids_[0]}")

    first = ws.viewer.call("GET", "/posts?limit=2")
    assert [p["id"] for p in first.body["items"]] == [ids_[4], ids_[3]]
    second = ws.viewer.call("GET", f"/posts?limit=2&cursor={first.body['next_cursor']}")
    assert [p["id"] for p in second.body["items"]] == [ids_[2], ids_[1]]

    cancelled = ws.viewer.call("GET", "/posts?status=cancelled")
    assert [p["id"] for p in cancelled.body["items"]] == [ids_[0]]

    since = (clock.now() + timedelta(minutes=12, seconds=30)).isoformat()
    recent = ws.viewer.call("GET", f"/posts?since={since.replace('+', '%2B')}")
    assert [p["id"] for p in recent.body["items"]] == [ids_[4], ids_[3]]


def test_time_filters_with_an_offset_are_read_as_the_instant_they_name(ws: Workspace) -> None:
    # issue 15 item 11: a +05:00 time was compared with the UTC keys as written, five hours off
    ids_ = [ws.editor.call("POST", "/posts", draft(ws, publish_at=in_minutes(10 + i))).body["id"] for i in range(5)]
    tashkent = timezone(timedelta(hours=5))
    since, until = ((clock.now() + timedelta(minutes=m)).astimezone(tashkent).isoformat() for m in (10.5, 13.5))
    answer = ws.viewer.call("GET", f"/posts?since={since.replace('+', '%2B')}&until={until.replace('+', '%2B')}")
    assert answer.status == 200, answer.body
    assert [p["id"] for p in answer.body["items"]] == [ids_[3], ids_[2], ids_[1]]
    scheduled = ws.viewer.call("GET", f"/posts?status=scheduled&since={since.replace('+', '%2B')}")
    assert [p["id"] for p in scheduled.body["items"]] == [ids_[4], ids_[3], ids_[2], ids_[1]]


def test_a_reversed_time_range_is_422(ws: Workspace) -> None:
    answer = ws.viewer.call("GET", "/posts?since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z")
    assert answer.status == 422 and "since" in fields(answer)


def test_an_unknown_status_is_422(ws: Workspace) -> None:
    answer = ws.viewer.call("GET", "/posts?status=lost")
    assert answer.status == 422 and "status" in fields(answer)


def test_the_openapi_document_is_public_and_3_1(aws: str) -> None:
    answer = ApiClient().call("GET", "/openapi.json")
    assert answer.status == 200 and answer.body["openapi"].startswith("3.1")
    assert answer.body == json.loads(openapi.DOCUMENT.read_text())  # what is served is what is checked in


def test_a_posts_deliveries_are_listed_on_their_own(ws: Workspace) -> None:
    post_id = ws.editor.call("POST", "/posts", draft(ws)).body["id"]
    answer = ws.viewer.call("GET", f"/posts/{post_id}/deliveries")
    assert answer.status == 200 and [d["channel_id"] for d in answer.body["items"]] == [ws.channel_id]
    assert make_workspace("Other").viewer.call("GET", f"/posts/{post_id}/deliveries").status == 404


def test_a_per_network_override_is_what_that_network_gets(ws: Workspace) -> None:
    body = draft(ws, text="The long version for everyone", overrides={"bluesky": {"text": "Short for Bluesky"}})
    answer = ws.editor.call("POST", "/posts", body)
    assert answer.status == 201, answer.body
    assert answer.body["deliveries"][0]["text"] == "Short for Bluesky"
    assert answer.body["text"] == "The long version for everyone"
    assert answer.body["overrides"] == {"bluesky": {"text": "Short for Bluesky"}}

    edited = ws.editor.call("PATCH", f"/posts/{answer.body['id']}", {"text": "A new long version"})
    assert edited.body["post"]["deliveries"][0]["text"] == "Short for Bluesky"  # the override stays
    edited = ws.editor.call("PATCH", f"/posts/{answer.body['id']}", {"overrides": {"bluesky": {"text": "Newer"}}})
    assert edited.body["post"]["deliveries"][0]["text"] == "Newer"


def test_an_override_is_checked_by_its_networks_rule_and_must_name_a_network_of_the_post(ws: Workspace) -> None:
    too_long = ws.editor.call("POST", "/posts", draft(ws, overrides={"bluesky": {"text": "z" * 301}}))
    assert too_long.status == 422 and fields(too_long)["overrides.bluesky.text"].startswith("Bluesky: 301")
    elsewhere = ws.editor.call("POST", "/posts", draft(ws, overrides={"mastodon": {"text": "Hi"}}))
    assert elsewhere.status == 422 and "overrides.mastodon" in fields(elsewhere)
    assert count_posts(ws) == 0
    post_id = ws.editor.call("POST", "/posts", draft(ws)).body["id"]
    answer = ws.editor.call("PATCH", f"/posts/{post_id}", {"overrides": {"x": {"text": "Hi"}}})
    assert answer.status == 422 and "overrides.x" in fields(answer)


def test_a_bad_value_of_an_optional_field_is_named_once_by_its_own_name(ws: Workspace) -> None:
    """`X | Omitted` fields: pydantic reports each branch of the union; the caller hears of the field."""
    publish_at = (clock.now() + timedelta(hours=2)).isoformat()
    created = ws.editor.call("POST", "/posts", {"text": "Hi", "channels": [ws.channel_id], "publish_at": publish_at})
    answer = ws.editor.call("PATCH", f"/posts/{created.body['id']}", {"time_zone": "Mars/Olympus", "text": "Hi!"})
    assert answer.status == 422, answer.body
    assert [(e["field"], e["pointer"]) for e in answer.body["errors"]] == [("time_zone", "/time_zone")]
    assert "Mars/Olympus" in answer.body["errors"][0]["reason"] or "zone" in answer.body["errors"][0]["reason"]
