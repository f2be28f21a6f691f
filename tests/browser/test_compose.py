"""The composer in Chromium (issue 18, page 2): a post to the test workspace's Bluesky channel, its live count and
a refusal for a too-long text that goes when the text is shortened (htmx, from the server's rules), scheduled
and then on the calendar with the flash; a refused save keeps what was typed; the keyboard alone; 390 px; axe.

`PARLEY_SCREENSHOTS=docs/images` writes the page's screenshot for docs/web.md."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ZONE, WebApp
from tests.browser.test_sign_in import serious, sign_in


def text_field(page: Page) -> Locator:
    return page.get_by_role("textbox", name="Text", exact=True)


def local_in(web: WebApp, hours: int) -> str:
    return (web.clock.now() + timedelta(hours=hours)).astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


def test_compose_check_live_and_schedule_to_the_calendar(page: Page, web: WebApp) -> None:
    sign_in(page, web, web.admin.token)
    page.get_by_role("link", name="Compose").click()
    expect(page).to_have_url(web.url + "/app/compose")

    page.get_by_role("checkbox", name="bluesky acme.test").check()
    text_field(page).fill("Spring launch #launch with @acme.test")
    card = page.locator(".post-card.network-bluesky")
    expect(card.locator(".count")).to_have_text("37 / 300 graphemes")
    expect(card.locator(".seg-hashtag")).to_have_text("#launch")
    expect(card.locator(".handle")).to_have_text("@acme.test")
    expect(card.locator(".refusal")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

    text_field(page).fill("x" * 301)
    expect(card.locator(".count")).to_have_text("301 / 300 graphemes")
    expect(card.locator(".refusal")).to_have_count(1)
    expect(card).to_have_class("post-card network-bluesky refused")
    assert serious(page) == []

    text_field(page).fill("Composed in the browser #spring")
    expect(card.locator(".count")).to_have_text("31 / 300 graphemes")
    expect(card.locator(".refusal")).to_have_count(0)
    if os.environ.get("PARLEY_SCREENSHOTS"):
        page.locator("#publish_at").fill(local_in(web, 26))
        page.screenshot(path=str(Path(os.environ["PARLEY_SCREENSHOTS"]) / "web-compose-390.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(Path(os.environ["PARLEY_SCREENSHOTS"]) / "web-compose.png"), full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})

    page.locator("#publish_at").fill(local_in(web, 26))
    page.get_by_role("button", name="Schedule").click()
    expect(page).to_have_url(web.url + "/app/calendar?" + page.url.split("?", 1)[1])
    expect(page.get_by_role("status").filter(has_text="Scheduled.")).to_be_visible()
    expect(page.locator(".entry.state-scheduled", has_text="Composed in the browser #spring")).to_be_visible()


def test_a_refused_save_keeps_what_was_typed(page: Page, web: WebApp) -> None:
    sign_in(page, web, web.admin.token)
    page.goto(web.url + "/app/compose")
    page.get_by_role("checkbox", name="bluesky acme.test").check()
    text_field(page).fill("Kept after a refusal")
    page.get_by_role("button", name="Schedule").click()  # no time given

    expect(page.get_by_role("alert")).to_contain_text("publish_at")
    expect(text_field(page)).to_have_value("Kept after a refusal")
    expect(page.get_by_role("checkbox", name="bluesky acme.test")).to_be_checked()
    expect(page.locator("#publish_at-problem")).to_contain_text("give a time")
    assert serious(page) == []


def test_composing_with_the_keyboard_alone(page: Page, web: WebApp) -> None:
    sign_in(page, web, web.admin.token)
    page.goto(web.url + "/app/compose")
    text_field(page).focus()
    page.keyboard.type("Typed, not clicked")
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name="bluesky acme.test")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator(".post-card.network-bluesky .count")).to_have_text("18 / 300 graphemes")
    page.get_by_role("button", name="Save as draft").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Saved as a draft.")).to_be_visible()


def test_a_live_check_that_fails_says_so_and_keeps_the_text(page: Page, web: WebApp) -> None:
    sign_in(page, web, web.admin.token)
    page.goto(web.url + "/app/compose")
    page.route("**/app/compose/preview", lambda route: route.fulfill(status=500, body="down"))
    page.get_by_role("checkbox", name="bluesky acme.test").check()
    text_field(page).fill("Still here")
    expect(page.locator("#preview-error")).to_be_visible()
    expect(text_field(page)).to_have_value("Still here")

    page.unroute("**/app/compose/preview")
    text_field(page).fill("Still here, checked")
    expect(page.locator(".post-card.network-bluesky .count")).to_have_text("19 / 300 graphemes")
    expect(page.locator("#preview-error")).to_be_hidden()
