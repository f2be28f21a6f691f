"""The composer page's handlers in-process against moto (parley.web.compose_page): what each role is offered,
the live check's fragment (the same core call as `POST /posts/preview`), saving as the API does (schedule, draft,
submit for approval) with the calendar's flash after it, a refused save showing the form again with what was
typed, and the CSRF check on every post. The same in a real browser: tests/browser/test_compose.py."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from parley.publishing import posts
from parley.shared import clock, ids
from parley.store import ChannelRecord
from parley.team import members, tokens
from parley.web import compose_page
from tests.integration.test_web_app import Browser, Page

ZONE = "Europe/Berlin"


@pytest.fixture
def admin(aws: str) -> tokens.IssuedToken:
    return tokens.create_workspace("Acme", "Ada")


@pytest.fixture
def channel_id(admin: tokens.IssuedToken) -> str:
    found = "ch_" + ids.new_id()
    ChannelRecord(
        admin.workspace_id,
        found,
        network="bluesky",
        handle="acme.test",
        display_name="Acme Inc",
        remote_id="did:plc:acme",
        service_url="http://127.0.0.1:1",
        credential_parameter="/parley/test/credential",
        created_at=clock.now(),
        created_by=admin.member_id,
        time_zone=ZONE,
    ).save()
    return found


def signed_in(token: str) -> tuple[Browser, Page]:
    browser = Browser()
    browser.sign_in(token)
    return browser, browser.call("GET", "/app/compose")


def _principal(issued: tokens.IssuedToken) -> members.Principal:
    return members.Principal(issued.workspace_id, issued.member_id, issued.role)


def local_in(hours: int) -> str:
    return (clock.now() + timedelta(hours=hours)).astimezone(ZoneInfo(ZONE)).strftime(compose_page.LOCAL_FORMAT)


def test_the_form_offers_the_channels_and_the_buttons_the_role_allows(
    admin: tokens.IssuedToken, channel_id: str
) -> None:
    _, page = signed_in(admin.token)
    assert page.status == 200
    assert f'name="channels" value="{channel_id}"' in page.body and "acme.test" in page.body
    assert ">Schedule<" in page.body and ">Publish now<" in page.body and ">Save as draft<" in page.body
    assert f"({ZONE})" in page.body and 'type="datetime-local"' in page.body
    assert 'hx-trigger="input changed delay:300ms' in page.body

    contributor = tokens.add_member(admin.workspace_id, "Co", members.Role.CONTRIBUTOR)
    _, page = signed_in(contributor.token)  # approval is on by default: a contributor submits
    assert ">Submit for approval<" in page.body and ">Schedule<" not in page.body and ">Publish now<" not in page.body

    viewer = tokens.add_member(admin.workspace_id, "Vi", members.Role.VIEWER)
    _, page = signed_in(viewer.token)
    assert page.status == 403


def test_the_live_check_counts_highlights_and_refuses_as_the_api_does(
    admin: tokens.IssuedToken, channel_id: str
) -> None:
    browser, page = signed_in(admin.token)
    csrf = page.field("csrf")
    short = browser.call(
        "POST",
        compose_page.PREVIEW_PATH,
        {"text": "Hello #launch", "channels": channel_id},
        **{"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert short.status == 200 and "<html" not in short.body  # a fragment
    assert "Acme Inc" in short.body and "@acme.test" in short.body
    assert '<span class="seg-hashtag"' in short.body and "13 / 300 graphemes" in short.body
    assert "refusal" not in short.body

    long = browser.call(
        "POST",
        compose_page.PREVIEW_PATH,
        {"text": "a" * 301, "channels": channel_id},
        **{"HX-Request": "true", "X-CSRF-Token": csrf},
    )
    assert long.status == 200 and "301 / 300 graphemes" in long.body and 'class="refusal"' in long.body
    assert 'class="count over"' in long.body

    none = browser.call("POST", compose_page.PREVIEW_PATH, {"text": "x"}, **{"X-CSRF-Token": csrf})
    assert "Choose a channel" in none.body
    forged = browser.call("POST", compose_page.PREVIEW_PATH, {"text": "x", "channels": channel_id})
    assert forged.status == 403


def test_scheduling_queues_the_post_and_the_calendar_says_so(admin: tokens.IssuedToken, channel_id: str) -> None:
    browser, page = signed_in(admin.token)
    at = local_in(30)
    form = {"csrf": page.field("csrf"), "text": "Spring <launch>", "channels": channel_id, "when": "time"}
    saved = browser.call("POST", compose_page.PATH, form | {"publish_at": at, "action": "schedule"})
    assert saved.status == 303
    location = saved.header("Location") or ""
    assert urlsplit(location).path == "/app/calendar"
    assert parse_qs(urlsplit(location).query) == {"date": [at[:10]], "saved": ["scheduled"]}

    calendar = browser.call("GET", location)
    assert 'class="flash" role="status">Scheduled.' in calendar.body
    assert "Spring &lt;launch&gt;" in calendar.body and "state-scheduled" in calendar.body
    (post,) = posts.list_posts(_principal(admin), posts.PostQuery())["items"]
    assert post["deliveries"][0]["publish_at"].startswith(
        (clock.now() + timedelta(hours=30)).astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M")
    )


def test_a_draft_and_a_contributors_submission_go_where_the_api_puts_them(
    admin: tokens.IssuedToken, channel_id: str
) -> None:
    browser, page = signed_in(admin.token)
    form = {"csrf": page.field("csrf"), "text": "Draft it", "channels": channel_id, "action": "draft"}
    saved = browser.call("POST", compose_page.PATH, form)
    assert saved.status == 303 and "saved=draft" in (saved.header("Location") or "")

    contributor = tokens.add_member(admin.workspace_id, "Co", members.Role.CONTRIBUTOR)
    browser, page = signed_in(contributor.token)
    form = {"csrf": page.field("csrf"), "text": "Please approve", "channels": channel_id, "action": "submit"}
    saved = browser.call("POST", compose_page.PATH, form | {"when": "time", "publish_at": local_in(5)})
    assert saved.status == 303 and "saved=submitted" in (saved.header("Location") or "")
    states = {p["text"]: p["status"] for p in posts.list_posts(_principal(admin), posts.PostQuery())["items"]}
    assert states["Please approve"] == "pending_approval"


def test_a_refused_save_shows_the_form_again_with_what_was_typed_and_each_reason(
    admin: tokens.IssuedToken, channel_id: str
) -> None:
    browser, page = signed_in(admin.token)
    text = "b" * 301 + " <kept>"
    form = {"csrf": page.field("csrf"), "text": text, "channels": channel_id, "link": "not a url"}
    refused = browser.call("POST", compose_page.PATH, form | {"publish_at": local_in(3), "action": "schedule"})
    assert refused.status == 422
    assert f">{'b' * 301} &lt;kept&gt;</textarea>" in refused.body
    assert 'aria-invalid="true" aria-describedby="text-problem"' in refused.body
    assert f'value="{channel_id}" checked' in refused.body and 'value="not a url"' in refused.body
    assert 'role="alert"' in refused.body
    assert posts.list_posts(_principal(admin), posts.PostQuery())["items"] == []  # nothing written

    no_time = browser.call("POST", compose_page.PATH, form | {"text": "ok", "link": "", "action": "schedule"})
    assert no_time.status == 422 and 'id="publish_at-problem"' in no_time.body
    forged = browser.call("POST", compose_page.PATH, {"text": "x", "channels": channel_id, "action": "draft"})
    assert forged.status == 403


def test_an_image_address_is_the_sessions_workspaces_only(admin: tokens.IssuedToken, channel_id: str) -> None:
    from functions.web.handler import lambda_handler
    from parley.media import uploads
    from tests.support.api import FakeContext, api_event
    from tests.support.images import png

    data = png()
    record = uploads.create_checked(_principal(admin), data, uploads.judge(data, "image/png", len(data)), "A dot")
    browser, page = signed_in(admin.token)
    cookie = "; ".join(f"{k}={v}" for k, v in browser.jar.items())
    answer = lambda_handler(api_event("GET", f"/app/media/{record.media_id}", None, {"Cookie": cookie}), FakeContext())
    assert answer["statusCode"] == 200 and answer["multiValueHeaders"]["Content-Type"] == ["image/png"]
    assert answer["isBase64Encoded"] and base64.b64decode(answer["body"]) == data

    shown = browser.call(
        "POST",
        compose_page.PREVIEW_PATH,
        {"text": "With a picture", "channels": channel_id, "media": record.media_id},
        **{"X-CSRF-Token": page.field("csrf")},
    )
    assert f'<img class="post-image" src="/app/media/{record.media_id}" alt="A dot" width="4" height="3">' in shown.body

    other = tokens.create_workspace("Other", "Oz")
    stranger, _ = signed_in(other.token)
    assert stranger.call("GET", f"/app/media/{record.media_id}").status == 404
    assert browser.call("GET", "/app/media/med_nothere").status == 404
    assert Browser().call("GET", "/app/media/med_nothere").status == 303  # no session: sign in


def test_a_form_with_several_channels_is_read_whole() -> None:
    form = compose_page.parse("text=hi&channels=a&channels=b&channels=a&when=next_slot&action=bogus")
    assert form.channel_ids == ["a", "b"] and form.when == "next_slot" and form.action == compose_page.SCHEDULE


def test_publish_now_and_the_next_free_slot_queue_as_the_api_does(admin: tokens.IssuedToken, channel_id: str) -> None:
    from tests.support.api import ApiClient

    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    slots = {"time_zone": ZONE, "times": [{"days": days, "at": ["09:00"]}]}
    assert ApiClient(admin.token).call("PUT", f"/channels/{channel_id}/slots", slots).status == 200
    browser, page = signed_in(admin.token)
    form = {"csrf": page.field("csrf"), "channels": channel_id}

    now = browser.call("POST", compose_page.PATH, form | {"text": "Right now", "action": "now"})
    assert now.status == 303 and "saved=publishing" in (now.header("Location") or "")
    queued = browser.call("POST", compose_page.PATH, form | {"text": "Next slot", "when": "next_slot"})
    assert queued.status == 303 and "saved=scheduled" in (queued.header("Location") or "")

    found = {p["text"]: p for p in posts.list_posts(_principal(admin), posts.PostQuery())["items"]}
    assert found["Right now"]["status"] == "scheduled"
    assert abs(datetime.fromisoformat(found["Right now"]["publish_at"]) - clock.now()) < timedelta(seconds=5)
    slot = datetime.fromisoformat(found["Next slot"]["deliveries"][0]["publish_at"]).astimezone(ZoneInfo(ZONE))
    assert (slot.hour, slot.minute) == (9, 0)


def test_a_channel_of_another_workspace_is_refused_and_the_text_kept(
    admin: tokens.IssuedToken, channel_id: str
) -> None:
    browser, page = signed_in(admin.token)
    form = {"csrf": page.field("csrf"), "text": "Kept", "channels": "ch_nothere", "action": "schedule"}
    refused = browser.call("POST", compose_page.PATH, form | {"publish_at": local_in(4)})
    assert refused.status in (404, 422) and ">Kept</textarea>" in refused.body and 'role="alert"' in refused.body
