"""The inbox page in Chromium (issue 18): an item seeded through the core for the test workspace's channel is
filtered in place, claimed ("claimed by Ada"), answered with an approved answer (through a fake Bluesky adapter
set in this process, where the local runtime runs the web function: the browser fixture starts no network), and
another marked done; axe finds no serious or critical violation; it fits 390 px.

PARLEY_SCREENSHOTS=docs/images writes the page's pictures for docs/web.md."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from playwright.sync_api import Page, expect

from parley.connect import adapters, credentials
from parley.listening import answers
from parley.networks.base import Adapter, Credential
from parley.team import members
from tests.browser.conftest import WebApp
from tests.browser.test_sign_in import serious, sign_in
from tests.integration.test_inbox_and_watches import _AnsweringNetwork, _item


@pytest.fixture
def fake_network(web: WebApp) -> Iterator[_AnsweringNetwork]:
    """A FAKE Bluesky that takes every answer: the web function runs in this process (the local runtime's)."""
    credentials.save_credential("/parley/test/credential", Credential("acme.test", "secret", "http://127.0.0.1:1"))
    fake = _AnsweringNetwork()
    adapters.set_factory(lambda n, c, s: cast(Adapter, fake))
    try:
        yield fake
    finally:
        adapters.set_factory(None)


def _shot(page: Page, name: str) -> None:
    folder = os.environ.get("PARLEY_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def test_filter_claim_answer_with_an_approved_answer_and_mark_done(
    page: Page, web: WebApp, fake_network: _AnsweringNetwork
) -> None:
    admin = members.Principal(web.admin.workspace_id, web.admin.member_id, web.admin.role)
    approved = answers.create(admin, "Launch date", "Hi {author}, it ships on {day}.")
    asked = _item(web.admin.workspace_id, web.channel_id, "When does it ship?", sentiment="neutral")
    angry = _item(web.admin.workspace_id, web.channel_id, "Still broken, again", sentiment="negative")
    happy = _item(web.admin.workspace_id, web.channel_id, "Love the new look", sentiment="positive")
    sign_in(page, web, web.admin.token)
    page.goto(web.url + "/app/inbox")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.evaluate("window.stayed = true")

    page.get_by_label("Sentiment").focus()
    page.get_by_label("Sentiment").select_option("negative")  # htmx: swapped in place
    expect(page).to_have_url(re.compile(r"sentiment=negative"))
    expect(page.locator(".inbox-item", has_text="Love the new look")).to_have_count(0)
    expect(page.locator(".inbox-item", has_text="Still broken, again")).to_have_count(1)
    expect(page.get_by_label("Sentiment")).to_be_focused()
    page.get_by_label("Sentiment").select_option("")
    expect(page.locator(".inbox-item", has_text="Love the new look")).to_have_count(1)

    item = page.locator(f"#item-{asked.item_id}")
    item.get_by_role("button", name="Claim").focus()
    page.keyboard.press("Enter")  # by keyboard: the focus stays with the item, its Claim button gone
    expect(item).to_contain_text("claimed by Ada")
    expect(page.locator(f"#item-{asked.item_id}")).to_be_focused()
    item = page.locator(f"#item-{asked.item_id}")
    item.get_by_text("Answer", exact=True).click()
    item.get_by_label("Approved answer").select_option(approved["id"])
    item.get_by_role("button", name="Send the answer").click()  # {day} left empty: the core says so
    expect(item.get_by_text("is needed by the approved answer")).to_be_visible()
    item.get_by_label("{day}").fill("Monday")
    expect(item.get_by_label("Approved answer")).to_have_value(approved["id"])  # what was picked is kept
    _shot(page, "web-inbox-390.png")
    item.get_by_role("button", name="Send the answer").click()
    expect(item).to_contain_text("answered by Ada")
    assert fake_network.answers == ["Hi @alice.test, it ships on Monday."]

    other = page.locator(f"#item-{angry.item_id}")
    other.get_by_role("button", name="Done").click()
    expect(page.locator(f"#item-{angry.item_id}")).to_contain_text("done")
    expect(page.locator(f"#item-{angry.item_id}").get_by_role("button")).to_have_count(0)
    assert page.evaluate("window.stayed === true")  # all in place: the same document all along
    assert page.locator(f"#item-{happy.item_id}").count() == 1

    page.reload()
    assert serious(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})
    _shot(page, "web-inbox.png")


def test_a_spike_and_the_held_queue_are_a_banner_whose_hold_an_admin_releases(page: Page, web: WebApp) -> None:
    from parley.listening import alerts
    from parley.publishing import holds
    from parley.scheduling.wiring import arming
    from parley.shared import clock
    from parley.store import ActivityRecord

    admin = members.Principal(web.admin.workspace_id, web.admin.member_id, web.admin.role)
    ActivityRecord(web.admin.workspace_id, alerts.hour_key(clock.now()), alerted={alerts.MENTIONS}).save()
    holds.hold_workspace(admin, arming())
    sign_in(page, web, web.admin.token)
    page.goto(web.url + "/app/inbox")
    banner = page.get_by_role("region", name="Listening alert")
    expect(banner).to_contain_text("Mentions spiked")
    expect(banner).to_contain_text("held")
    assert serious(page) == []
    banner.get_by_role("button", name="Release the hold").click()
    expect(page.get_by_role("status")).to_contain_text("The hold is released")
    expect(page.get_by_role("button", name="Release the hold")).to_have_count(0)
    assert not holds.is_held(web.admin.workspace_id)
