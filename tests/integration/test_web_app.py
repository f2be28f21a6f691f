"""The web function in-process against moto (REST proxy events, as API Gateway sends them): signing in with a
token, the cookies' attributes, CSRF refusals, the CSP on every answer, the calendar's bad input, signing out.
The same in a real browser: tests/browser."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from parley.shared import clock, ids
from parley.store import ChannelRecord
from parley.team import members, tokens
from parley.web.security import CSP, SESSION_COOKIE, SIGN_IN_COOKIE
from tests.support.api import ApiClient, FakeContext, api_event

FORM = "application/x-www-form-urlencoded"


@dataclass
class Page:
    status: int
    headers: dict[str, list[str]]
    body: str

    def header(self, name: str) -> str | None:
        found = [v for k, vs in self.headers.items() if k.lower() == name.lower() for v in vs]
        return found[0] if found else None

    def cookies(self) -> list[str]:
        return [v for k, vs in self.headers.items() if k.lower() == "set-cookie" for v in vs]

    def field(self, name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', self.body)
        assert found, self.body
        return found.group(1)


@dataclass
class Browser:
    jar: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, form: dict[str, str] | None = None, **headers: str) -> Page:
        from functions.web.handler import lambda_handler

        sent = dict(headers)
        if self.jar:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        if form is not None:
            sent["Content-Type"] = FORM
        event = api_event(method, path, urlencode(form) if form is not None else None, sent)
        result: dict[str, Any] = lambda_handler(event, FakeContext())
        page = Page(result["statusCode"], result.get("multiValueHeaders") or {}, result.get("body") or "")
        for line in page.cookies():
            name, _, rest = line.partition("=")
            value = rest.split(";")[0]
            if "Max-Age=0" in line:
                self.jar.pop(name, None)
            else:
                self.jar[name] = value
        return page

    def sign_in(self, token: str) -> Page:
        form = self.call("GET", "/app/sign-in")
        return self.call("POST", "/app/sign-in", {"csrf": form.field("csrf"), "token": token})


@pytest.fixture
def admin(aws: str) -> tokens.IssuedToken:
    return tokens.create_workspace("Acme", "Ada <b>Lovelace</b>")


def test_the_root_sends_a_stranger_to_sign_in_and_every_answer_has_the_csp(admin: tokens.IssuedToken) -> None:
    browser = Browser()
    for path in ("/", "/app/calendar", "/app/sign-in", "/app/nowhere"):
        page = browser.call("GET", path)
        assert page.header("Content-Security-Policy") == CSP, path
        assert page.header("X-Content-Type-Options") == "nosniff"
    assert browser.call("GET", "/").header("Location") == "/app/sign-in"
    assert browser.call("GET", "/app/calendar").header("Location") == "/app/sign-in"
    assert browser.call("GET", "/app/nowhere").status == 404


def test_signing_in_sets_a_host_only_secure_httponly_strict_cookie(admin: tokens.IssuedToken) -> None:
    browser = Browser()
    form = browser.call("GET", "/app/sign-in")
    (pre,) = form.cookies()
    assert pre.startswith(f"{SIGN_IN_COOKIE}=")

    signed = browser.call("POST", "/app/sign-in", {"csrf": form.field("csrf"), "token": admin.token})
    assert signed.status == 303 and signed.header("Location") == "/app/calendar"
    session = next(c for c in signed.cookies() if c.startswith(SESSION_COOKIE))
    attributes = {a.strip().split("=")[0] for a in session.split(";")[1:]}
    assert {"Path", "Secure", "HttpOnly", "SameSite", "Max-Age"} <= attributes and "Domain" not in attributes
    assert "SameSite=Strict" in session and "Path=/" in session
    assert admin.token not in session

    calendar = browser.call("GET", "/app/calendar")
    assert calendar.status == 200 and "text/html" in (calendar.header("Content-Type") or "")
    assert 'Ada &lt;b&gt;Lovelace&lt;/b&gt; <span class="role">(admin)</span>' in calendar.body  # escaped
    assert browser.call("GET", "/").header("Location") == "/app/calendar"


def test_a_sign_in_form_without_its_token_is_refused_and_signs_nobody_in(admin: tokens.IssuedToken) -> None:
    browser = Browser()
    browser.call("GET", "/app/sign-in")
    refused = browser.call("POST", "/app/sign-in", {"csrf": "forged", "token": admin.token})
    assert refused.status == 403 and SESSION_COOKIE not in browser.jar


@pytest.mark.parametrize(("token", "status"), [("pk_wrong", 401), ("  ", 422)])
def test_a_wrong_or_missing_token_shows_the_form_again_with_the_reason(
    admin: tokens.IssuedToken, token: str, status: int
) -> None:
    page = Browser().sign_in(token)
    assert page.status == status and 'role="alert"' in page.body and 'aria-invalid="true"' in page.body


def test_signing_out_needs_the_csrf_token_and_ends_the_session(admin: tokens.IssuedToken) -> None:
    browser = Browser()
    browser.sign_in(admin.token)
    calendar = browser.call("GET", "/app/calendar")
    stolen = dict(browser.jar)

    assert browser.call("POST", "/app/sign-out", {}).status == 403
    assert browser.call("POST", "/app/sign-out", {"csrf": "x" * 43}).status == 403
    assert browser.call("GET", "/app/calendar").status == 200  # still signed in

    out = browser.call("POST", "/app/sign-out", {"csrf": calendar.field("csrf")})
    assert out.status == 303 and SESSION_COOKIE not in browser.jar
    replay = Browser(stolen).call("GET", "/app/calendar")
    assert replay.status == 303 and replay.header("Location") == "/app/sign-in"


def test_an_htmx_request_without_a_session_gets_401_and_a_redirect_header(admin: tokens.IssuedToken) -> None:
    page = Browser().call("GET", "/app/calendar", None, **{"HX-Request": "true"})
    assert page.status == 401 and page.header("HX-Redirect") == "/app/sign-in"


@pytest.mark.parametrize(
    ("query", "field"),
    [("view=year", "view"), ("date=2026-02-30", "date"), ("status=lost", "status")],
)
def test_a_calendar_address_with_a_bad_value_is_422_naming_the_field(
    admin: tokens.IssuedToken, query: str, field: str
) -> None:
    browser = Browser()
    browser.sign_in(admin.token)
    page = browser.call("GET", f"/app/calendar?{query}")
    assert page.status == 422 and f"<code>{field}</code>" in page.body


def test_the_nav_offers_what_the_role_allows(admin: tokens.IssuedToken) -> None:
    viewer = tokens.add_member(admin.workspace_id, "Vi", members.Role.VIEWER)
    browser = Browser()
    browser.sign_in(viewer.token)
    page = browser.call("GET", "/app/calendar")
    assert 'href="/app/inbox"' in page.body and 'href="/app/compose"' not in page.body


def test_a_login_link_page_spends_nothing_until_its_button_is_pressed(admin: tokens.IssuedToken) -> None:
    from parley.team import sessions

    link = sessions.issue_link(admin.workspace_id, admin.member_id)
    browser = Browser()
    page = browser.call("GET", f"/app/sign-in/link?code={link.code}")
    page = browser.call("GET", f"/app/sign-in/link?code={link.code}")  # a preview, then the person
    used = browser.call("POST", "/app/sign-in/link", {"csrf": page.field("csrf"), "code": link.code})
    assert used.status == 303 and SESSION_COOKIE in browser.jar

    again = Browser()
    page = again.call("GET", f"/app/sign-in/link?code={link.code}")
    refused = again.call("POST", "/app/sign-in/link", {"csrf": page.field("csrf"), "code": link.code})
    assert refused.status == 401 and "used already" in refused.body and SESSION_COOKIE not in again.jar


def test_the_calendar_shows_each_post_on_its_local_day_with_its_channel_and_the_free_slots(
    admin: tokens.IssuedToken,
) -> None:
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
    api = ApiClient(admin.token)
    days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    slots = {"time_zone": "Europe/Berlin", "times": [{"days": days, "at": ["09:00"]}]}
    assert api.call("PUT", f"/channels/{channel_id}/slots", slots).status == 200
    today = clock.now().astimezone(UTC).date()
    wednesday = today + timedelta(days=7 + (2 - today.weekday()) % 7)  # a Wednesday 8 to 14 days ahead
    at = datetime.combine(wednesday, time(23, 30), tzinfo=UTC)  # Thursday 00:30 or 01:30 in Berlin
    body = {"text": "Late <night> launch", "channels": [channel_id], "publish_at": at.isoformat()}
    assert api.call("POST", "/posts", body, headers={"Idempotency-Key": ids.new_id()}).status == 201

    browser = Browser()
    browser.sign_in(admin.token)
    page = browser.call("GET", f"/app/calendar?date={wednesday.isoformat()}")
    thursday = _day(page.body, wednesday + timedelta(days=1))
    assert "Late &lt;night&gt; launch" in thursday and "acme.test (bluesky)" in thursday
    assert "state-scheduled" in thursday
    assert "launch" not in _day(page.body, wednesday)
    assert "free 09:00 · acme.test (bluesky)" in _day(page.body, wednesday + timedelta(days=2))  # Friday

    month = browser.call("GET", f"/app/calendar?view=month&date={wednesday.isoformat()}")
    assert "Late &lt;night&gt; launch" in month.body
    published_only = browser.call("GET", f"/app/calendar?date={wednesday.isoformat()}&status=published")
    assert "Late &lt;night&gt; launch" not in published_only.body
    other = browser.call("GET", f"/app/calendar?date={wednesday.isoformat()}&channel=ch_nothere")
    assert other.status == 404


def _day(body: str, day: date) -> str:
    return body.split(f'aria-labelledby="d-{day.isoformat()}"', 1)[1].split("</section>", 1)[0]


def test_signing_in_again_ends_the_session_the_browser_had(admin: tokens.IssuedToken) -> None:
    from parley.team import sessions

    browser = Browser()
    browser.sign_in(admin.token)
    first = browser.jar[SESSION_COOKIE]
    form = browser.call("GET", "/app/sign-in/link?code=x")  # a signed-in browser opening a sign-in link
    link = sessions.issue_link(admin.workspace_id, admin.member_id)
    browser.call("POST", "/app/sign-in/link", {"csrf": form.field("csrf"), "code": link.code})

    assert browser.jar[SESSION_COOKIE] != first
    assert Browser({SESSION_COOKIE: first}).call("GET", "/app/calendar").status == 303
    assert browser.call("GET", "/app/calendar").status == 200


def test_a_form_body_api_gateway_passed_as_base64_is_read_the_same(admin: tokens.IssuedToken) -> None:
    from functions.web.handler import lambda_handler

    browser = Browser()
    form = browser.call("GET", "/app/sign-in")
    body = urlencode({"csrf": form.field("csrf"), "token": admin.token}).encode()
    headers = {"Content-Type": FORM, "Cookie": f"{SIGN_IN_COOKIE}={browser.jar[SIGN_IN_COOKIE]}"}
    event = api_event("POST", "/app/sign-in", body, headers)
    assert event["isBase64Encoded"]
    result = lambda_handler(event, FakeContext())
    assert result["statusCode"] == 303 and result["multiValueHeaders"]["Location"] == ["/app/calendar"]
