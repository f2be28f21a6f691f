"""The calendar through the API against moto: a month of deliveries in pages, grouped by local day; the iCalendar
feed read with a member's feed token and parsed back with `icalendar` (stable UIDs, a reschedule's higher
SEQUENCE, cancelled deliveries as STATUS:CANCELLED); feed tokens and API tokens never stand in for each other."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from parley.publishing import deliveries
from parley.publishing.deliveries import State
from parley.publishing.posts import publish_key
from parley.shared import clock, ids
from parley.store import ChannelRecord, DeliveryRecord
from parley.store.keys import DeliveryKey
from parley.team import members, tokens
from tests.integration.test_api_posts import Workspace, draft, in_minutes, make_workspace
from tests.support.api import Answer, ApiClient

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def ws(aws: str) -> Workspace:
    return make_workspace()


@pytest.fixture
def manual() -> Iterator[clock.ManualClock]:
    held = clock.ManualClock(clock.now().replace(microsecond=0))
    previous = clock.get_clock()
    clock.set_clock(held)
    yield held
    clock.set_clock(previous)


def second_channel(ws: Workspace) -> str:
    channel_id = "ch_" + ids.new_id()
    ChannelRecord(
        ws.id,
        channel_id,
        network="mastodon",
        handle="acme@example.social",
        remote_id="1",
        service_url="http://127.0.0.1:1",
        credential_parameter="/parley/test/credential",
        created_at=clock.now(),
        created_by="mem_test",
        time_zone="Europe/Berlin",
    ).save()
    return channel_id


EVERY_STATE = (State.SCHEDULED, State.PUBLISHED, State.CANCELLED, State.FAILED, State.HELD, State.RETRYING)


def store_month(
    ws: Workspace, channels: list[str], count: int, states: tuple[State, ...] = EVERY_STATE
) -> list[DeliveryRecord]:
    """`count` deliveries over March 2026 in every state, some at 23:30 UTC (the next day in Berlin)."""
    rng = random.Random(17)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    records = []
    with DeliveryRecord.batch_write() as batch:
        for n in range(count):
            post_id = "p_" + ids.new_id() + f"{n:04d}"
            day = start + timedelta(days=rng.randrange(30))
            at = day + (timedelta(hours=23, minutes=30) if n % 5 == 0 else timedelta(minutes=rng.randrange(20 * 60)))
            channel_id = channels[n % len(channels)]
            record = deliveries.new_delivery(
                DeliveryKey(ws.id, post_id, channel_id),
                network="bluesky" if channel_id == channels[0] else "mastodon",
                text=f"Post number {n} " + "x" * (n % 150),
                publish_at=at,
                publish_key=publish_key(at, post_id),
                state=states[n % len(states)],
            )
            if record.state == State.PUBLISHED.value:
                record.url = f"https://bsky.app/profile/acme.test/post/{n}"
            batch.save(record)
            records.append(record)
    return records


def pages(client: ApiClient, url: str) -> list[Answer]:
    answers = [client.call("GET", url)]
    while answers[-1].status == 200 and answers[-1].body["next_cursor"]:
        answers.append(client.call("GET", f"{url}&cursor={answers[-1].body['next_cursor']}"))
    return answers


def test_a_month_of_deliveries_comes_in_pages_in_time_order_each_on_its_local_day(ws: Workspace) -> None:
    other = second_channel(ws)
    stored = store_month(ws, [ws.channel_id, other], 400)
    url = "/calendar?from=2026-03-01&to=2026-04-01&tz=Europe/Berlin&limit=47"
    answers = pages(ws.viewer, url)
    assert all(a.status == 200 for a in answers), answers[-1].body
    assert len(answers) == 9  # 400 / 47, rounded up
    entries = []
    dates: list[str] = []
    for answer in answers:
        assert answer.body["tz"] == "Europe/Berlin"
        assert answer.body["from"] == "2026-02-28T23:00:00Z" and answer.body["to"] == "2026-03-31T22:00:00Z"
        for day in answer.body["days"]:
            assert day["free_slots"] == []
            for entry in day["entries"]:
                local = datetime.fromisoformat(entry["local_time"])
                assert local.date().isoformat() == day["date"]
                assert local.utcoffset() == datetime.fromisoformat(entry["publish_at"]).astimezone(BERLIN).utcoffset()
                entries.append(entry)
            dates.append(day["date"])
    keys = [(e["post_id"], e["channel_id"]) for e in entries]
    assert sorted(keys) == sorted((r.post_id, r.channel_id) for r in stored)  # each once, none lost
    times = [e["publish_at"] for e in entries]
    assert times == sorted(times)
    assert dates == sorted(dates) and dates[0] == "2026-03-01" and dates[-1] == "2026-03-31"
    assert set(dates) == {f"2026-03-{d:02d}" for d in range(1, 32)}  # every day, empty ones too
    assert Counter(e["state"] for e in entries) == Counter(r.state for r in stored)
    published = next(e for e in entries if e["state"] == "published")
    assert published["url"].startswith("https://bsky.app/")
    assert all(e["url"] is None for e in entries if e["state"] != "published")
    assert all(len(e["text"]) <= 100 for e in entries)
    late = next(r for r in stored if r.publish_at.hour == 23)  # 23:30 UTC: 00:30 the next day in Berlin
    entry = next(e for e in entries if e["post_id"] == late.post_id)
    assert entry["local_time"].startswith((late.publish_at + timedelta(days=1)).date().isoformat())

    # one channel: only its deliveries, also in pages
    mine = [e for a in pages(ws.viewer, f"{url}&channel={other}") for d in a.body["days"] for e in d["entries"]]
    assert len(mine) == 200 and {e["channel_id"] for e in mine} == {other}

    # a cursor pages only the window and channel it came from
    cursor = answers[0].body["next_cursor"]
    moved = ws.viewer.call("GET", f"/calendar?from=2026-03-02&to=2026-04-01&tz=Europe/Berlin&cursor={cursor}")
    assert moved.status == 400 and moved.body["errors"][0]["field"] == "cursor"


def test_a_state_with_more_than_a_page_is_read_to_its_end(ws: Workspace) -> None:
    stored = store_month(ws, [ws.channel_id], 25, states=(State.SCHEDULED,))
    answers = pages(ws.viewer, "/calendar?from=2026-03-01&to=2026-04-01&limit=10")
    keys = [e["post_id"] for a in answers for d in a.body["days"] for e in d["entries"]]
    assert sorted(keys) == sorted(r.post_id for r in stored)  # a page that took a whole page of one state lost none


def test_the_days_zone_defaults_to_the_channels_then_utc(ws: Workspace) -> None:
    other = second_channel(ws)
    at = datetime(2026, 3, 10, 23, 30, tzinfo=UTC)
    deliveries.new_delivery(
        DeliveryKey(ws.id, "p_late", other),
        network="mastodon",
        text="late",
        publish_at=at,
        publish_key=publish_key(at, "p_late"),
    ).save()
    window = "from=2026-03-10T00:00:00Z&to=2026-03-12T00:00:00Z"
    by_channel = ws.viewer.call("GET", f"/calendar?{window}&channel={other}")
    assert by_channel.body["tz"] == "Europe/Berlin"
    assert [d["date"] for d in by_channel.body["days"] if d["entries"]] == ["2026-03-11"]
    in_utc = ws.viewer.call("GET", f"/calendar?{window}")
    assert in_utc.body["tz"] == "UTC"
    assert [d["date"] for d in in_utc.body["days"] if d["entries"]] == ["2026-03-10"]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("from=2026-03-01&to=2026-05-03", 422, "to"),  # 63 days
        ("from=2026-03-02&to=2026-03-01", 422, "to"),
        ("from=2026-03-01&tz=Mars/Olympus", 422, "tz"),
        ("from=2026-03-01T09:00:00", 422, "from"),
        ("from=tomorrow", 422, "from"),
        ("limit=1001", 422, "limit"),
    ],
)
def test_a_bad_window_or_zone_is_refused_naming_the_field(ws: Workspace, query: str, status: int, field: str) -> None:
    answer = ws.viewer.call("GET", f"/calendar?{query}")
    assert answer.status == status, answer.body
    assert answer.body["errors"][0]["field"] == field


def test_an_unknown_channel_is_404_and_no_token_is_401(ws: Workspace) -> None:
    assert ws.viewer.call("GET", "/calendar?channel=ch_nope").status == 404
    assert ApiClient().call("GET", "/calendar").status == 401


def test_the_default_window_is_a_week_from_the_start_of_today(ws: Workspace) -> None:
    answer = ws.viewer.call("GET", "/calendar?tz=Europe/Berlin")
    assert answer.status == 200
    today = clock.now().astimezone(BERLIN).date()
    assert [d["date"] for d in answer.body["days"]] == [(today + timedelta(days=n)).isoformat() for n in range(7)]


# ---- the feed ------------------------------------------------------------------------------------------------


def feed_token(answer: Answer) -> str:
    return parse_qs(urlsplit(answer.body["url"]).query)["token"][0]


def read_feed(token: str) -> Calendar:
    answer = ApiClient().call("GET", f"/calendar.ics?token={token}")
    assert answer.status == 200, answer.body
    assert answer.headers["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(answer.body)


def events(calendar: Calendar) -> dict[str, Any]:
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_shows_each_delivery_once_with_a_stable_uid_through_a_reschedule_and_a_cancel(
    ws: Workspace, manual: clock.ManualClock
) -> None:
    made = ws.viewer.call("POST", "/me/calendar-feed")
    assert made.status == 201 and made.body["active"] is True
    token = feed_token(made)
    assert token.startswith("pcf_")
    status = ws.viewer.call("GET", "/me/calendar-feed")
    assert status.body["active"] is True and token not in str(status.body)

    other = second_channel(ws)
    post = ws.editor.call("POST", "/posts", draft(ws, channels=[ws.channel_id, other], text="Spring sale\nall week"))
    assert post.status == 201
    post_id = post.body["id"]
    first = events(read_feed(token))
    uids = {f"{post_id}-{ws.channel_id}@parley", f"{post_id}-{other}@parley"}
    assert uids <= set(first)
    event = first[f"{post_id}-{ws.channel_id}@parley"]
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]).startswith("Bluesky: Spring sale all week")
    assert f"/posts/{post_id}" in str(event["DESCRIPTION"])
    assert event.decoded("DTSTART") == datetime.fromisoformat(post.body["publish_at"])

    manual.advance(5)
    moved_to = in_minutes(90)
    assert ws.editor.call("PATCH", f"/posts/{post_id}", {"publish_at": moved_to}).status == 200
    second = events(read_feed(token))
    rescheduled = second[f"{post_id}-{ws.channel_id}@parley"]
    assert rescheduled.decoded("DTSTART") == datetime.fromisoformat(moved_to).astimezone(UTC)
    assert int(rescheduled["SEQUENCE"]) > int(event["SEQUENCE"])
    assert rescheduled.decoded("LAST-MODIFIED") > event.decoded("LAST-MODIFIED")
    assert rescheduled.decoded("DTSTAMP") > event.decoded("DTSTAMP")

    manual.advance(5)
    assert ws.editor.call("DELETE", f"/posts/{post_id}").status == 200
    third = events(read_feed(token))
    for uid in uids:
        assert str(third[uid]["STATUS"]) == "CANCELLED"
        assert int(third[uid]["SEQUENCE"]) > int(second[uid]["SEQUENCE"])


def test_a_feed_token_cannot_call_the_api_and_an_api_token_cannot_read_the_feed(ws: Workspace) -> None:
    token = feed_token(ws.viewer.call("POST", "/me/calendar-feed"))
    assert ApiClient(token).call("GET", "/posts").status == 401
    assert ApiClient(token).call("GET", "/calendar").status == 401
    assert ApiClient().call("GET", f"/calendar.ics?token={ws.viewer.token}").status == 404
    assert ws.viewer.call("GET", "/calendar.ics").status == 422  # a bearer token is no feed token
    assert ApiClient().call("GET", "/calendar.ics?token=pcf_made_up").status == 404
    # the member's API tokens list shows no feed
    me = ws.viewer.call("GET", "/me").body["id"]
    listed = ws.viewer.call("GET", f"/members/{me}/tokens")
    assert listed.status == 200 and len(listed.body["items"]) == 1


def test_revoking_or_rotating_a_feed_stops_its_url_at_once(ws: Workspace) -> None:
    assert ws.viewer.call("DELETE", "/me/calendar-feed").status == 404  # none yet
    first = feed_token(ws.viewer.call("POST", "/me/calendar-feed"))
    second = feed_token(ws.viewer.call("POST", "/me/calendar-feed"))  # rotated: the first stops
    assert ApiClient().call("GET", f"/calendar.ics?token={first}").status == 404
    read_feed(second)
    assert ws.viewer.call("DELETE", "/me/calendar-feed").status == 204
    gone = ApiClient().call("GET", f"/calendar.ics?token={second}")
    assert gone.status == 404 and "revoked" in gone.body["detail"]
    status = ws.viewer.call("GET", "/me/calendar-feed").body
    assert status["active"] is False and status["created_at"] is None and status["revoked_at"]
    third = feed_token(ws.viewer.call("POST", "/me/calendar-feed"))  # a new one after a revocation
    read_feed(third)


def test_a_removed_members_feed_stops(ws: Workspace) -> None:
    member = tokens.add_member(ws.id, "Temp", members.Role.VIEWER)
    client = ApiClient(member.token)
    token = feed_token(client.call("POST", "/me/calendar-feed"))
    read_feed(token)
    assert ws.admin.call("DELETE", f"/members/{member.member_id}").status == 204
    assert ApiClient().call("GET", f"/calendar.ics?token={token}").status == 404


def test_a_page_reads_about_what_it_shows_on_the_by_state_index_and_no_scan(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pynamodb.connection.base import Connection

    store_month(ws, [ws.channel_id], 400)
    sent: list[tuple[str, str | None, int]] = []
    dispatch = Connection.dispatch

    def counted(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> Any:
        answer = dispatch(self, operation_name, operation_kwargs)
        sent.append((operation_name, operation_kwargs.get("IndexName"), int(answer.get("Count", 0))))
        return answer

    monkeypatch.setattr(Connection, "dispatch", counted)
    answer = ws.viewer.call("GET", "/calendar?from=2026-03-01&to=2026-04-01&limit=100")
    assert answer.status == 200
    shown = sum(len(d["entries"]) for d in answer.body["days"])
    by_state = [(index, count) for name, index, count in sent if name == "Query" and index]
    assert {index for index, _ in by_state} == {"by_state"}
    assert len(by_state) >= len(State)  # each state's stream is read...
    read = sum(count for _, count in by_state)  # ...a quarter page at a time, as the merge needs it
    assert shown == 100 and read <= shown + len(State) * 25, by_state
    assert not [name for name, _, _ in sent if name == "Scan"]
    # besides the token's check (3): the free slots, read once a page: the channels, their times in one batch
    assert len([name for name, index, _ in sent if not index]) <= 3 + 1 + 1, sent
