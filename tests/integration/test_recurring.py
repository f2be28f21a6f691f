"""Recurring and evergreen posts through the API (docs/recurring.md), against moto's endpoint with a stand-in
adapter and the manual clock: only the live occurrence exists and is armed; publishing or cancelling it makes
and arms the next; editing the future leaves what went out; X's word-for-word repeats are refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest

from parley.connect import adapters, credentials
from parley.networks.base import Account, Credential, Published, PublishRequest, SessionStore
from parley.publishing import deliveries
from parley.publishing import publish as publishing
from parley.scheduling import PublishMessage
from parley.scheduling.wiring import arming
from parley.shared import clock, ids
from parley.shared.config import get_settings
from parley.shared.errors import FieldProblem
from parley.store import ChannelRecord, PostRecord, SeriesRecord
from parley.store.keys import DeliveryKey
from parley.team import members, tokens
from tests.support.api import ApiClient

START = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)  # a Monday; New York moves its clocks on 14 March
NEW_YORK = ZoneInfo("America/New_York")


@dataclass
class StandIn:
    """Every network: a publish goes out at once and is remembered by its delivery id."""

    posted: dict[str, str] = field(default_factory=dict)
    network: str = "bluesky"

    def adapter(self, network: str, credential: Credential, sessions: SessionStore) -> StandIn:
        return self

    def check_text(self, text: str) -> list[FieldProblem]:
        return []

    def verify(self, credential: Credential) -> Account:
        raise NotImplementedError

    def publish(self, request: PublishRequest) -> Published:
        self.posted[request.delivery_id] = request.text
        return Published("at://x/" + request.delivery_id, "https://example.test/" + request.delivery_id, clock.now())

    def find(self, request: PublishRequest) -> Published | None:
        return None


@dataclass
class Workspace:
    id: str
    editor: ApiClient
    bluesky: str
    x: str


def _channel(workspace_id: str, network: str, by: str) -> str:
    channel_id = "ch_" + ids.new_id()
    parameter = credentials.credential_parameter(get_settings().parameter_prefix, workspace_id, channel_id)
    credentials.save_credential(parameter, Credential("brand.test", "secret", "http://127.0.0.1:1"))
    ChannelRecord(
        workspace_id,
        channel_id,
        network=network,
        handle="acme.test",
        remote_id="did:plc:acme" if network == "bluesky" else "12345",
        service_url="http://127.0.0.1:1",
        credential_parameter=parameter,
        created_at=clock.now(),
        created_by=by,
    ).save()
    return channel_id


@pytest.fixture
def net(aws: str) -> Iterator[StandIn]:
    clock.set_clock(clock.ManualClock(START))
    fake = StandIn()
    adapters.set_factory(fake.adapter)
    yield fake
    adapters.set_factory(None)
    clock.set_clock(clock.SystemClock())


@pytest.fixture
def ws(net: StandIn) -> Workspace:
    admin = tokens.create_workspace("Acme", "Ada")
    editor = tokens.add_member(admin.workspace_id, "Ed", members.Role.EDITOR)
    return Workspace(
        admin.workspace_id,
        ApiClient(editor.token),
        _channel(admin.workspace_id, "bluesky", admin.member_id),
        _channel(admin.workspace_id, "x", admin.member_id),
    )


def weekly(ws: Workspace, **changes: Any) -> dict[str, Any]:
    return {
        "text": "Tuesday tips: scheduling",
        "channels": [ws.bluesky],
        "publish_at": "2027-03-02T09:00:00",
        "time_zone": "America/New_York",
        "repeat": {"rrule": "FREQ=WEEKLY;BYDAY=TU;COUNT=3"},
    } | changes


def schedules() -> list[str]:
    return [s["Name"] for s in boto3.client("scheduler").list_schedules()["Schedules"]]


def armed_for(post_id: str) -> bool:
    return any(name.startswith(f"d-{post_id}-") for name in schedules())


def exists(ws: Workspace, post_id: str) -> bool:
    try:
        PostRecord.get(ws.id, post_id)
    except PostRecord.DoesNotExist:
        return False
    return True


def publish(ws: Workspace, post_id: str, channel_id: str) -> publishing.Outcome:
    key = DeliveryKey(ws.id, post_id, channel_id)
    record = deliveries.get(key)
    assert record is not None and record.due_at is not None
    clock.get_clock().set(max(record.due_at, clock.now()))  # type: ignore[attr-defined]
    return publishing.handle_due(PublishMessage(key, record.due_at), arming())


def delivery(ws: Workspace, post_id: str, channel_id: str) -> deliveries.DeliveryRecord:
    record = deliveries.get(DeliveryKey(ws.id, post_id, channel_id))
    assert record is not None
    return record


def test_a_series_publishes_its_first_occurrence_and_arms_only_the_next(ws: Workspace, net: StandIn) -> None:
    answer = ws.editor.call("POST", "/posts", weekly(ws))
    assert answer.status == 201, answer.body
    series_id = answer.body["series"]["id"]
    first, second, third = (f"{series_id}-{n}" for n in (1, 2, 3))
    assert answer.body["id"] == first
    assert answer.body["series"]["occurrences"] == 3
    assert answer.body["publish_at"] == "2027-03-02T14:00:00Z"  # 09:00 EST
    assert [w["field"] for w in answer.body["warnings"]] == ["repeat.variants"]  # Bluesky ranks repeats down
    assert armed_for(first) and not exists(ws, second)

    assert publish(ws, first, ws.bluesky).state == "published"
    assert exists(ws, second) and armed_for(second)
    assert not exists(ws, third) and not armed_for(third)
    nxt = delivery(ws, second, ws.bluesky)
    assert nxt.state == "scheduled" and nxt.publish_at == datetime(2027, 3, 9, 14, tzinfo=UTC)
    assert f"{first}.{ws.bluesky}" in net.posted  # its own exactly-once key

    again = publish(ws, first, ws.bluesky)  # a duplicate message: nothing more is made
    assert again.state == "published" and not exists(ws, third)

    seen = ws.editor.call("GET", f"/series/{series_id}").body
    assert seen["current"] == {"occurrence": 2, "post_id": second}
    assert [m["post_id"] for m in seen["made"]] == [first, second]
    assert seen["upcoming"] == ["2027-03-16T13:00:00Z"]  # 09:00 EDT: after the change
    got = ws.editor.call("GET", f"/posts/{second}").body
    assert got["series"] == {"id": series_id, "occurrence": 2}


def test_cancelling_an_occurrence_arms_the_next_and_editing_the_future_leaves_the_past(
    ws: Workspace, net: StandIn
) -> None:
    series_id = ws.editor.call("POST", "/posts", weekly(ws)).body["series"]["id"]
    first, second, third = (f"{series_id}-{n}" for n in (1, 2, 3))
    publish(ws, first, ws.bluesky)

    cancelled = ws.editor.call("DELETE", f"/posts/{second}")
    assert cancelled.status == 200, cancelled.body
    assert delivery(ws, second, ws.bluesky).state == "cancelled"
    assert exists(ws, third) and armed_for(third)
    third_record = delivery(ws, third, ws.bluesky)
    assert third_record.publish_at.astimezone(NEW_YORK).hour == 9  # across the DST change
    assert third_record.publish_at == datetime(2027, 3, 16, 13, tzinfo=UTC)

    edited = ws.editor.call("PATCH", f"/posts/{third}", {"scope": "future", "text": "Tuesday tips: the queue"})
    assert edited.status == 200, edited.body
    assert edited.body["live"] == {"post_id": third, "changed": [ws.bluesky]}
    assert delivery(ws, third, ws.bluesky).text == "Tuesday tips: the queue"
    assert delivery(ws, first, ws.bluesky).text == "Tuesday tips: scheduling"  # out already: unchanged
    assert ws.editor.call("GET", f"/series/{series_id}").body["text"] == "Tuesday tips: the queue"

    publish(ws, third, ws.bluesky)
    ended = ws.editor.call("GET", f"/series/{series_id}").body
    assert ended["status"] == "ended" and not exists(ws, f"{series_id}-4")


def test_cancelling_the_series_stops_it(ws: Workspace) -> None:
    series_id = ws.editor.call("POST", "/posts", weekly(ws)).body["series"]["id"]
    answer = ws.editor.call("DELETE", f"/series/{series_id}")
    assert answer.status == 200, answer.body
    assert answer.body["series"]["status"] == "cancelled"
    assert answer.body["cancelled"] == [ws.bluesky]
    assert delivery(ws, f"{series_id}-1", ws.bluesky).state == "cancelled"
    assert not exists(ws, f"{series_id}-2")
    assert ws.editor.call("DELETE", f"/series/{series_id}").status == 409


def test_variants_rotate_per_occurrence(ws: Workspace, net: StandIn) -> None:
    body = weekly(ws, channels=[ws.bluesky, ws.x], text="Tip one")
    body["repeat"] |= {"variants": ["Tip two", "Tip three"]}
    answer = ws.editor.call("POST", "/posts", body)
    assert answer.status == 201, answer.body
    assert answer.body["warnings"] == []
    series_id = answer.body["series"]["id"]
    texts = []
    for n in (1, 2, 3):
        post_id = f"{series_id}-{n}"
        texts.append(delivery(ws, post_id, ws.x).text)
        publish(ws, post_id, ws.x)
        publish(ws, post_id, ws.bluesky)
    assert texts == ["Tip one", "Tip two", "Tip three"]


def test_x_refuses_a_series_that_repeats_its_text_word_for_word(ws: Workspace) -> None:
    answer = ws.editor.call("POST", "/posts", weekly(ws, channels=[ws.x]))
    assert answer.status == 422
    problems = {e["field"]: e["reason"] for e in answer.body["errors"]}
    assert "duplicate content" in problems["repeat.variants"]
    assert not list(SeriesRecord.query(ws.id))  # nothing written


@pytest.mark.parametrize(
    ("repeat", "field_name"),
    [
        ({"rrule": "FREQ=WEEKLY"}, "repeat.rrule"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=XX;COUNT=3"}, "repeat.rrule"),
        ({"rrule": "FREQ=WEEKLY;COUNT=3", "tz": "Mars/Olympus"}, "repeat.tz"),
        ({"every_days": 30}, "repeat"),  # the schema's oneOf (rrule, or every_days and until): the reason names it
        ({"tz": "UTC"}, "repeat"),
    ],
)
def test_a_bad_repeat_is_a_422_naming_the_field(ws: Workspace, repeat: dict[str, Any], field_name: str) -> None:
    answer = ws.editor.call("POST", "/posts", weekly(ws, repeat=repeat))
    assert answer.status == 422, answer.body
    assert field_name in [e["field"] for e in answer.body["errors"]]
    if field_name == "repeat":
        missing = "until" if "every_days" in repeat else "rrule"
        assert f"{missing} is missing" in str(answer.body["errors"])
    assert not list(SeriesRecord.query(ws.id))


def test_an_evergreen_post_is_queued_again_after_it_goes_out_until_its_end(ws: Workspace, net: StandIn) -> None:
    slots = {"time_zone": "UTC", "times": [{"days": ["mon", "tue", "wed", "thu", "fri"], "at": ["09:00"]}]}
    assert ws.editor.call("PUT", f"/channels/{ws.bluesky}/slots", slots).status == 200
    body = {
        "text": "Our guide to scheduling",
        "channels": [ws.bluesky],
        "publish_at": "next_slot",
        "repeat": {"every_days": 7, "until": (START + timedelta(days=12)).isoformat(), "variants": ["Still useful"]},
    }
    answer = ws.editor.call("POST", "/posts", body)
    assert answer.status == 201, answer.body
    series_id = answer.body["series"]["id"]
    first = f"{series_id}-1"
    assert delivery(ws, first, ws.bluesky).publish_at == datetime(2027, 3, 2, 9, tzinfo=UTC)  # the next slot

    publish(ws, first, ws.bluesky)
    second = delivery(ws, f"{series_id}-2", ws.bluesky)
    assert second.publish_at == datetime(2027, 3, 9, 9, tzinfo=UTC)  # the first slot 7 days after it went out
    assert second.text == "Still useful" and armed_for(f"{series_id}-2")
    queued = ws.editor.call("GET", f"/channels/{ws.bluesky}/queue").body["items"]
    assert any(i["post"] and i["post"]["id"] == f"{series_id}-2" for i in queued)

    publish(ws, f"{series_id}-2", ws.bluesky)  # the next slot 7 days on is after `until`
    assert not exists(ws, f"{series_id}-3")
    assert ws.editor.call("GET", f"/series/{series_id}").body["status"] == "ended"


def test_editing_the_future_on_x_is_checked_against_the_occurrence_before(ws: Workspace, net: StandIn) -> None:
    body = weekly(ws, channels=[ws.x], text="Tip one")
    body["repeat"] |= {"variants": ["Tip two"]}
    series_id = ws.editor.call("POST", "/posts", body).body["series"]["id"]
    publish(ws, f"{series_id}-1", ws.x)
    live = f"{series_id}-2"

    refused = ws.editor.call("PATCH", f"/series/{series_id}", {"text": "Tip one", "variants": []})
    assert refused.status == 422, refused.body
    assert "duplicate content" in {e["field"]: e["reason"] for e in refused.body["errors"]}["repeat.variants"]
    assert delivery(ws, live, ws.x).text == "Tip two"  # nothing changed

    edited = ws.editor.call("PATCH", f"/series/{series_id}", {"variants": ["Tip four"]})
    assert edited.status == 200, edited.body
    assert delivery(ws, live, ws.x).text == "Tip four"
    assert delivery(ws, f"{series_id}-1", ws.x).text == "Tip one"
    assert ws.editor.call("PATCH", f"/posts/{live}", {"variants": ["Tip five"]}).status == 422  # scope "future"


def test_a_crash_before_the_series_moved_on_is_repaired_by_the_repeated_message(
    ws: Workspace, net: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parley.publishing import series

    series_id = ws.editor.call("POST", "/posts", weekly(ws)).body["series"]["id"]
    first, second = f"{series_id}-1", f"{series_id}-2"
    real = series.occurrence_ended

    def crash(*args: Any) -> None:
        raise RuntimeError("the function died after publishing")

    monkeypatch.setattr(series, "occurrence_ended", crash)
    with pytest.raises(RuntimeError):  # the message comes back (batchItemFailures)
        publish(ws, first, ws.bluesky)
    assert delivery(ws, first, ws.bluesky).state == "published"  # the post is out whatever happens
    assert not exists(ws, second)

    monkeypatch.setattr(series, "occurrence_ended", real)
    publish(ws, first, ws.bluesky)  # Lambda's retry, or Scheduler's duplicate
    assert exists(ws, second) and armed_for(second)
    assert len(net.posted) == 1


def test_scope_future_on_a_post_that_does_not_repeat_is_a_422(ws: Workspace) -> None:
    post = ws.editor.call("POST", "/posts", weekly(ws, repeat=None)).body
    answer = ws.editor.call("PATCH", f"/posts/{post['id']}", {"scope": "future", "text": "New"})
    assert answer.status == 422 and answer.body["errors"][0]["field"] == "scope"


def test_a_contributors_occurrence_that_missed_its_approval_lets_the_series_go_on(ws: Workspace) -> None:
    contributor = ApiClient(tokens.add_member(ws.id, "Co", members.Role.CONTRIBUTOR).token)
    answer = contributor.call("POST", "/posts", weekly(ws))
    assert answer.status == 201, answer.body
    series_id = answer.body["series"]["id"]
    assert delivery(ws, f"{series_id}-1", ws.bluesky).state == "pending_approval"

    assert publish(ws, f"{series_id}-1", ws.bluesky).state == "cancelled"  # its time came first
    assert delivery(ws, f"{series_id}-2", ws.bluesky).state == "pending_approval"  # queued as its creator would


def test_a_series_whose_first_post_is_refused_leaves_nothing(ws: Workspace) -> None:
    answer = ws.editor.call("POST", "/posts", weekly(ws, media=["m_01m8zgb2xw5c0r7y3k9d4f6hta"]))  # no such image
    assert answer.status in (404, 422), answer.body
    assert not list(SeriesRecord.query(ws.id))
    assert not list(PostRecord.query(ws.id))


def test_an_occurrence_made_while_its_series_is_cancelled_is_withdrawn(
    ws: Workspace, net: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parley.publishing import series

    series_id = ws.editor.call("POST", "/posts", weekly(ws)).body["series"]["id"]
    make = series._make

    def make_then_cancelled(record: SeriesRecord, *args: Any) -> None:
        make(record, *args)
        SeriesRecord(ws.id, series_id).update(actions=[SeriesRecord.status.set(series.CANCELLED)])

    monkeypatch.setattr(series, "_make", make_then_cancelled)
    publish(ws, f"{series_id}-1", ws.bluesky)
    assert delivery(ws, f"{series_id}-2", ws.bluesky).state == "cancelled"


def test_validate_runs_the_repeat_rules_without_writing(ws: Workspace) -> None:
    refused = ws.editor.call("POST", "/posts/validate", weekly(ws, channels=[ws.x]))
    assert refused.status == 200 and refused.body["ok"] is False
    assert [p["field"] for p in refused.body["problems"]] == ["repeat.variants"]
    warned = ws.editor.call("POST", "/posts/validate", weekly(ws))
    assert warned.body["ok"] is True and [w["field"] for w in warned.body["warnings"]] == ["repeat.variants"]
    bad = ws.editor.call("POST", "/posts/validate", weekly(ws, repeat={"rrule": "FREQ=WEEKLY"}))
    assert bad.body["ok"] is False and bad.body["problems"][0]["field"] == "repeat.rrule"
    assert not list(SeriesRecord.query(ws.id)) and not list(PostRecord.query(ws.id))


def test_disconnecting_the_channel_stops_the_series_saying_why(ws: Workspace) -> None:
    owner = ApiClient(tokens.add_member(ws.id, "Ad", members.Role.ADMIN).token)  # an admin disconnects
    series_id = ws.editor.call("POST", "/posts", weekly(ws)).body["series"]["id"]
    answer = owner.call("DELETE", f"/channels/{ws.bluesky}?cancel_scheduled=true")
    assert answer.status == 200, answer.body
    seen = ws.editor.call("GET", f"/series/{series_id}").body
    assert seen["status"] == "stopped" and "could not be queued" in seen["status_reason"]
    assert not exists(ws, f"{series_id}-2")
