"""Drafts, POST /posts/validate and approval through the API on the moto endpoint; the missed approval and
its race with an approval through the publish step (a network stand-in that counts what reaches it)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra.local.functions import FunctionRegistry
from infra.local.lambda_events import sqs_record
from parley.connect import adapters, credentials
from parley.networks.base import Credential
from parley.publishing import approval, deliveries
from parley.publishing import publish as publishing
from parley.publishing.deliveries import State
from parley.scheduling import PublishMessage
from parley.scheduling.wiring import arming
from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.errors import Conflict, LostRace
from parley.shared.names import Env, Function
from parley.store import ChannelRecord, PostRecord
from parley.store.keys import DeliveryKey
from parley.team import members, tokens
from tests.integration.test_api_posts import Workspace, count_posts, make_workspace, schedules
from tests.integration.test_publishing import FaultyNetwork
from tests.support.api import ApiClient

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Team:
    ws: Workspace
    contributor: ApiClient
    contributor_id: str


@pytest.fixture
def net(aws: str) -> Iterator[FaultyNetwork]:
    clock.set_clock(clock.ManualClock(START))
    fake = FaultyNetwork()
    adapters.set_factory(fake.adapter)
    yield fake
    adapters.set_factory(None)
    clock.set_clock(clock.SystemClock())


@pytest.fixture
def team(net: FaultyNetwork) -> Team:
    ws = make_workspace()
    channel = ChannelRecord.get(ws.id, ws.channel_id)
    parameter = credentials.credential_parameter(get_settings().parameter_prefix, ws.id, ws.channel_id)
    credentials.save_credential(parameter, Credential("acme.test", "secret", "http://127.0.0.1:1"))
    channel.update(actions=[ChannelRecord.credential_parameter.set(parameter)])
    contributor = tokens.add_member(ws.id, "Cy", members.Role.CONTRIBUTOR)
    return Team(ws, ApiClient(contributor.token), contributor.member_id)


def at(minutes: float) -> str:
    return (clock.now() + timedelta(minutes=minutes)).isoformat()


def body(team: Team, **extra: Any) -> dict[str, Any]:
    return {"text": "Hello from parley", "channels": [team.ws.channel_id]} | extra


def actions(post: dict[str, Any]) -> list[str]:
    return [line["action"] for line in post["history"]]


def fire(post_id: str, team: Team) -> publishing.Outcome:
    """The delivery's schedule fires at its time: the publish step as the publish function runs it."""
    key = DeliveryKey(team.ws.id, post_id, team.ws.channel_id)
    record = deliveries.get(key)
    assert record is not None and record.due_at is not None
    clock.get_clock().set(record.due_at)  # type: ignore[attr-defined]
    return publishing.handle_due(PublishMessage(key, record.due_at), arming())


# -- drafts ----------------------------------------------------------------------------------------------


def test_a_post_without_a_time_is_a_draft_stored_listed_and_never_armed(team: Team) -> None:
    answer = team.ws.editor.call("POST", "/posts", body(team, text="x" * 400))  # too long for Bluesky: kept
    assert answer.status == 201, answer.body
    post = answer.body
    assert post["status"] == "draft" and post["publish_at"] is None
    assert [d["state"] for d in post["deliveries"]] == ["draft"]
    assert actions(post) == ["drafted"]
    assert not [s for s in schedules() if post["id"] in s]
    drafts = team.ws.viewer.call("GET", "/posts?status=draft").body["items"]
    assert [p["id"] for p in drafts] == [post["id"]]
    assert post["id"] in [p["id"] for p in team.ws.viewer.call("GET", "/posts").body["items"]]


def test_status_draft_keeps_a_post_with_a_time_a_draft(team: Team) -> None:
    post = team.ws.editor.call("POST", "/posts", body(team, publish_at=at(60), status="draft")).body
    assert post["status"] == "draft" and post["publish_at"] is not None
    assert not [s for s in schedules() if post["id"] in s]


def test_a_draft_is_edited_then_scheduled_by_patching_a_time_with_the_queue_rules(team: Team) -> None:
    post = team.ws.editor.call("POST", "/posts", body(team, text="x" * 400)).body
    edited = team.ws.editor.call("PATCH", f"/posts/{post['id']}", {"text": "y" * 350})
    assert edited.status == 200, edited.body
    assert edited.body["post"]["status"] == "draft" and edited.body["post"]["text"] == "y" * 350

    refused = team.ws.editor.call("PATCH", f"/posts/{post['id']}", {"publish_at": at(30)})
    assert refused.status == 422
    assert {e["field"] for e in refused.body["errors"]} == {"text"}
    assert "Bluesky" in refused.body["errors"][0]["reason"]
    assert team.ws.viewer.call("GET", f"/posts/{post['id']}").body["status"] == "draft"

    scheduled = team.ws.editor.call("PATCH", f"/posts/{post['id']}", {"publish_at": at(30), "text": "Ready now"})
    assert scheduled.status == 200, scheduled.body
    assert scheduled.body["post"]["status"] == "scheduled"
    assert scheduled.body["post"]["deliveries"][0]["text"] == "Ready now"
    assert [s for s in schedules() if post["id"] in s]
    assert actions(scheduled.body["post"]) == ["drafted", "edited", "scheduled"]


def test_a_draft_is_cancelled(team: Team) -> None:
    post = team.contributor.call("POST", "/posts", body(team)).body
    answer = team.contributor.call("DELETE", f"/posts/{post['id']}")
    assert answer.status == 200, answer.body
    assert answer.body["post"]["status"] == "cancelled"


def test_two_racing_schedules_of_one_draft_have_one_winner(team: Team) -> None:
    post = team.ws.editor.call("POST", "/posts", body(team)).body
    times = [at(30), at(45)]
    answers: list[int] = []

    def schedule(when: str) -> None:
        answers.append(team.ws.editor.call("PATCH", f"/posts/{post['id']}", {"publish_at": when}).status)

    threads = [threading.Thread(target=schedule, args=(t,)) for t in times]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) in ([200, 409], [200, 200])  # the second may come after the first: then an edit
    final = team.ws.viewer.call("GET", f"/posts/{post['id']}").body
    assert final["status"] == "scheduled"
    assert final["deliveries"][0]["publish_at"] == final["publish_at"]


# -- validate --------------------------------------------------------------------------------------------


def test_validate_answers_per_channel_with_queueings_own_reasons_and_counts_and_writes_nothing(team: Team) -> None:
    before = count_posts(team.ws)
    text = "é" * 301
    answer = team.contributor.call(
        "POST", "/posts/validate", body(team, text=text, channels=[team.ws.channel_id, "ch_unknown"])
    )
    assert answer.status == 200, answer.body
    result = answer.body
    assert result["ok"] is False and result["publish_at"] is None
    first, unknown = result["channels"]
    assert first["counts"] == {
        "graphemes": 301,
        "bytes": 602,
        "weighted": 301,
        "limit": 300,
        "counted_as": "graphemes",
        "byte_limit": 3000,
    }
    queued = team.ws.editor.call("POST", "/posts", body(team, text=text, publish_at=at(30)))
    assert queued.status == 422
    assert first["problems"] == [{"field": e["field"], "reason": e["reason"]} for e in queued.body["errors"]]
    assert unknown["ok"] is False and unknown["problems"][0]["field"] == "channels"
    assert count_posts(team.ws) == before


def test_validate_reports_an_image_that_is_not_the_workspaces(team: Team) -> None:
    answer = team.contributor.call("POST", "/posts/validate", body(team, media=["m_01m8zgb2xw5c0r7y3k9d4f6hta"]))
    assert answer.status == 200, answer.body
    assert answer.body["channels"][0]["problems"][0]["field"].startswith("media")


def test_validate_checks_the_time_when_given(team: Team) -> None:
    answer = team.contributor.call("POST", "/posts/validate", body(team, publish_at="2020-01-01T00:00:00Z"))
    assert answer.status == 200
    assert answer.body["problems"][0]["field"] == "publish_at"
    fine = team.contributor.call("POST", "/posts/validate", body(team, publish_at=at(30))).body
    assert fine["ok"] is True and fine["channels"][0]["counts"]["weighted"] == len("Hello from parley")


# -- approval --------------------------------------------------------------------------------------------


def test_a_contributors_post_waits_armed_then_an_editor_approves_it(team: Team, net: FaultyNetwork) -> None:
    answer = team.contributor.call("POST", "/posts", body(team, publish_at=at(30)))
    assert answer.status == 201, answer.body
    post = answer.body
    assert post["status"] == "pending_approval"
    assert actions(post) == ["submitted"]
    assert post["history"][0]["by"] == team.contributor_id
    assert [s for s in schedules() if post["id"] in s]  # armed: its time is an event

    assert team.contributor.call("POST", f"/posts/{post['id']}/approve").status == 403
    approved = team.ws.editor.call("POST", f"/posts/{post['id']}/approve")
    assert approved.status == 200, approved.body
    assert approved.body["status"] == "scheduled"
    assert actions(approved.body) == ["submitted", "approved"]
    assert fire(post["id"], team).state == "published"
    assert net.creates == 1


def test_a_contributors_edit_of_an_approved_post_sends_it_back_to_approval(team: Team) -> None:
    post = team.contributor.call("POST", "/posts", body(team, publish_at=at(30))).body
    team.ws.editor.call("POST", f"/posts/{post['id']}/approve")
    edited = team.contributor.call("PATCH", f"/posts/{post['id']}", {"text": "Changed after approval"})
    assert edited.status == 200, edited.body
    assert edited.body["post"]["status"] == "pending_approval"
    assert actions(edited.body["post"])[-1] == "resubmitted"
    by_editor = team.ws.editor.call("PATCH", f"/posts/{post['id']}", {"text": "An editor's change"})
    assert by_editor.body["post"]["status"] == "pending_approval"  # still waiting: an editor's edit keeps it so


def test_a_rejected_post_is_a_draft_again_with_the_comment_then_resubmitted(team: Team) -> None:
    post = team.contributor.call("POST", "/posts", body(team, publish_at=at(30))).body
    assert team.ws.editor.call("POST", f"/posts/{post['id']}/reject", {}).status == 422
    assert team.ws.editor.call("POST", f"/posts/{post['id']}/reject", {"comment": "  "}).status == 422
    rejected = team.ws.editor.call("POST", f"/posts/{post['id']}/reject", {"comment": "Wait for the launch"})
    assert rejected.status == 200, rejected.body
    assert rejected.body["status"] == "draft"
    assert rejected.body["history"][-1]["comment"] == "Wait for the launch"
    assert not [s for s in schedules() if post["id"] in s]
    again = team.contributor.call("PATCH", f"/posts/{post['id']}", {"publish_at": at(90)})
    assert again.status == 200, again.body
    assert again.body["post"]["status"] == "pending_approval"
    assert actions(again.body["post"]) == ["submitted", "rejected", "submitted"]


def test_a_pending_post_whose_time_comes_is_missed_never_published_and_not_approvable(
    team: Team, net: FaultyNetwork
) -> None:
    post = team.contributor.call("POST", "/posts", body(team, publish_at=at(30))).body
    outcome = fire(post["id"], team)
    assert outcome.state == "cancelled" and outcome.detail == "missed_approval"
    assert net.creates == 0 and not net.posted
    seen = team.ws.viewer.call("GET", f"/posts/{post['id']}").body
    assert seen["status"] == "missed_approval"
    assert seen["deliveries"][0]["failure_reason"] == "missed_approval"
    assert actions(seen)[-1] == "missed_approval"
    late = team.ws.editor.call("POST", f"/posts/{post['id']}/approve")
    assert late.status == 409
    assert "missed_approval" in late.body["detail"]
    # a repeat of the firing changes nothing
    assert fire(post["id"], team).state == "cancelled" and net.creates == 0


def test_missed_posts_are_listed_by_their_own_status(team: Team, net: FaultyNetwork) -> None:
    # where a member finds what was not published for want of an approval (the webhook says it too)
    cancelled = team.contributor.call("POST", "/posts", body(team, publish_at=at(20))).body
    assert team.contributor.call("DELETE", f"/posts/{cancelled['id']}").status == 200
    missed = team.contributor.call("POST", "/posts", body(team, publish_at=at(30))).body
    fire(missed["id"], team)

    listed = team.ws.viewer.call("GET", "/posts?status=missed_approval")

    assert listed.status == 200, listed.body
    assert [(p["id"], p["status"]) for p in listed.body["items"]] == [(missed["id"], "missed_approval")]
    both = team.ws.viewer.call("GET", "/posts?status=cancelled").body["items"]
    assert {p["id"] for p in both} == {missed["id"], cancelled["id"]}


def race(editor: members.Principal, post_id: str, stale: deliveries.DeliveryRecord) -> dict[str, bool]:
    """An editor's approval and the firing of the post's time (the publish step's conditional write), at once."""
    barrier = threading.Barrier(2)
    results: dict[str, bool] = {}

    def approve() -> None:
        barrier.wait()
        try:
            approval.approve(editor, arming(), post_id)
            results["approved"] = True
        except Conflict:
            results["approved"] = False

    def miss() -> None:
        barrier.wait()
        results["missed"] = approval.miss(stale, due_at=stale.due_at, by="publish")

    threads = [threading.Thread(target=approve), threading.Thread(target=miss)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_an_approval_racing_the_firing_has_exactly_one_winner(team: Team, net: FaultyNetwork) -> None:
    editor = members.Principal(team.ws.id, "mem_editor", members.Role.EDITOR)
    approved = 0
    for _ in range(5):
        post = team.contributor.call("POST", "/posts", body(team, publish_at=at(30))).body
        key = DeliveryKey(team.ws.id, post["id"], team.ws.channel_id)
        record = deliveries.get(key)
        assert record is not None and record.state == State.PENDING_APPROVAL.value
        results = race(editor, post["id"], record)
        assert results["approved"] != results["missed"], results
        final = deliveries.get(key)
        assert final is not None
        assert final.state == (State.SCHEDULED.value if results["approved"] else State.CANCELLED.value)
        if results["approved"]:  # the firing lost: it reads the delivery again and publishes it
            approved += 1
            assert fire(post["id"], team).state == "published"
        else:  # the missed one never reaches the network, however often its firing repeats
            assert fire(post["id"], team).state == "cancelled"
    assert net.creates == approved


def test_an_approval_that_lands_while_the_firing_waits_wins_and_the_firing_publishes(
    team: Team, net: FaultyNetwork
) -> None:
    post = team.contributor.call("POST", "/posts", body(team, publish_at=at(30))).body
    key = DeliveryKey(team.ws.id, post["id"], team.ws.channel_id)
    stale = deliveries.get(key)
    assert stale is not None
    team.ws.editor.call("POST", f"/posts/{post['id']}/approve")
    with pytest.raises(LostRace):
        deliveries.miss_approval(stale, due_at=stale.due_at, by="publish")
    assert fire(post["id"], team).state == "published"
    assert net.creates == 1


def test_with_approval_off_a_contributors_post_is_scheduled(team: Team) -> None:
    assert team.ws.viewer.call("GET", "/workspace/approval").body == {"required": True}
    assert team.ws.editor.call("PUT", "/workspace/approval", {"required": False}).status == 403
    assert team.ws.admin.call("PUT", "/workspace/approval", {"required": False}).body == {"required": False}
    post = team.contributor.call("POST", "/posts", body(team, publish_at=at(30))).body
    assert post["status"] == "scheduled"
    assert actions(post) == ["scheduled"]


def test_viewers_can_do_none_of_it(team: Team) -> None:
    post = team.contributor.call("POST", "/posts", body(team, publish_at=at(30))).body
    viewer = team.ws.viewer
    assert viewer.call("POST", "/posts", body(team)).status == 403
    assert viewer.call("POST", "/posts/validate", body(team)).status == 403
    assert viewer.call("POST", f"/posts/{post['id']}/approve").status == 403
    assert viewer.call("POST", f"/posts/{post['id']}/reject", {"comment": "no"}).status == 403
    assert viewer.call("PATCH", f"/posts/{post['id']}", {"text": "mine"}).status == 403


def test_a_contributor_cancels_a_waiting_post_but_not_an_approved_one(team: Team) -> None:
    waiting = team.contributor.call("POST", "/posts", body(team, publish_at=at(30))).body
    assert team.contributor.call("DELETE", f"/posts/{waiting['id']}").status == 200
    approved = team.contributor.call("POST", "/posts", body(team, publish_at=at(40))).body
    team.ws.editor.call("POST", f"/posts/{approved['id']}/approve")
    assert team.contributor.call("DELETE", f"/posts/{approved['id']}").status == 403
    assert PostRecord.get(team.ws.id, approved["id"]).history


def test_a_pending_post_through_the_publish_function_never_reaches_the_network(team: Team, net: FaultyNetwork) -> None:
    post = team.contributor.call("POST", "/posts", body(team, publish_at=at(30))).body
    key = DeliveryKey(team.ws.id, post["id"], team.ws.channel_id)
    record = deliveries.get(key)
    assert record is not None and record.due_at is not None
    clock.get_clock().set(record.due_at - timedelta(seconds=1))  # type: ignore[attr-defined]
    message = {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": PublishMessage(key, record.due_at).to_json()}
    event = {"Records": [sqs_record(message, "arn:aws:sqs:eu-west-1:123456789012:publish", "eu-west-1")]}
    functions = FunctionRegistry()
    for _ in range(2):  # and its duplicate
        assert functions.invoke(Function.PUBLISH, event, clock=clock.get_clock()) == {"batchItemFailures": []}
    assert net.creates == 0 and not net.posted
    final = deliveries.get(key)
    assert final is not None and final.state == State.CANCELLED.value and final.failure_reason == "missed_approval"


@pytest.fixture
def hooked(team: Team, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv(Env.OUTBOUND_ALLOWED_HOSTS.value, "127.0.0.1")
    get_settings.cache_clear()
    events = ["post.approval_requested", "post.approved", "post.rejected", "post.missed_approval"]
    answer = team.ws.admin.call("POST", "/webhooks", {"url": "http://127.0.0.1:9/hook", "events": events})
    assert answer.status == 201, answer.body
    yield str(answer.body["id"])
    get_settings.cache_clear()


def test_webhooks_are_told_of_requests_approvals_rejections_and_missed_approvals(team: Team, hooked: str) -> None:
    rejected = team.contributor.call("POST", "/posts", body(team, publish_at=at(30))).body
    team.ws.editor.call("POST", f"/posts/{rejected['id']}/reject", {"comment": "Not yet"})
    team.contributor.call("PATCH", f"/posts/{rejected['id']}", {"publish_at": at(40)})
    team.ws.editor.call("POST", f"/posts/{rejected['id']}/approve")
    missed = team.contributor.call("POST", "/posts", body(team, publish_at=at(50))).body
    fire(missed["id"], team)
    log = team.ws.admin.call("GET", f"/webhooks/{hooked}/deliveries").body["items"]
    assert sorted(d["event_type"] for d in log) == sorted(
        [
            "post.approval_requested",
            "post.rejected",
            "post.approval_requested",
            "post.approved",
            "post.approval_requested",
            "post.missed_approval",
        ]
    )


def test_disconnecting_a_channel_names_and_cancels_its_drafts_and_waiting_posts(team: Team) -> None:
    draft = team.contributor.call("POST", "/posts", body(team)).body
    waiting = team.contributor.call("POST", "/posts", body(team, publish_at=at(30))).body
    refused = team.ws.admin.call("DELETE", f"/channels/{team.ws.channel_id}")
    assert refused.status == 409
    named = {(d["post_id"], d["publish_at"] is None) for d in refused.body["deliveries"]}
    assert named == {(draft["id"], True), (waiting["id"], False)}
    done = team.ws.admin.call("DELETE", f"/channels/{team.ws.channel_id}?cancel_scheduled=true")
    assert done.status == 200, done.body
    assert sorted(done.body["cancelled_posts"]) == sorted([draft["id"], waiting["id"]])
    assert not [s for s in schedules() if waiting["id"] in s]
