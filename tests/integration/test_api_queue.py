"""The queue against moto's server: posting times, `next_slot`, 50 concurrent adds taking 50 distinct slots,
reordering, pause and resume, a queued post published once. docs/queue.md."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from parley.connect import adapters, credentials
from parley.publishing import deliveries, posts, queue, queue_posts, slots
from parley.publishing import publish as publishing
from parley.scheduling import PublishMessage
from parley.scheduling.wiring import arming
from parley.shared import clock, ids
from parley.shared.config import get_settings
from parley.store import ChannelRecord, QueueRecord
from parley.store.keys import DeliveryKey
from parley.team import members, tokens
from tests.integration.test_api_posts import Workspace, fields, make_workspace
from tests.integration.test_publishing import FaultyNetwork
from tests.support.api import ApiClient

# A Monday, 08:00 UTC; the channel's zone is UTC unless a test says otherwise
START = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


@pytest.fixture
def manual(aws: str) -> Iterator[clock.ManualClock]:
    previous = clock.get_clock()
    manual = clock.ManualClock(START)
    clock.set_clock(manual)
    yield manual
    clock.set_clock(previous)


@pytest.fixture
def ws(manual: clock.ManualClock) -> Workspace:
    return make_workspace("Queue")


def add_channel(ws: Workspace) -> str:
    channel_id = "ch_" + ids.new_id()
    parameter = credentials.credential_parameter(get_settings().parameter_prefix, ws.id, channel_id)
    from parley.networks.base import Credential

    credentials.save_credential(parameter, Credential("brand.test", "secret", "http://127.0.0.1:1"))
    ChannelRecord(
        ws.id,
        channel_id,
        network="bluesky",
        handle="brand.test",
        remote_id="did:plc:brand",
        service_url="http://127.0.0.1:1",
        credential_parameter=parameter,
        created_at=clock.now(),
        created_by="mem_1",
    ).save()
    return channel_id


def set_times(client: ApiClient, channel_id: str, at: list[str], zone: str | None = None) -> dict[str, object]:
    body: dict[str, object] = {"times": [{"days": WEEKDAYS, "at": at}]}
    if zone:
        body["time_zone"] = zone
    answer = client.call("PUT", f"/channels/{channel_id}/slots", body)
    assert answer.status == 200, answer.body
    return answer.body  # type: ignore[no-any-return]


def add(client: ApiClient, channels: list[str], text: str = "Queued") -> dict[str, Any]:
    answer = client.call("POST", "/posts", {"text": text, "channels": channels, "publish_at": "next_slot"})
    assert answer.status == 201, answer.body
    return answer.body  # type: ignore[no-any-return]


def at(hour: int, minute: int = 0, day: int = 7) -> str:
    return datetime(2030, 1, day, hour, minute, tzinfo=UTC).isoformat().replace("+00:00", "Z")


def test_posting_times_read_back_and_viewers_may_not_change_them(ws: Workspace) -> None:
    view = set_times(ws.editor, ws.channel_id, ["17:00", "09:00"], "Europe/Berlin")
    assert view["time_zone"] == "Europe/Berlin"
    assert view["times"] == [{"days": WEEKDAYS, "at": ["09:00", "17:00"]}]
    assert ws.viewer.call("GET", f"/channels/{ws.channel_id}/slots").body["source"] == "channel"
    refused = ws.viewer.call("PUT", f"/channels/{ws.channel_id}/slots", {"times": []})
    assert refused.status == 403


def test_bad_posting_times_are_a_422_naming_the_field(ws: Workspace) -> None:
    bad = ws.editor.call("PUT", f"/channels/{ws.channel_id}/slots", {"times": [{"days": ["mon"], "at": ["9am"]}]})
    assert bad.status == 422 and "times" in next(iter(fields(bad)))
    twice = [{"days": ["mon"], "at": ["09:00"]}, {"days": ["mon"], "at": ["09:00"]}]
    bad = ws.editor.call("PUT", f"/channels/{ws.channel_id}/slots", {"times": twice})
    assert bad.status == 422 and "another rule" in fields(bad)["times[1].at"]
    assert ws.editor.call("PUT", "/channels/ch_nope/slots", {"times": []}).status == 404


def test_next_slot_takes_the_next_free_slots_in_order(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "12:30", "17:00"])
    times = [add(ws.editor, [ws.channel_id], f"Post {i}")["publish_at"] for i in range(4)]
    assert times == [at(9), at(12, 30), at(17), at(9, day=8)]


def test_next_slot_without_posting_times_is_a_422_on_publish_at_and_nothing_is_kept(ws: Workspace) -> None:
    answer = ws.editor.call("POST", "/posts", {"text": "x", "channels": [ws.channel_id], "publish_at": "next_slot"})
    assert answer.status == 422 and "no posting times" in fields(answer)["publish_at"]


def test_a_refused_post_gives_its_slot_back(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00"])
    refused = ws.editor.call("POST", "/posts", {"text": " ", "channels": [ws.channel_id], "publish_at": "next_slot"})
    assert refused.status == 422
    assert add(ws.editor, [ws.channel_id])["publish_at"] == at(9)


def test_each_channel_gets_its_own_slot_and_the_post_the_earliest(ws: Workspace) -> None:
    other = add_channel(ws)
    set_times(ws.editor, ws.channel_id, ["09:00"])
    set_times(ws.editor, other, ["11:00"])
    post = add(ws.editor, [ws.channel_id, other])
    assert post["publish_at"] == at(9)
    assert {d["channel_id"]: d["publish_at"] for d in post["deliveries"]} == {ws.channel_id: at(9), other: at(11)}


def test_fifty_concurrent_adds_take_fifty_distinct_slots(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, [f"{h:02d}:{m:02d}" for h in range(9, 18) for m in (0, 30)])
    # The core's add (the in-process API resolver is one request at a time), each thread its own request
    principal = members.Principal(ws.id, "mem_editor", members.Role.EDITOR)

    def one(i: int) -> str:
        draft = posts.PostDraft(text=f"Post {i}", channel_ids=[ws.channel_id], publish_at="next_slot")
        return str(queue_posts.create_queued(principal, arming(), draft)["publish_at"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        taken = list(pool.map(one, range(50)))
    assert len(set(taken)) == 50
    claims = queue.claims(ws.id, ws.channel_id, START, None)
    assert len(claims) == 50 and len(set(claims.values())) == 50
    # the first free slots, no gap: 18 a day from Monday 09:00
    expected = slots.between(
        slots.parse("UTC", [{"days": WEEKDAYS, "at": [f"{h:02d}:{m:02d}" for h in range(9, 18) for m in (0, 30)]}]),
        START,
        START + timedelta(days=3),
    )[:50]
    assert sorted(claims) == expected


def test_cancelling_a_queued_post_frees_its_slot_for_the_next_add(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "10:00", "11:00"])
    first = add(ws.editor, [ws.channel_id])
    add(ws.editor, [ws.channel_id])
    assert ws.editor.call("DELETE", f"/posts/{first['id']}").status == 200
    assert add(ws.editor, [ws.channel_id])["publish_at"] == at(9)  # the freed slot comes first
    assert add(ws.editor, [ws.channel_id])["publish_at"] == at(11)


def test_a_queued_post_given_a_time_of_its_own_frees_its_slot(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "10:00"])
    first = add(ws.editor, [ws.channel_id])
    edited = ws.editor.call("PATCH", f"/posts/{first['id']}", {"publish_at": at(20, day=9)})
    assert edited.status == 200, edited.body
    assert add(ws.editor, [ws.channel_id])["publish_at"] == at(9)


def test_queue_lists_filled_and_free_slots_and_pages(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "12:00", "15:00"])
    post = add(ws.editor, [ws.channel_id], "Hello queue")
    page = ws.viewer.call("GET", f"/channels/{ws.channel_id}/queue?limit=2").body
    assert [i["at"] for i in page["items"]] == [at(9), at(12)]
    assert page["items"][0]["post"] == {"id": post["id"], "text": "Hello queue", "state": "scheduled"}
    assert page["items"][1]["post"] is None
    following = ws.viewer.call("GET", f"/channels/{ws.channel_id}/queue?limit=2&cursor={page['next_cursor']}").body
    assert [i["at"] for i in following["items"]] == [at(15), at(9, day=8)]


def test_slot_changes_leave_queued_posts_at_their_times(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00"])
    post = add(ws.editor, [ws.channel_id])
    set_times(ws.editor, ws.channel_id, ["10:00"])
    items = ws.viewer.call("GET", f"/channels/{ws.channel_id}/queue?limit=2").body["items"]
    assert [(i["at"], i["slot"], (i["post"] or {}).get("id")) for i in items] == [
        (at(9), False, post["id"]),
        (at(10), True, None),
    ]
    assert add(ws.editor, [ws.channel_id])["publish_at"] == at(10)


def test_swap_and_move_trade_slots_and_rearm(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "10:00", "11:00"])
    a, b, c = (add(ws.editor, [ws.channel_id], t)["id"] for t in "abc")
    swapped = ws.editor.call("POST", f"/channels/{ws.channel_id}/queue/swap", {"posts": [a, c]})
    assert swapped.status == 200, swapped.body
    assert ws.editor.call("GET", f"/posts/{a}").body["publish_at"] == at(11)
    assert ws.editor.call("GET", f"/posts/{c}").body["publish_at"] == at(9)
    moved = ws.editor.call("POST", f"/channels/{ws.channel_id}/queue/move", {"post_id": b, "direction": "up"})
    assert moved.status == 200 and moved.body["slots"] == {b: at(9), c: at(10)}
    first = ws.editor.call("POST", f"/channels/{ws.channel_id}/queue/move", {"post_id": b, "direction": "up"})
    assert first.status == 409
    order = [i["post"]["id"] for i in ws.viewer.call("GET", f"/channels/{ws.channel_id}/queue?limit=3").body["items"]]
    assert order == [b, c, a]
    assert ws.viewer.call("POST", f"/channels/{ws.channel_id}/queue/swap", {"posts": [a, b]}).status == 403


def test_a_swap_with_a_cancelled_post_is_refused(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "10:00"])
    a, b = (add(ws.editor, [ws.channel_id], t)["id"] for t in "ab")
    ws.editor.call("DELETE", f"/posts/{b}")
    refused = ws.editor.call("POST", f"/channels/{ws.channel_id}/queue/swap", {"posts": [a, b]})
    assert refused.status == 409
    assert ws.editor.call("GET", f"/posts/{a}").body["publish_at"] == at(9)


def test_queue_post_moves_a_timed_post_to_the_next_free_slot(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "10:00"])
    add(ws.editor, [ws.channel_id])
    timed = ws.editor.call(
        "POST", "/posts", {"text": "t", "channels": [ws.channel_id], "publish_at": at(20, day=9)}
    ).body
    answer = ws.editor.call("POST", f"/posts/{timed['id']}/queue")
    assert answer.status == 200 and answer.body["post"]["publish_at"] == at(10)
    again = ws.editor.call("POST", f"/posts/{timed['id']}/queue")  # moves on; its old slot is free again
    assert again.body["post"]["publish_at"] == at(9, day=8)
    assert add(ws.editor, [ws.channel_id])["publish_at"] == at(10)


def test_pause_holds_the_queue_and_resume_moves_passed_posts_to_the_next_free_slots(
    ws: Workspace, manual: clock.ManualClock
) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "12:00", "15:00"])
    early, late = (add(ws.editor, [ws.channel_id], t)["id"] for t in ("early", "late"))
    paused = ws.editor.call("POST", f"/channels/{ws.channel_id}/queue/pause")
    assert paused.status == 200 and len(paused.body["held"]) == 2
    during = add(ws.editor, [ws.channel_id], "during")  # takes 15:00, held
    assert during["status"] == "held" and during["publish_at"] == at(15)
    manual.set(datetime(2030, 1, 7, 10, 0, tzinfo=UTC))  # 09:00 passed while paused: skipped
    resumed = ws.editor.call("POST", f"/channels/{ws.channel_id}/queue/resume")
    assert resumed.status == 200, resumed.body
    assert resumed.body["moved"] == {early: at(9, day=8)}
    states = {p: ws.editor.call("GET", f"/posts/{p}").body for p in (early, late, during["id"])}
    assert {p: (b["status"], b["publish_at"]) for p, b in states.items()} == {
        early: ("scheduled", at(9, day=8)),
        late: ("scheduled", at(12)),
        during["id"]: ("scheduled", at(15)),
    }


def test_a_queued_post_is_published_once(ws: Workspace, manual: clock.ManualClock) -> None:
    channel_id = add_channel(ws)
    set_times(ws.editor, channel_id, ["09:00"])
    post = add(ws.editor, [channel_id])
    fake = FaultyNetwork()
    adapters.set_factory(fake.adapter)
    try:
        key = DeliveryKey(ws.id, str(post["id"]), channel_id)
        record = deliveries.get(key)
        assert record is not None
        manual.set(record.due_at)
        message = PublishMessage(key, record.due_at)
        assert publishing.handle_due(message, arming()).state == "published"
        publishing.handle_due(message, arming())  # the same message again (Scheduler may deliver twice)
    finally:
        adapters.set_factory(None)
    assert fake.creates == 1
    assert ws.editor.call("GET", f"/posts/{post['id']}").body["status"] == "published"


def test_a_group_shares_times_and_a_channels_own_win(ws: Workspace) -> None:
    other = add_channel(ws)
    body = {"channels": [ws.channel_id, other], "time_zone": "UTC", "times": [{"days": WEEKDAYS, "at": ["14:00"]}]}
    assert ws.editor.call("PUT", "/channel-groups/brand", body).status == 200
    set_times(ws.editor, other, ["08:30", "16:00"])
    post = add(ws.editor, [ws.channel_id, other])
    assert {d["channel_id"]: d["publish_at"] for d in post["deliveries"]} == {ws.channel_id: at(14), other: at(8, 30)}
    assert ws.viewer.call("GET", f"/channels/{ws.channel_id}/slots").body["source"] == "group"
    again = ws.editor.call("PUT", "/channel-groups/rival", body | {"channels": [other]})
    assert again.status == 409  # a channel is in one group at most
    assert ws.editor.call("DELETE", "/channel-groups/brand").status == 200
    assert ws.viewer.call("GET", f"/channels/{ws.channel_id}/slots").body["source"] == "none"
    assert ws.viewer.call("GET", "/channel-groups/brand").status == 404


def test_the_calendars_batched_free_slots_are_each_channels_own(ws: Workspace) -> None:
    grouped, own, none = ws.channel_id, add_channel(ws), add_channel(ws)
    body = {"channels": [grouped, own], "time_zone": "UTC", "times": [{"days": WEEKDAYS, "at": ["14:00"]}]}
    assert ws.editor.call("PUT", "/channel-groups/brand", body).status == 200
    set_times(ws.editor, own, ["08:30", "16:00"])
    add(ws.editor, [grouped, own])  # takes 14:00 on one, 08:30 on the other
    start, end = datetime(2030, 1, 7, tzinfo=UTC), datetime(2030, 1, 9, tzinfo=UTC)
    batched = queue.free_slots_of(ws.id, [grouped, own, none], start, end)
    assert batched == {c: queue.free_slots(ws.id, c, start, end) for c in (grouped, own, none)}
    assert batched[grouped][0] == datetime(2030, 1, 8, 14, tzinfo=UTC)  # the group's times, less the taken one
    assert batched[own][:2] == [datetime(2030, 1, 7, 16, tzinfo=UTC), datetime(2030, 1, 8, 8, 30, tzinfo=UTC)]
    assert batched[none] == []


def test_another_workspaces_channel_is_not_found(ws: Workspace) -> None:
    stranger = tokens.create_workspace("Other", "Ola")
    client = ApiClient(stranger.token)
    assert client.call("GET", f"/channels/{ws.channel_id}/slots").status == 404
    assert client.call("GET", f"/channels/{ws.channel_id}/queue").status == 404
    assert QueueRecord.count(f"{stranger.workspace_id}#{ws.channel_id}") == 0


def test_a_cancel_between_a_swaps_read_and_its_write_wins(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "10:00"])
    a, b = (add(ws.editor, [ws.channel_id], t)["id"] for t in "ab")
    read = queue_posts._queued

    def read_then_cancel(principal: members.Principal, channel_id: str, post_id: str, field: str) -> Any:
        record = read(principal, channel_id, post_id, field)
        if post_id == b:  # both were read as scheduled; now one is cancelled before the transaction
            assert ws.editor.call("DELETE", f"/posts/{b}").status == 200
        return record

    monkeypatch.setattr(queue_posts, "_queued", read_then_cancel)
    refused = ws.editor.call("POST", f"/channels/{ws.channel_id}/queue/swap", {"posts": [a, b]})
    assert refused.status == 409
    assert ws.editor.call("GET", f"/posts/{a}").body["publish_at"] == at(9)
    assert ws.editor.call("GET", f"/posts/{b}").body["status"] == "cancelled"


def test_a_slot_in_new_yorks_spring_gap_is_queued_at_three(ws: Workspace, manual: clock.ManualClock) -> None:
    manual.set(datetime(2030, 3, 9, 12, 0, tzinfo=UTC))  # the Saturday before New York springs forward
    body = {"time_zone": "America/New_York", "times": [{"days": ["sun"], "at": ["02:30"]}]}
    assert ws.editor.call("PUT", f"/channels/{ws.channel_id}/slots", body).status == 200
    post = add(ws.editor, [ws.channel_id])
    assert post["publish_at"] == "2030-03-10T07:00:00Z"  # 03:00 EDT, the moment the clocks jump
    item = ws.viewer.call("GET", f"/channels/{ws.channel_id}/queue?limit=1").body["items"][0]
    assert item["local"] == "2030-03-10T03:00:00-04:00"
