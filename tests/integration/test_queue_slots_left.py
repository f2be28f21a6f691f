"""A delivery that leaves the queue gives its slot back when the slot is still to come, the same way for every
way out: cancelled, rejected back to a draft, given a time of its own; a slot already passed (a cancel after
its time, a post missed while waiting for approval) keeps its claim. Two adds racing a release never share a
slot, and the next add takes the earliest free one. docs/queue.md."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from parley.publishing import deliveries, posts, queue, queue_posts
from parley.publishing import publish as publishing
from parley.scheduling import PublishMessage
from parley.scheduling.wiring import arming
from parley.shared import clock
from parley.store.keys import DeliveryKey
from parley.team import members, tokens
from tests.integration.test_api_posts import Workspace
from tests.integration.test_api_queue import START, add, at, manual, set_times, ws
from tests.support.api import ApiClient

__all__ = ["manual", "ws"]  # the fixtures


def _contributor(ws: Workspace) -> ApiClient:
    return ApiClient(tokens.add_member(ws.id, "Cy", members.Role.CONTRIBUTOR).token)


def _holder(ws: Workspace, hour: int) -> str | None:
    return queue.holder(ws.id, ws.channel_id, datetime(2030, 1, 7, hour, tzinfo=UTC))


def test_a_rejected_post_gives_its_slot_back_and_queued_again_takes_the_next_free(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "10:00", "11:00"])
    contributor = _contributor(ws)
    waiting = add(contributor, [ws.channel_id], "Waiting")
    assert waiting["status"] == "pending_approval" and waiting["publish_at"] == at(9)
    add(ws.editor, [ws.channel_id])  # 10:00

    rejected = ws.editor.call("POST", f"/posts/{waiting['id']}/reject", {"comment": "Not this week"})

    assert rejected.status == 200, rejected.body
    assert _holder(ws, 9) is None  # a draft holds no slot
    assert add(ws.editor, [ws.channel_id])["publish_at"] == at(9)
    again = contributor.call("POST", f"/posts/{waiting['id']}/queue")
    assert again.status == 200, again.body
    assert again.body["post"]["publish_at"] == at(11)


def test_a_post_given_its_own_slots_time_keeps_the_slot(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "10:00"])
    post = add(ws.editor, [ws.channel_id])
    edited = ws.editor.call("PATCH", f"/posts/{post['id']}", {"publish_at": at(9), "text": "Same time"})
    assert edited.status == 200, edited.body
    assert _holder(ws, 9) == post["id"]  # else the next add would go out at the same instant
    assert add(ws.editor, [ws.channel_id])["publish_at"] == at(10)


def test_a_queued_post_published_now_gives_its_slot_back(ws: Workspace) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "10:00"])
    post = add(ws.editor, [ws.channel_id])
    assert ws.editor.call("POST", f"/posts/{post['id']}/publish-now").status == 200
    assert _holder(ws, 9) is None
    assert add(ws.editor, [ws.channel_id])["publish_at"] == at(9)


def test_a_cancel_after_its_slot_passed_keeps_the_claim(ws: Workspace, manual: clock.ManualClock) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "10:00"])
    post = add(ws.editor, [ws.channel_id])
    manual.set(datetime(2030, 1, 7, 9, 30, tzinfo=UTC))  # its time passed (not yet fired: still scheduled)

    assert ws.editor.call("DELETE", f"/posts/{post['id']}").status == 200

    assert _holder(ws, 9) == post["id"]  # no add can take a passed slot: nothing to give back
    assert add(ws.editor, [ws.channel_id])["publish_at"] == at(10)


def test_a_post_missed_while_waiting_keeps_its_passed_slot(ws: Workspace, manual: clock.ManualClock) -> None:
    set_times(ws.editor, ws.channel_id, ["09:00", "10:00"])
    waiting = add(_contributor(ws), [ws.channel_id], "Waiting")
    key = DeliveryKey(ws.id, waiting["id"], ws.channel_id)
    record = deliveries.get(key)
    assert record is not None and record.due_at is not None
    manual.set(record.due_at)

    assert publishing.handle_due(PublishMessage(key, record.due_at), arming()).detail == "missed_approval"

    assert ws.editor.call("GET", f"/posts/{waiting['id']}").body["status"] == "missed_approval"
    assert _holder(ws, 9) == waiting["id"]
    assert add(ws.editor, [ws.channel_id])["publish_at"] == at(10)


def test_two_adds_racing_a_cancel_never_share_a_slot_and_the_next_add_takes_the_earliest_free(
    ws: Workspace,
) -> None:
    set_times(ws.editor, ws.channel_id, [f"{h:02d}:00" for h in range(9, 18)])
    principal = members.Principal(ws.id, "mem_editor", members.Role.EDITOR)

    def one(job: tuple[str, str]) -> object:
        what, post_id = job
        if what == "cancel":
            return queue_posts.cancel_post(principal, arming(), post_id)
        draft = posts.PostDraft(text=what, channel_ids=[ws.channel_id], publish_at="next_slot")
        return queue_posts.create_queued(principal, arming(), draft)

    for _ in range(5):  # each round: one queued post cancelled while two others are added
        first = add(ws.editor, [ws.channel_id])["id"]
        with ThreadPoolExecutor(max_workers=3) as pool:
            list(pool.map(one, [("cancel", first), ("add a", ""), ("add b", "")]))

    claims = queue.claims(ws.id, ws.channel_id, START, None)
    live = {
        d["publish_at"]: post["id"]
        for post in ws.editor.call("GET", "/posts?limit=100").body["items"]
        for d in post["deliveries"]
        if d["state"] == "scheduled"
    }
    assert len(live) == 10  # two adds a round, each its own slot
    assert {queue.iso(at): post_id for at, post_id in claims.items()} == live  # every claim a live post's, one each
    free = queue.free_slots(ws.id, ws.channel_id, START, START + timedelta(days=3))  # a gap, or the 11th slot
    assert add(ws.editor, [ws.channel_id])["publish_at"] == queue.iso(free[0])  # the hint skipped no freed slot
