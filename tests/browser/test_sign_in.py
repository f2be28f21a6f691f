"""Signing in and out of the web app in Chromium (issue 18): a pasted token or a one-time link makes a session
whose cookie the browser keeps (Secure, HttpOnly, SameSite=Strict, on http://127.0.0.1 too); the calendar shows
a scheduled post; signing out ends the session on the server; a post without the CSRF token is refused; every
answer carries the CSP and nothing is fetched from another origin; axe finds no serious or critical violation."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import requests
from axe_playwright_python.sync_playwright import Axe
from click.testing import CliRunner
from playwright.sync_api import Page, Response, expect

from parley.cli import main
from parley.web.security import CSP, SESSION_COOKIE
from tests.browser.conftest import WebApp


def sign_in(page: Page, web: WebApp, token: str) -> None:
    page.goto(web.url + "/")
    expect(page).to_have_url(web.url + "/app/sign-in")
    page.get_by_label("API token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(web.url + "/app/calendar")


def session_cookie(page: Page) -> dict[str, Any]:
    (found,) = [dict(c) for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
    return found


def test_a_token_signs_in_the_calendar_shows_the_post_and_signing_out_ends_the_session(page: Page, web: WebApp) -> None:
    at = web.clock.now() + timedelta(hours=2)
    web.queue("Spring launch, see you there #launch", at)
    sign_in(page, web, web.admin.token)
    page.goto(web.week_of(at))

    cookie = session_cookie(page)  # kept by Chromium although the page is plain http on 127.0.0.1
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    entry = page.locator(".entry.state-scheduled", has_text="Spring launch, see you there #launch")
    expect(entry).to_be_visible()
    expect(entry).to_contain_text("scheduled")
    expect(page.locator(".who")).to_contain_text("Ada (admin)")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(web.url + "/app/sign-in")
    replayed = requests.get(
        web.url + "/app/calendar", cookies={SESSION_COOKIE: cookie["value"]}, allow_redirects=False, timeout=30
    )
    assert replayed.status_code == 303 and replayed.headers["Location"] == "/app/sign-in"  # gone server-side


def test_a_login_link_signs_in_once_only(page: Page, web: WebApp) -> None:
    printed = CliRunner().invoke(main, ["admin", "login-link", "--member", web.admin.member_id])
    assert printed.exit_code == 0, printed.output
    link = printed.stdout.strip().splitlines()[0]
    assert link.startswith(web.url + "/app/sign-in/link?code=")

    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(web.url + "/app/calendar")

    other = page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        second = other.new_page()
        second.goto(link)
        second.get_by_role("button", name="Sign in").click()
        expect(second.get_by_role("alert")).to_contain_text("used already")
        assert not [c for c in other.cookies() if c["name"] == SESSION_COOKIE]
    finally:
        other.close()


def test_a_form_post_without_the_csrf_token_is_refused(page: Page, web: WebApp) -> None:
    sign_in(page, web, web.admin.token)

    refused = page.request.post(web.url + "/app/sign-out", form={"other": "field"}, max_redirects=0)
    assert refused.status == 403
    forged = page.request.post(web.url + "/app/sign-out", form={"csrf": "not-the-token"}, max_redirects=0)
    assert forged.status == 403
    page.reload()
    expect(page).to_have_url(web.url + "/app/calendar")  # still signed in: nothing happened


def test_every_page_has_the_csp_and_nothing_leaves_the_origin(page: Page, web: WebApp) -> None:
    documents: list[Response] = []
    requested: list[str] = []
    refusals: list[str] = []
    page.on("response", lambda r: documents.append(r) if r.request.resource_type == "document" else None)
    page.on("request", lambda r: requested.append(r.url))
    page.on("console", lambda m: refusals.append(m.text) if "Content Security Policy" in m.text else None)

    sign_in(page, web, web.admin.token)
    for path in ("/app/calendar?view=month", "/app/compose", "/app/inbox", "/app/reports", "/app/settings", "/app/x"):
        page.goto(web.url + path)

    assert documents and all(d.headers.get("content-security-policy") == CSP for d in documents), [
        d.url for d in documents if d.headers.get("content-security-policy") != CSP
    ]
    assert all(url.startswith(web.url + "/") for url in requested), requested
    assert any(url.endswith(".js") for url in requested)  # htmx came, from the origin
    assert refusals == []  # no inline script or style on any page


def serious(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']}" for v in results.response["violations"] if v.get("impact") in ("serious", "critical")
    ]


def test_axe_finds_no_serious_or_critical_violation_on_sign_in_and_calendar(page: Page, web: WebApp) -> None:
    at = web.clock.now() + timedelta(hours=3)
    web.queue("Accessible by all", at)
    page.goto(web.url + "/app/sign-in")
    assert serious(page) == []

    sign_in(page, web, web.admin.token)
    page.goto(web.week_of(at))
    expect(page.locator(".entry", has_text="Accessible by all")).to_be_visible()
    assert serious(page) == []
    page.goto(web.url + "/app/calendar?view=month")
    assert serious(page) == []


def test_the_calendar_fits_390_px_and_its_filters_work(page: Page, web: WebApp) -> None:
    at = web.clock.now() + timedelta(hours=4)
    web.queue("Filtered in", at)
    sign_in(page, web, web.admin.token)
    page.goto(web.week_of(at))

    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling
    page.evaluate("window.stayed = true")
    page.get_by_label("Status").focus()
    page.get_by_label("Status").select_option("published")  # htmx: the view is swapped in place
    expect(page).to_have_url(re.compile(r"status=published"))
    expect(page.locator(".entry", has_text="Filtered in")).to_have_count(0)
    expect(page.get_by_label("Status")).to_be_focused()  # the keyboard stays where it was
    page.get_by_label("Status").select_option("scheduled")
    page.get_by_role("button", name="Show").click()
    expect(page.locator(".entry", has_text="Filtered in")).to_have_count(1)
    assert page.evaluate("window.stayed === true")  # no page load: the same document all along
    page.get_by_role("link", name="Next week").click()
    expect(page.locator(".entry", has_text="Filtered in")).to_have_count(0)


def test_signing_in_with_the_keyboard_alone(page: Page, web: WebApp) -> None:
    page.goto(web.url + "/app/sign-in")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_label("API token")).to_be_focused()
    page.keyboard.type(web.admin.token)
    page.keyboard.press("Enter")
    expect(page).to_have_url(web.url + "/app/calendar")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="parley")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Calendar")).to_be_focused()
