"""The inbox page in-process against moto (REST proxy events, as API Gateway sends them): the list and its filters
and pages, claim (and the loser told who holds it), give back, done, answer with an approved answer (a fake
network), the core's refusals beside the item with what was typed kept, and what a viewer is offered.
The same in a real browser: tests/browser/test_inbox.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

import pytest

from parley.connect import adapters, credentials
from parley.listening import answers
from parley.networks.base import Adapter, Credential
from parley.shared import clock, ids
from parley.store import ChannelRecord, InboxRecord
from parley.team import members, tokens
from parley.web.security import SESSION_COOKIE
from tests.integration.test_inbox_and_watches import _AnsweringNetwork, _item
from tests.integration.test_web_app import Browser, Page


@pytest.fixture
def team(aws: str) -> tuple[tokens.IssuedToken, tokens.IssuedToken, str]:
    admin = tokens.create_workspace("Inbox", "Ada")
    ed = tokens.add_member(admin.workspace_id, "Ed", members.Role.EDITOR)
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
        time_zone="Europe/Berlin",
    ).save()
    return admin, ed, channel_id


@pytest.fixture
def network(aws: str) -> Iterator[_AnsweringNetwork]:
    """A fake Bluesky that takes every answer (what is tested is the page and the core, not the network)."""
    credentials.save_credential("/parley/test/credential", Credential("acme.test", "secret", "http://127.0.0.1:1"))
    fake = _AnsweringNetwork()
    adapters.set_factory(lambda n, c, s: cast(Adapter, fake))
    try:
        yield fake
    finally:
        adapters.set_factory(None)


def _signed_in(token: tokens.IssuedToken) -> tuple[Browser, str]:
    browser = Browser()
    browser.sign_in(token.token)
    page = browser.call("GET", "/app/inbox")
    return browser, page.field("csrf")


def _post(browser: Browser, csrf: str, item: InboxRecord, action: str, htmx: bool = False, **form: str) -> Page:
    headers = {"HX-Request": "true"} if htmx else {}
    return browser.call("POST", f"/app/inbox/{item.item_id}/{action}", {"csrf": csrf, "back": ""} | form, **headers)


def test_the_inbox_lists_items_newest_first_and_filters_by_sentiment_status_and_channel(team: Any) -> None:
    admin, _, channel_id = team
    _item(admin.workspace_id, channel_id, "Love <it>", sentiment="positive")
    _item(admin.workspace_id, channel_id, "Broken again", sentiment="negative")
    _item(admin.workspace_id, "ch_other", "Elsewhere")
    browser, _ = _signed_in(admin)
    page = browser.call("GET", "/app/inbox")
    assert page.status == 200 and "Love &lt;it&gt;" in page.body and "Broken again" in page.body
    assert page.body.index("Elsewhere") < page.body.index("Broken again") < page.body.index("Love &lt;it&gt;")
    assert "acme.test (bluesky)" in page.body
    negative = browser.call("GET", "/app/inbox?sentiment=negative")
    assert "Broken again" in negative.body and "Love &lt;it&gt;" not in negative.body
    by_channel = browser.call("GET", f"/app/inbox?channel={channel_id}&status=new")
    assert "Elsewhere" not in by_channel.body and "Broken again" in by_channel.body
    assert "Nothing here with these filters" in browser.call("GET", "/app/inbox?status=answered").body
    bad = browser.call("GET", "/app/inbox?sentiment=angry")
    assert bad.status == 422 and "<code>sentiment</code>" in bad.body


def test_the_inbox_pages_on_the_cores_cursor(team: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from parley.web import inbox_page

    admin, _, channel_id = team
    monkeypatch.setattr(inbox_page, "PAGE_SIZE", 2)
    for n in range(3):
        _item(admin.workspace_id, channel_id, f"Question {n}")
    browser, _ = _signed_in(admin)
    first = browser.call("GET", "/app/inbox?sentiment=neutral")
    assert "Question 2" in first.body and "Question 0" not in first.body
    older = first.body.split('rel="next"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert "sentiment=neutral" in older and "cursor=" in older
    second = browser.call("GET", older)
    assert "Question 0" in second.body and "Question 2" not in second.body and "Newest" in second.body


def test_claim_shows_the_holder_the_loser_is_told_and_done_closes_it(team: Any) -> None:
    admin, ed, channel_id = team
    item = _item(admin.workspace_id, channel_id)
    ada, ada_csrf = _signed_in(admin)
    claimed = _post(ada, ada_csrf, item, "claim", htmx=True)
    assert claimed.status == 200 and "claimed by Ada" in claimed.body and "<html" not in claimed.body

    eddie, ed_csrf = _signed_in(ed)
    lost = _post(eddie, ed_csrf, item, "claim", htmx=True)
    assert lost.status == 409 and "Ada has claimed this item" in lost.body and "claimed by Ada" in lost.body
    assert ">Claim<" not in lost.body and ">Give back<" not in lost.body  # Ed is no admin: nothing to offer
    plain = _post(eddie, ed_csrf, item, "dismiss")
    assert plain.status == 409 and "<html" in plain.body and "Ada has claimed this item" in plain.body

    done = _post(ada, ada_csrf, item, "dismiss", back="status=claimed")
    assert done.status == 303 and done.header("Location") == "/app/inbox?status=claimed"
    assert InboxRecord.get(admin.workspace_id, item.item_id).status == "dismissed"


def test_give_back_frees_a_claimed_item(team: Any) -> None:
    admin, ed, channel_id = team
    item = _item(admin.workspace_id, channel_id)
    eddie, csrf = _signed_in(ed)
    _post(eddie, csrf, item, "claim")
    freed = _post(eddie, csrf, item, "release", htmx=True)
    assert freed.status == 200 and ">Claim<" in freed.body
    assert InboxRecord.get(admin.workspace_id, item.item_id).status == "new"


def test_an_approved_answer_goes_out_with_its_placeholders_filled_by_the_core(
    team: Any, network: _AnsweringNetwork
) -> None:
    admin, _, channel_id = team
    principal = members.Principal(admin.workspace_id, admin.member_id, admin.role)
    approved = answers.create(principal, "Shipping", "Sorry {author}: order {order} ships {day}.")
    item = _item(admin.workspace_id, channel_id)
    browser, csrf = _signed_in(admin)
    page = browser.call("GET", "/app/inbox")
    assert "Shipping: Sorry {author}" in page.body and 'name="value.order"' in page.body

    missing = _post(browser, csrf, item, "reply", htmx=True, answer_id=approved["id"], **{"value.order": "A-1"})
    assert missing.status == 422 and "is needed by the approved answer" in missing.body
    assert 'value="A-1"' in missing.body and f'value="{approved["id"]}" selected' in missing.body  # kept
    assert network.answers == []

    sent = _post(
        browser,
        csrf,
        item,
        "reply",
        htmx=True,
        answer_id=approved["id"],
        **{"value.order": "A-1", "value.day": "today"},
    )
    assert sent.status == 200 and "answered by Ada" in sent.body
    assert network.answers == ["Sorry @alice.test: order A-1 ships today."]
    again = _post(browser, csrf, item, "reply", htmx=True, text="Twice?")
    assert again.status == 409 and "already answered" in again.body and network.answers[1:] == []


def test_own_words_are_checked_by_the_core_and_kept_when_refused(team: Any, network: _AnsweringNetwork) -> None:
    admin, _, channel_id = team
    item = _item(admin.workspace_id, channel_id)
    browser, csrf = _signed_in(admin)
    too_long = _post(browser, csrf, item, "reply", text="x" * 400)
    assert too_long.status == 422 and 'aria-invalid="true"' in too_long.body and "x" * 400 in too_long.body
    assert network.answers == []
    sent = _post(browser, csrf, item, "reply", text="Thanks!")
    assert sent.status == 303 and network.answers == ["Thanks!"]


def test_a_viewer_sees_the_inbox_but_is_offered_no_action_and_a_post_without_csrf_is_refused(team: Any) -> None:
    admin, _, channel_id = team
    viewer = tokens.add_member(admin.workspace_id, "Vi", members.Role.VIEWER)
    item = _item(admin.workspace_id, channel_id, "Hello there")
    browser, csrf = _signed_in(viewer)
    page = browser.call("GET", "/app/inbox")
    assert "Hello there" in page.body and ">Claim<" not in page.body and "Send the answer" not in page.body
    refused = _post(browser, csrf, item, "claim", htmx=True)
    assert refused.status == 403 and InboxRecord.get(admin.workspace_id, item.item_id).status == "new"

    ada, _ = _signed_in(admin)
    assert SESSION_COOKIE in ada.jar
    no_csrf = ada.call("POST", f"/app/inbox/{item.item_id}/claim", {"back": ""})
    assert no_csrf.status == 403 and InboxRecord.get(admin.workspace_id, item.item_id).status == "new"


def test_a_spike_and_a_held_queue_show_a_banner_and_an_editor_releases_the_hold(team: Any) -> None:
    from parley.listening import alerts
    from parley.publishing import holds
    from parley.scheduling.wiring import arming
    from parley.store import ActivityRecord

    admin, ed, _ = team
    ActivityRecord(admin.workspace_id, alerts.hour_key(clock.now()), alerted={alerts.NEGATIVE_SHARE}).save()
    holds.hold_workspace(members.Principal(admin.workspace_id, admin.member_id, admin.role), arming())
    viewer = tokens.add_member(admin.workspace_id, "Vi", members.Role.VIEWER)
    seen, _ = _signed_in(viewer)
    page = seen.call("GET", "/app/inbox")
    assert "The share of negative replies and mentions spiked" in page.body and "<strong>held</strong>" in page.body
    assert "Release the hold" not in page.body and "An editor or an admin can release it" in page.body

    eddie, csrf = _signed_in(ed)
    assert "Release the hold" in eddie.call("GET", "/app/inbox").body
    released = eddie.call("POST", "/app/inbox/release-hold", {"csrf": csrf, "back": "status=new"})
    assert released.status == 200 and "The hold is released: 0 queued deliveries" in released.body
    assert not holds.is_held(admin.workspace_id) and "Release the hold" not in released.body
    assert 'value="new" selected' in released.body  # the filters kept
