"""Connecting LinkedIn, Facebook Pages, Instagram and Threads accounts end to end through the API function,
against moto (DynamoDB, SSM, Scheduler), and keeping their tokens alive through the tokens function (the
local firer's registry). No local server or published spec exists for these networks: their side is recorded
answers (tests/support/oauth_recorded.py, each citing the network's docs page) served by `responses` at
stand-in addresses on 127.0.0.1 (parley's app points there)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from click.testing import CliRunner

from parley.cli import main
from parley.connect import apps, channels, credentials, facebook, instagram, linkedin, threads
from parley.scheduling.tokens import schedule_name
from parley.shared import aws as parley_aws
from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.names import Env, Function
from parley.store import ChannelRecord
from parley.team import tokens
from tests.support import oauth_recorded as rec
from tests.support.api import Answer, ApiClient
from tests.support.browser import Browser

START = datetime(2031, 5, 4, 12, 0, tzinfo=UTC)
STAND_IN = "http://127.0.0.1:9"


def _urls(network: str) -> dict[str, str]:
    return {"api": f"{STAND_IN}/{network}-api", "token": f"{STAND_IN}/{network}-token"}


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    manual = clock.ManualClock(START)
    clock.set_clock(manual)
    yield manual
    clock.set_clock(clock.SystemClock())


@pytest.fixture
def apps_set(aws: str) -> Iterator[None]:
    """parley's app on each network (as `parley admin set-app NETWORK` stores it), pointed at the stand-ins."""
    prefix = get_settings().parameter_prefix
    for network in ("linkedin", "facebook", "instagram", "threads"):
        apps.save_app(prefix, apps.OAuthApp(network, f"{network}-client", "s3cret", _urls(network)))
    yield


@pytest.fixture
def web() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def editor(aws: str) -> ApiClient:
    return ApiClient(tokens.create_workspace("Acme", "Ada").token)


def _workspace(api: ApiClient) -> str:
    return tokens.authenticate(f"Bearer {api.token}").workspace_id


def _start(api: ApiClient | Browser, network: str, query: str = "") -> Answer:
    return api.call("GET", f"/channels/{network}/connect" + (f"?{query}" if query else ""))


def _callback(network: str, state: str, code: str = "the-code", browser: Browser | None = None) -> Answer:
    """The network sending a browser back (a fresh one, with no cookie, unless `browser` is given)."""
    return (browser or Browser()).call(
        "GET", f"/channels/{network}/callback?state={state}&code={code}", headers={"Accept": "application/json"}
    )


def _connect(api: ApiClient, network: str, query: str = "") -> Answer:
    """The whole flow in one browser: the writer's (e.g. the API's /docs page, which keeps the cookie)."""
    browser = Browser(api.token)
    started = _start(browser, network, query)
    assert started.status == 200, started.body
    return _callback(network, started.body["state"], browser=browser)


def _schedule(channel_id: str) -> dict[str, Any] | None:
    try:
        return dict(
            parley_aws.client("scheduler").get_schedule(
                Name=schedule_name(channel_id), GroupName=get_settings().schedule_group
            )
        )
    except parley_aws.client("scheduler").exceptions.ResourceNotFoundException:
        return None


def _at(schedule: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(schedule["ScheduleExpression"][3:-1]).replace(tzinfo=UTC)


def _fire(channel_id: str, manual_clock: clock.ManualClock) -> dict[str, Any]:
    """What Scheduler does at the armed time, through the local firer's function registry."""
    from infra.local.functions import FunctionRegistry

    schedule = _schedule(channel_id)
    assert schedule is not None
    manual_clock.set(_at(schedule))
    parley_aws.client("scheduler").delete_schedule(Name=schedule["Name"], GroupName=schedule["GroupName"])
    registry = FunctionRegistry()
    function = registry.name_of(schedule["Target"]["Arn"])
    assert function == Function.TOKENS.value
    result: dict[str, Any] = registry.invoke(function, json.loads(schedule["Target"]["Input"]), clock=manual_clock)
    return result


def _linkedin_member(web: responses.RequestsMock, token: dict[str, Any] = rec.LINKEDIN_TOKEN_200) -> None:
    web.post(f"{STAND_IN}/linkedin-token", json=token)
    web.get(f"{STAND_IN}/linkedin-api/v2/userinfo", json=rec.LINKEDIN_USERINFO_200)


def _facebook(web: responses.RequestsMock, accounts: dict[str, Any] = rec.FACEBOOK_ACCOUNTS_200) -> None:
    graph = f"{STAND_IN}/facebook-api/{facebook.GRAPH_VERSION}"
    web.get(f"{graph}/oauth/access_token", json=rec.FACEBOOK_CODE_TOKEN_200)
    web.get(f"{graph}/oauth/access_token", json=rec.FACEBOOK_LONG_LIVED_200)
    web.get(f"{graph}/me/accounts", json=accounts)


def _instagram(web: responses.RequestsMock) -> None:
    web.post(f"{STAND_IN}/instagram-token", json=rec.INSTAGRAM_CODE_TOKEN_200)
    web.get(f"{STAND_IN}/instagram-api/access_token", json=rec.INSTAGRAM_LONG_LIVED_200)
    web.get(f"{STAND_IN}/instagram-api/me", json=rec.INSTAGRAM_ME_200)


def _threads(web: responses.RequestsMock) -> None:
    web.post(f"{STAND_IN}/threads-api/oauth/access_token", json=rec.THREADS_CODE_TOKEN_200)
    web.get(f"{STAND_IN}/threads-api/access_token", json=rec.THREADS_LONG_LIVED_200)
    web.get(f"{STAND_IN}/threads-api/v1.0/me", json=rec.THREADS_ME_200)


# -- connecting -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "authorize", "scope"),
    [
        ("linkedin", linkedin.AUTHORIZE_URL, "openid profile w_member_social"),
        ("facebook", facebook.AUTHORIZE_URL, ",".join(facebook.SCOPES)),
        ("instagram", instagram.AUTHORIZE_URL, ",".join(instagram.SCOPES)),
        ("threads", threads.AUTHORIZE_URL, ",".join(threads.SCOPES)),
    ],
)
def test_connect_returns_the_networks_consent_page_for_parleys_app(
    apps_set: None, editor: ApiClient, manual_clock: clock.ManualClock, network: str, authorize: str, scope: str
) -> None:
    started = _start(editor, network)

    assert started.status == 200, started.body
    url = started.body["authorization_url"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert url.startswith(authorize + "?")
    assert query["client_id"] == f"{network}-client" and query["state"] == started.body["state"]
    assert query["scope"] == scope and "code_challenge" not in query
    assert query["redirect_uri"] == started.body["callback_url"] == f"http://127.0.0.1/channels/{network}/callback"
    assert started.body["expires_at"] == (START + timedelta(minutes=10)).isoformat()


@pytest.mark.parametrize(
    ("network", "answer", "handle", "remote_id", "secret", "scheduled"),
    [
        ("linkedin", _linkedin_member, "John Doe", "urn:li:person:782bbtaQ", "AQUvlL_DYEzvT2wz1QJiEPeLioeA", True),
        ("facebook", _facebook, "Cafe Acme", "1234567890", "EAAJ-page-token-1", False),
        ("instagram", _instagram, "cafe.acme", "17841405793187218", "IGQWRPa-long-lived", True),
        ("threads", _threads, "cafe.acme", "1008598087", "THQVJ-long-lived", True),
    ],
)
def test_the_callback_connects_an_active_channel_with_its_credential_and_session(
    apps_set: None,
    editor: ApiClient,
    web: responses.RequestsMock,
    manual_clock: clock.ManualClock,
    network: str,
    answer: Any,
    handle: str,
    remote_id: str,
    secret: str,
    scheduled: bool,
) -> None:
    answer(web)

    connected = _connect(editor, network)

    assert connected.status == 200, connected.body
    assert connected.body["token_upkeep"]
    channel = ChannelRecord.get(_workspace(editor), connected.body["id"])
    assert (channel.network, channel.status, channel.handle, channel.remote_id) == (
        network,
        "active",
        handle,
        remote_id,
    )
    credential = credentials.load_credential(channel.credential_parameter)
    assert (credential.identifier, credential.secret) == (remote_id, secret)
    assert credential.service_url.startswith(STAND_IN)
    session = credentials.SsmSessionStore(credentials.session_parameter(channel.credential_parameter)).load()
    assert session is not None and session["access_token"] == secret
    assert (_schedule(channel.channel_id) is not None) is scheduled
    listed = editor.call("GET", "/channels").body["items"]
    assert listed[0]["capabilities"]["publish"] is True and "notes" in listed[0]["capabilities"]


def test_a_linkedin_organization_page_is_chosen_by_the_connect_call(
    apps_set: None, editor: ApiClient, web: responses.RequestsMock
) -> None:
    _linkedin_member(web, rec.LINKEDIN_TOKEN_WITH_REFRESH_200)
    web.get(f"{STAND_IN}/linkedin-api/rest/organizationAcls", json=rec.LINKEDIN_ACLS_TWO_200)
    web.get(f"{STAND_IN}/linkedin-api/rest/organizations/5515715", json={"localizedName": "Acme Bakery"})

    browser = Browser(editor.token)
    started = _start(browser, "linkedin", "organization=5515715")
    scope = parse_qs(urlsplit(started.body["authorization_url"]).query)["scope"][0].split()
    connected = _callback("linkedin", started.body["state"], browser=browser)

    assert "w_organization_social" in scope and "rw_organization_admin" in scope
    assert connected.status == 200, connected.body
    assert (connected.body["remote_id"], connected.body["handle"]) == ("urn:li:organization:5515715", "Acme Bakery")


def test_several_organizations_or_pages_and_none_chosen_lists_them_and_connects_nothing(
    apps_set: None, editor: ApiClient, web: responses.RequestsMock
) -> None:
    _linkedin_member(web)
    web.get(f"{STAND_IN}/linkedin-api/rest/organizationAcls", json=rec.LINKEDIN_ACLS_TWO_200)
    _facebook(web, rec.FACEBOOK_ACCOUNTS_TWO_200)

    organizations = _connect(editor, "linkedin", "account=organization")
    pages = _connect(editor, "facebook")

    assert organizations.status == 409 and organizations.body["errors"][0]["field"] == "organization"
    assert "urn:li:organization:5515715" in organizations.body["errors"][0]["reason"]
    assert pages.status == 409 and pages.body["errors"][0]["field"] == "page"
    assert "9876543210 (Bakery Acme)" in pages.body["errors"][0]["reason"]
    assert list(ChannelRecord.query(_workspace(editor))) == []


def test_a_facebook_page_is_chosen_by_the_connect_call(
    apps_set: None, editor: ApiClient, web: responses.RequestsMock
) -> None:
    _facebook(web, rec.FACEBOOK_ACCOUNTS_TWO_200)

    connected = _connect(editor, "facebook", "page=9876543210")

    assert connected.status == 200, connected.body
    assert (connected.body["handle"], connected.body["remote_id"]) == ("Bakery Acme", "9876543210")


def test_unknown_network_posting_an_oauth_network_and_a_state_of_another_network_are_refused(
    apps_set: None, editor: ApiClient
) -> None:
    unknown = _start(editor, "myspace")
    posted = editor.call("POST", "/channels", {"network": "threads"})
    started = _start(editor, "threads")
    crossed = _callback("linkedin", started.body["state"])
    to_x = _callback("x", _start(editor, "threads").body["state"])  # X's own callback refuses it too

    assert unknown.status == 404 and "myspace" in unknown.body["detail"]
    assert posted.status == 422 and "GET /channels/threads/connect" in json.dumps(posted.body)
    assert crossed.status == 400 and "threads" in crossed.body["errors"][0]["reason"]
    assert to_x.status == 400 and "not an X account" in to_x.body["errors"][0]["reason"]


# -- the browser that started it (issue 15 item 13) ----------------------------------------------------------

COOKIE = "parley_connect"
ELSEWHERE = "must be finished in the browser that started it"
ANSWERS = {"linkedin": _linkedin_member, "facebook": _facebook, "instagram": _instagram, "threads": _threads}


@pytest.mark.parametrize("network", list(ANSWERS))
def test_the_callback_is_refused_without_the_starting_browsers_cookie_and_the_state_survives_it(
    apps_set: None, editor: ApiClient, web: responses.RequestsMock, network: str
) -> None:
    ANSWERS[network](web)
    writer = Browser(editor.token)
    started = _start(writer, network)
    other = Browser(editor.token)
    assert _start(other, network).status == 200  # a flow of its own: a cookie, for another state
    state = started.body["state"]

    without = _callback(network, state)
    with_another = _callback(network, state, browser=other)
    nothing_yet = list(ChannelRecord.query(_workspace(editor)))
    finished = _callback(network, state, browser=writer)

    for refused in (without, with_another):
        assert refused.status == 400 and refused.body["errors"][0]["field"] == "state"
        assert ELSEWHERE in refused.body["errors"][0]["reason"]
    assert nothing_yet == []
    assert finished.status == 200, finished.body  # the refused attempts did not use the state up
    assert writer.cookie(COOKIE) is None  # cleared once used
    assert other.cookie(COOKIE) is not None


def test_a_consent_link_opened_by_a_browser_binds_that_browser_and_its_page_says_who_connected(
    apps_set: None, editor: ApiClient, web: responses.RequestsMock, manual_clock: clock.ManualClock
) -> None:
    _linkedin_member(web)
    started = _start(editor, "linkedin")  # curl
    browser = Browser()

    opened = browser.call("GET", started.body["connect_url"])
    elsewhere = Browser().call("GET", started.body["connect_url"])
    page = browser.call(
        "GET", f"/channels/linkedin/callback?state={started.body['state']}&code=c", headers={"Accept": "text/html"}
    )

    assert started.body["connect_url"].startswith("http://127.0.0.1/channels/linkedin/consent?")
    assert opened.status == 302 and opened.headers["Location"] == started.body["authorization_url"]
    assert any(c.startswith(f"{COOKIE}=") and "Path=/channels/linkedin/callback" in c for c in opened.set_cookies)
    assert elsewhere.status == 400 and "already opened" in elsewhere.body["errors"][0]["reason"]
    assert page.status == 200, page.body
    for shown in ("Acme", "Ada", "LinkedIn", "John Doe"):
        assert f"<dd>{shown}</dd>" in page.body, shown


@pytest.fixture
def on_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The API behind API Gateway's own address, with its stage in every path."""
    base = "https://abc123.execute-api.eu-west-1.amazonaws.com/v1"
    monkeypatch.setenv(Env.PUBLIC_BASE_URL.value, base)
    get_settings.cache_clear()
    yield base
    monkeypatch.delenv(Env.PUBLIC_BASE_URL.value)
    get_settings.cache_clear()


def test_behind_https_the_cookie_is_secure_and_scoped_to_the_callback_under_the_stage(
    apps_set: None, editor: ApiClient, on_aws: str
) -> None:
    started = _start(editor, "threads")
    link = urlsplit(started.body["connect_url"])
    opened = Browser().call("GET", f"{link.path.removeprefix('/v1')}?{link.query}")  # API Gateway drops the stage

    assert started.body["connect_url"].startswith(f"{on_aws}/channels/threads/consent?state=")
    for answer in (started, opened):
        (cookie,) = answer.set_cookies
        attributes = {a.strip() for a in cookie.split(";")[1:]}
        assert {"Secure", "HttpOnly", "SameSite=Lax", "Path=/v1/channels/threads/callback"} <= attributes


def test_set_app_reads_the_secret_from_stdin_and_without_an_app_connect_names_the_command(
    aws: str, editor: ApiClient
) -> None:
    name = apps.app_parameter(get_settings().parameter_prefix, "threads")
    try:  # moto lives for the session: another test may have stored one
        parley_aws.client("ssm").delete_parameter(Name=name)
    except parley_aws.client("ssm").exceptions.ParameterNotFound:
        pass
    missing = _start(editor, "threads")
    result = CliRunner().invoke(main, ["admin", "set-app", "threads", "--client-id", "990602627938098"], input="s3\n")
    stored = apps.load_app(get_settings().parameter_prefix, "threads")

    assert missing.status == 409 and "parley admin set-app threads" in missing.body["detail"]
    assert result.exit_code == 0, result.output
    assert "Saved parley's threads app (client 990602627938098)" in result.output
    assert stored is not None and (stored.client_id, stored.client_secret) == ("990602627938098", "s3")


# -- token upkeep ---------------------------------------------------------------------------------------------


def test_linkedin_without_a_refresh_token_moves_to_needs_reauth_shortly_before_expiry(
    apps_set: None, editor: ApiClient, web: responses.RequestsMock, manual_clock: clock.ManualClock
) -> None:
    _linkedin_member(web)
    connected = _connect(editor, "linkedin")
    expires = START + timedelta(days=60)

    schedule = _schedule(connected.body["id"])
    result = _fire(connected.body["id"], manual_clock)

    assert "needs_reauth" in connected.body["token_upkeep"]
    assert schedule is not None and _at(schedule) == expires - linkedin.PROVIDER.refresh_margin
    channel = ChannelRecord.get(_workspace(editor), connected.body["id"])
    assert result["outcome"] == "needs_reauth"
    assert channel.status == "needs_reauth" and "no refresh token" in (channel.status_reason or "")
    assert _schedule(connected.body["id"]) is None


def test_linkedin_with_a_refresh_token_is_renewed_and_armed_again(
    apps_set: None, editor: ApiClient, web: responses.RequestsMock, manual_clock: clock.ManualClock
) -> None:
    _linkedin_member(web, rec.LINKEDIN_TOKEN_WITH_REFRESH_200)
    connected = _connect(editor, "linkedin")
    web.post(f"{STAND_IN}/linkedin-token", json=rec.LINKEDIN_REFRESHED_200)

    result = _fire(connected.body["id"], manual_clock)

    channel = ChannelRecord.get(_workspace(editor), connected.body["id"])
    assert result["outcome"] == "refreshed" and channel.status == "active"
    assert credentials.load_credential(channel.credential_parameter).secret == "BQVvlL_renewed"
    schedule = _schedule(channel.channel_id)
    renewed_at = START + timedelta(days=60) - linkedin.PROVIDER.refresh_margin
    assert schedule is not None
    assert _at(schedule) == renewed_at + timedelta(days=60) - linkedin.PROVIDER.refresh_margin


@pytest.mark.parametrize(("network", "answer"), [("instagram", _instagram), ("threads", _threads)])
def test_a_revoked_meta_token_moves_the_channel_to_needs_reauth(
    apps_set: None,
    editor: ApiClient,
    web: responses.RequestsMock,
    manual_clock: clock.ManualClock,
    network: str,
    answer: Any,
) -> None:
    answer(web)
    connected = _connect(editor, network)
    web.get(f"{STAND_IN}/{network}-api/refresh_access_token", json=rec.GRAPH_TOKEN_INVALID_400, status=400)

    result = _fire(connected.body["id"], manual_clock)

    channel = ChannelRecord.get(_workspace(editor), connected.body["id"])
    assert result["outcome"] == "needs_reauth" and channel.status == "needs_reauth"
    assert _schedule(channel.channel_id) is None
    again = _connect(editor, network)  # reconnecting makes it active again, with a new schedule
    assert again.status == 200 and again.body["created"] is False
    assert channels.get_channel(_workspace(editor), channel.channel_id).status == "active"
    assert _schedule(channel.channel_id) is not None


def test_a_transient_failure_retries_later_and_keeps_the_channel_active(
    apps_set: None, editor: ApiClient, web: responses.RequestsMock, manual_clock: clock.ManualClock
) -> None:
    _threads(web)
    connected = _connect(editor, "threads")
    web.get(f"{STAND_IN}/threads-api/refresh_access_token", status=503)

    result = _fire(connected.body["id"], manual_clock)

    channel = ChannelRecord.get(_workspace(editor), connected.body["id"])
    assert result["outcome"] == "retry" and channel.status == "active"
    schedule = _schedule(channel.channel_id)
    assert schedule is not None and _at(schedule) > manual_clock.now()
