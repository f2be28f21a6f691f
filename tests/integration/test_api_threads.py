"""Threads through the API (docs/threads.md): queue-time rules per part and per network, the parts on
GET /posts/{id}; and the publish step on moto's endpoint with a stand-in network that fails a part."""

from __future__ import annotations

from typing import Any

from parley.shared import clock, ids
from parley.store import ChannelRecord, DeliveryRecord
from tests.integration.test_api_posts import Workspace, draft, fields, in_minutes, ws  # noqa: F401  (the fixture)


def add_channel(ws: Workspace, network: str, remote_id: str = "acme") -> str:  # noqa: F811
    channel_id = "ch_" + ids.new_id()
    ChannelRecord(
        ws.id,
        channel_id,
        network=network,
        handle=f"acme-{network}",
        remote_id=remote_id,
        service_url="http://127.0.0.1:1",
        credential_parameter="/parley/test/credential",
        created_at=clock.now(),
        created_by="mem_1",
    ).save()
    return channel_id


def thread(*texts: str) -> list[dict[str, Any]]:
    return [{"text": t} for t in texts]


def test_a_thread_is_queued_with_its_parts_and_get_shows_each_part_pending(ws: Workspace) -> None:  # noqa: F811
    answer = ws.editor.call("POST", "/posts", draft(ws, thread=thread("two", "three")))
    assert answer.status == 201, answer.body
    assert answer.body["thread"] == thread("two", "three")
    assert answer.body["thread_mode"] == "replies"
    got = ws.editor.call("GET", f"/posts/{answer.body['id']}").body
    parts = got["deliveries"][0]["parts"]
    assert [(p["index"], p["text"], p["state"], p["url"]) for p in parts] == [
        (0, "Hello from parley", "pending", None),
        (1, "two", "pending", None),
        (2, "three", "pending", None),
    ]
    record = DeliveryRecord.get(answer.body["id"], ws.channel_id)
    assert list(record.thread or []) == ["two", "three"]


def test_each_part_is_checked_against_the_network_and_named_by_its_index(ws: Workspace) -> None:  # noqa: F811
    answer = ws.editor.call("POST", "/posts", draft(ws, thread=thread("fine", "x" * 301, " ")))
    assert answer.status == 422
    found = fields(answer)
    assert "thread[1].text" in found and "Bluesky" in found["thread[1].text"] and "300" in found["thread[1].text"]
    assert found["thread[2].text"] == "must not be empty"
    assert "thread[0].text" not in found


def test_a_network_without_threads_refuses_one_unless_it_goes_out_as_comments(ws: Workspace) -> None:  # noqa: F811
    facebook, instagram = add_channel(ws, "facebook"), add_channel(ws, "instagram")
    member = add_channel(ws, "linkedin", "urn:li:person:A1b2C3")
    refused = ws.editor.call("POST", "/posts", draft(ws, channels=[facebook], thread=thread("two")))
    assert refused.status == 422
    assert "thread_mode" in fields(refused)["thread"] and "Facebook has no threads" in fields(refused)["thread"]
    queued = ws.editor.call(
        "POST", "/posts", draft(ws, channels=[facebook], thread=thread("two"), thread_mode="comments")
    )
    assert queued.status == 201, queued.body
    assert queued.body["thread_mode"] == "comments"
    # Instagram needs an image; the thread itself is taken as comments
    on_instagram = ws.editor.call(
        "POST", "/posts", draft(ws, channels=[instagram], thread=thread("two"), thread_mode="comments")
    )
    assert "thread_mode" not in fields(on_instagram) and "thread" not in fields(on_instagram)
    no_comments = ws.editor.call(
        "POST", "/posts", draft(ws, channels=[member], thread=thread("two"), thread_mode="comments")
    )
    assert no_comments.status == 422
    assert "member profile" in fields(no_comments)["thread_mode"]


def test_too_many_parts_and_a_mode_without_a_thread_are_refused(ws: Workspace) -> None:  # noqa: F811
    too_many = ws.editor.call("POST", "/posts", draft(ws, thread=thread(*(f"part {i}" for i in range(26)))))
    assert too_many.status == 422
    assert "thread" in fields(too_many)
    lonely = ws.editor.call("POST", "/posts", draft(ws, thread_mode="comments"))
    assert lonely.status == 422
    assert fields(lonely) == {"thread_mode": "only with a thread"}


def test_validate_counts_each_part_and_names_the_part_over_the_limit(ws: Workspace) -> None:  # noqa: F811
    body = draft(ws, thread=thread("short", "y" * 301))
    answer = ws.editor.call("POST", "/posts/validate", body)
    assert answer.status == 200, answer.body
    (channel,) = answer.body["channels"]
    assert channel["ok"] is False
    assert [p["field"] for p in channel["problems"]] == ["thread[1].text"]
    assert len(channel["thread_counts"]) == 2
    assert channel["thread_counts"][1] != channel["thread_counts"][0]


def test_a_draft_keeps_its_thread_and_scheduling_it_checks_each_part(ws: Workspace) -> None:  # noqa: F811
    fine = ws.editor.call("POST", "/posts", draft(ws, publish_at=None, thread=thread("two")))
    assert fine.status == 201 and fine.body["status"] == "draft", fine.body
    scheduled = ws.editor.call("PATCH", f"/posts/{fine.body['id']}", {"publish_at": in_minutes(60)})
    assert scheduled.status == 200, scheduled.body
    assert list(DeliveryRecord.get(fine.body["id"], ws.channel_id).thread or []) == ["two"]
    assert scheduled.body["post"]["deliveries"][0]["state"] == "scheduled"

    too_long = ws.editor.call("POST", "/posts", draft(ws, publish_at=None, thread=thread("z" * 301)))
    assert too_long.status == 201  # a draft is checked when it is scheduled
    refused = ws.editor.call("PATCH", f"/posts/{too_long.body['id']}", {"publish_at": in_minutes(60)})
    assert refused.status == 422
    assert "thread[0].text" in fields(refused)
