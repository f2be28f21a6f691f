"""The marketer's week put together, against moto's server: a draft added to the queue, a contributor's post
taking a slot while it waits for approval, the calendar's free slots, and a spreadsheet row with `next_slot`
(docs/queue.md, docs/approval.md, docs/calendar.md, docs/import.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from parley.shared import clock
from parley.team import members, tokens
from tests.integration.test_api_posts import Workspace, make_workspace, schedules
from tests.integration.test_api_queue import START, add, add_channel, set_times
from tests.support.api import ApiClient


@pytest.fixture
def manual(aws: str) -> Iterator[clock.ManualClock]:
    previous = clock.get_clock()
    manual = clock.ManualClock(START)  # a Monday, 08:00 UTC
    clock.set_clock(manual)
    yield manual
    clock.set_clock(previous)


@pytest.fixture
def ws(manual: clock.ManualClock) -> Workspace:
    return make_workspace("Week")


def contributor(ws: Workspace) -> ApiClient:
    return ApiClient(tokens.add_member(ws.id, "Cy", members.Role.CONTRIBUTOR).token)


def test_a_draft_added_to_the_queue_takes_the_next_free_slot_of_each_channel(ws: Workspace) -> None:
    first, second = add_channel(ws), add_channel(ws)
    set_times(ws.editor, first, ["09:00", "17:00"])
    set_times(ws.editor, second, ["12:30"])
    add(ws.editor, [first])  # takes Monday 09:00 on the first channel
    draft = ws.editor.call("POST", "/posts", {"text": "Someday", "channels": [first, second]}).body
    assert draft["status"] == "draft" and not [n for n in schedules() if draft["id"] in n]

    answer = ws.editor.call("POST", f"/posts/{draft['id']}/queue")
    assert answer.status == 200, answer.body
    assert sorted(answer.body["changed"]) == sorted([first, second])
    times = {d["channel_id"]: d["publish_at"] for d in answer.body["post"]["deliveries"]}
    assert times == {first: "2030-01-07T17:00:00Z", second: "2030-01-07T12:30:00Z"}
    assert answer.body["post"]["publish_at"] == "2030-01-07T12:30:00Z"  # the earliest
    assert {d["state"] for d in answer.body["post"]["deliveries"]} == {"scheduled"}
    assert len([n for n in schedules() if draft["id"] in n]) == 2  # armed, one per delivery

    again = ws.editor.call("POST", f"/posts/{draft['id']}/queue")  # no longer a draft: moved to the next slots
    assert again.status == 200, again.body


def test_a_contributors_queued_post_waits_for_approval_at_its_slot(ws: Workspace) -> None:
    channel = add_channel(ws)
    set_times(ws.editor, channel, ["09:00"])
    cy = contributor(ws)
    post = add(cy, [channel], "Written by a contributor")
    assert post["status"] == "pending_approval"
    assert post["deliveries"][0]["publish_at"] == "2030-01-07T09:00:00Z"
    taken = add(ws.editor, [channel])  # the slot is held while it waits: the next post takes Tuesday's
    assert taken["deliveries"][0]["publish_at"] == "2030-01-08T09:00:00Z"

    approved = ws.editor.call("POST", f"/posts/{post['id']}/approve")
    assert approved.status == 200, approved.body
    assert approved.body["deliveries"][0]["state"] == "scheduled"
    assert approved.body["deliveries"][0]["publish_at"] == "2030-01-07T09:00:00Z"  # it keeps its slot

    draft = cy.call("POST", "/posts", {"text": "Later", "channels": [channel]}).body
    submitted = cy.call("POST", f"/posts/{draft['id']}/queue")  # a contributor may add a draft to the queue
    assert submitted.status == 200, submitted.body
    assert submitted.body["post"]["deliveries"][0]["state"] == "pending_approval"
    assert submitted.body["post"]["deliveries"][0]["publish_at"] == "2030-01-09T09:00:00Z"


def test_a_draft_cannot_ask_for_the_next_slot(ws: Workspace) -> None:
    channel = add_channel(ws)
    set_times(ws.editor, channel, ["09:00"])
    body = {"text": "Hm", "channels": [channel], "publish_at": "next_slot", "status": "draft"}
    answer = ws.editor.call("POST", "/posts", body)
    assert answer.status == 422
    assert answer.body["errors"][0]["field"] == "publish_at"


def test_the_calendar_shows_the_free_slots_and_a_taken_one_leaves_them(ws: Workspace) -> None:
    channel = add_channel(ws)
    set_times(ws.editor, channel, ["09:00", "17:00"])
    query = f"/calendar?from=2030-01-07&to=2030-01-09&channel={channel}"
    days = ws.viewer.call("GET", query).body["days"]
    free = {d["date"]: [f["at"] for f in d["free_slots"]] for d in days}
    assert free == {
        "2030-01-07": ["2030-01-07T09:00:00Z", "2030-01-07T17:00:00Z"],
        "2030-01-08": ["2030-01-08T09:00:00Z", "2030-01-08T17:00:00Z"],
    }
    post = add(ws.editor, [channel])
    days = ws.viewer.call("GET", query).body["days"]
    assert [f["at"] for f in days[0]["free_slots"]] == ["2030-01-07T17:00:00Z"]
    assert [e["post_id"] for e in days[0]["entries"]] == [post["id"]]
    everyone = ws.viewer.call("GET", "/calendar?from=2030-01-07&to=2030-01-08").body["days"]  # all channels
    assert [(f["channel_id"], f["at"]) for f in everyone[0]["free_slots"]] == [(channel, "2030-01-07T17:00:00Z")]


def test_a_spreadsheet_row_with_next_slot_takes_a_slot(ws: Workspace, manual: clock.ManualClock) -> None:
    channel = add_channel(ws)
    set_times(ws.editor, channel, ["09:00"])
    manual.set(START + timedelta(minutes=1))
    body = f"text,channels,publish_at\nFrom the sheet,{channel},next_slot\nAnd the next,{channel},next_slot\n"
    answer = ws.editor.call("POST", "/posts/import", body, {"Content-Type": "text/csv"})
    assert answer.status == 201, answer.body
    times = []
    for created in answer.body["created"]:
        post = ws.editor.call("GET", f"/posts/{created['post_id']}").body
        times.append(post["deliveries"][0]["publish_at"])
    assert times == ["2030-01-07T09:00:00Z", "2030-01-08T09:00:00Z"]
