"""Connecting an X account end to end through the API function, against moto (DynamoDB, SSM, Scheduler)
and X's side: Prism serving X's own OpenAPI description for GET /2/users/me (it validates parley's request
and answers its placeholder user), and recorded answers for POST /2/oauth2/token, which that description
does not have (tests/support/x_recorded.py, each citing X's docs page; served by `responses`, everything
else passes through to Prism)."""

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
from parley.connect import credentials, upkeep, x_app
from parley.scheduling.tokens import TokenScheduler, schedule_name
from parley.shared import aws as parley_aws
from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.names import Function
from parley.store import ChannelRecord
from parley.team import members, tokens
from tests.support import x_recorded as rec
from tests.support.api import Answer, ApiClient
from tests.support.browser import Browser
from tests.support.peers import PrismX

pytestmark = pytest.mark.peers

START = datetime(2031, 5, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def manual_clock() -> Iterator[clock.ManualClock]:
    manual = clock.ManualClock(START)
    clock.set_clock(manual)
    yield manual
    clock.set_clock(clock.SystemClock())


@pytest.fixture
def x_app_set(aws: str, prism_x: PrismX) -> Iterator[None]:
    """parley's X app, stored the way an operator does it (the secret on stdin), pointed at Prism."""
    result = CliRunner().invoke(
        main, ["admin", "set-app", "x", "--client-id", "client-id", "--api-base", prism_x.base_url], input="s3cret\n"
    )
    assert result.exit_code == 0, result.output
    yield


@pytest.fixture
def token_endpoint(prism_x: PrismX) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_passthru(prism_x.base_url + "/2/users")
        yield mock


@pytest.fixture
def editor(aws: str) -> ApiClient:
    return ApiClient(tokens.create_workspace("Acme", "Ada").token)


def _start(api: ApiClient | Browser, **query: str) -> dict[str, Any]:
    answer = api.call(
        "GET", "/channels/x/connect" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    )
    assert answer.status == 200, answer.body
    return dict(answer.body)


def _callback(query: str, *, html: bool = False, browser: Browser | None = None) -> Answer:
    """X sending a browser back (a fresh one, with no cookie, unless `browser` is given)."""
    headers = {"Accept": "text/html,application/xhtml+xml"} if html else {"Accept": "application/json"}
    return (browser or Browser()).call("GET", f"/channels/x/callback?{query}", headers=headers)


def _connect(api: ApiClient, token_endpoint: responses.RequestsMock, prism: PrismX) -> tuple[dict[str, Any], Any]:
    """The whole flow in one browser: the writer's (e.g. the API's /docs page, which keeps the cookie)."""
    token_endpoint.post(f"{prism.base_url}/2/oauth2/token", json=rec.AUTHORIZATION_CODE_TOKEN_200)
    browser = Browser(api.token)
    started = _start(browser)
    return started, _callback(f"state={started['state']}&code=the-code", browser=browser)


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


def _session(channel: ChannelRecord) -> dict[str, str]:
    stored = credentials.SsmSessionStore(credentials.session_parameter(channel.credential_parameter)).load()
    assert stored is not None
    return stored


# -- connecting ---------------------------------------------------------------------------------------------


def test_connect_returns_xs_consent_page_with_a_pkce_challenge_and_a_state_good_for_ten_minutes(
    x_app_set: None, editor: ApiClient, manual_clock: clock.ManualClock
) -> None:
    started = _start(editor)

    query = {k: v[0] for k, v in parse_qs(urlsplit(started["authorization_url"]).query).items()}
    assert started["authorization_url"].startswith("https://x.com/i/oauth2/authorize?")
    assert query["state"] == started["state"] and query["code_challenge_method"] == "S256"
    assert query["scope"].split() == ["tweet.read", "tweet.write", "users.read", "offline.access"]
    # No public base URL in these tests: the callback is on the host the request came in on.
    assert query["redirect_uri"] == started["callback_url"] == "http://127.0.0.1/channels/x/callback"
    assert started["expires_at"] == (START + timedelta(minutes=10)).isoformat()


def test_the_callback_connects_the_account_keeps_its_tokens_and_arms_their_refresh(
    x_app_set: None,
    editor: ApiClient,
    token_endpoint: responses.RequestsMock,
    prism_x: PrismX,
    manual_clock: clock.ManualClock,
) -> None:
    _, answer = _connect(editor, token_endpoint, prism_x)

    assert answer.status == 200, answer.body
    channel = ChannelRecord.get(tokens.authenticate(f"Bearer {editor.token}").workspace_id, answer.body["id"])
    assert (channel.network, channel.status) == ("x", "active")
    assert channel.remote_id and channel.handle  # Prism's placeholder user, from GET /2/users/me
    session = _session(channel)
    assert session["refresh_token"] == "first-refresh-token"
    assert session["expires_at"] == (START + timedelta(hours=2)).isoformat()
    schedule = _schedule(channel.channel_id)
    assert schedule is not None
    assert _at(schedule) == START + timedelta(hours=2) - upkeep.MARGIN
    assert schedule["Target"]["Arn"] == get_settings().tokens_function_arn
    assert json.loads(schedule["Target"]["Input"])["channel_id"] == channel.channel_id
    exchange = next(c.request for c in token_endpoint.calls if str(c.request.url).endswith("/2/oauth2/token"))
    assert "code_verifier=" in str(exchange.body) and exchange.headers["Authorization"].startswith("Basic ")


def test_a_browser_gets_a_page_and_connecting_the_same_account_again_reactivates_it(
    x_app_set: None, editor: ApiClient, token_endpoint: responses.RequestsMock, prism_x: PrismX
) -> None:
    _, first = _connect(editor, token_endpoint, prism_x)
    workspace_id = tokens.authenticate(f"Bearer {editor.token}").workspace_id
    from parley.connect import channels

    channels.mark_needs_reauth(workspace_id, first.body["id"], "revoked")
    browser = Browser(editor.token)
    started = _start(browser)

    page = _callback(f"state={started['state']}&code=the-code", html=True, browser=browser)

    assert page.status == 200 and "X account connected" in page.body and "again" in page.body
    assert page.headers["Content-Type"].startswith("text/html")
    assert [c.channel_id for c in channels.list_channels(workspace_id)] == [first.body["id"]]
    assert ChannelRecord.get(workspace_id, first.body["id"]).status == "active"


def test_a_state_is_used_once(
    x_app_set: None, editor: ApiClient, token_endpoint: responses.RequestsMock, prism_x: PrismX
) -> None:
    started, first = _connect(editor, token_endpoint, prism_x)

    again = _callback(f"state={started['state']}&code=the-code")

    assert first.status == 200
    assert again.status == 400
    assert again.body["errors"][0]["field"] == "state" and "already used" in again.body["errors"][0]["reason"]


def test_an_expired_or_unknown_state_is_refused_by_name(
    x_app_set: None, editor: ApiClient, manual_clock: clock.ManualClock
) -> None:
    browser = Browser(editor.token)
    started = _start(browser)
    manual_clock.advance(10 * 60 + 1)

    expired = _callback(f"state={started['state']}&code=the-code", browser=browser)
    unknown = _callback("state=never-issued&code=the-code")

    assert expired.status == 400 and "has expired" in expired.body["errors"][0]["reason"]
    assert unknown.status == 400 and "unknown" in unknown.body["errors"][0]["reason"]


# -- the browser that started it (issue 15 item 13) ----------------------------------------------------------

COOKIE = "parley_connect"
ELSEWHERE = "must be finished in the browser that started it"


def test_the_callback_is_refused_without_the_starting_browsers_cookie_and_the_state_survives_it(
    x_app_set: None, editor: ApiClient, token_endpoint: responses.RequestsMock, prism_x: PrismX
) -> None:
    token_endpoint.post(f"{prism_x.base_url}/2/oauth2/token", json=rec.AUTHORIZATION_CODE_TOKEN_200)
    writer = Browser(editor.token)
    started = _start(writer)
    other = Browser(editor.token)
    _start(other)  # a flow of its own: this browser holds a cookie, for another state
    query = f"state={started['state']}&code=the-code"

    without = _callback(query)
    with_another = _callback(query, html=True, browser=other)
    workspace_id = tokens.authenticate(f"Bearer {editor.token}").workspace_id
    nothing_yet = list(ChannelRecord.query(workspace_id))
    finished = _callback(query, browser=writer)

    assert without.status == 400 and without.body["errors"][0]["field"] == "state"
    assert ELSEWHERE in without.body["errors"][0]["reason"]
    assert with_another.status == 400 and ELSEWHERE in with_another.body
    assert nothing_yet == []
    assert finished.status == 200, finished.body  # the refused attempts did not use the state up
    assert writer.cookie(COOKIE) is None  # cleared once used
    assert other.cookie(COOKIE) is not None  # its own flow's cookie is left alone


def test_the_page_says_who_connected_which_account_into_which_workspace(
    x_app_set: None, editor: ApiClient, token_endpoint: responses.RequestsMock, prism_x: PrismX
) -> None:
    token_endpoint.post(f"{prism_x.base_url}/2/oauth2/token", json=rec.AUTHORIZATION_CODE_TOKEN_200)
    browser = Browser(editor.token)
    started = _start(browser)

    page = _callback(f"state={started['state']}&code=the-code", html=True, browser=browser)

    workspace_id = tokens.authenticate(f"Bearer {editor.token}").workspace_id
    (channel,) = ChannelRecord.query(workspace_id)
    assert page.status == 200, page.body
    for shown in ("Acme", "Ada", "X", f"@{channel.handle}"):
        assert f"<dd>{shown}</dd>" in page.body, shown


def test_an_api_clients_connect_url_marks_the_browser_that_opens_it_once_then_sends_it_to_x(
    x_app_set: None,
    editor: ApiClient,
    token_endpoint: responses.RequestsMock,
    prism_x: PrismX,
    manual_clock: clock.ManualClock,
) -> None:
    token_endpoint.post(f"{prism_x.base_url}/2/oauth2/token", json=rec.AUTHORIZATION_CODE_TOKEN_200)
    started = _start(editor)  # curl: whatever cookie it is given goes nowhere
    browser = Browser()
    manual_clock.advance(60)

    opened = browser.call("GET", started["connect_url"], headers={"Accept": "text/html"})
    again = Browser().call("GET", started["connect_url"], headers={"Accept": "application/json"})
    finished = _callback(f"state={started['state']}&code=the-code", browser=browser)

    assert started["connect_url"].startswith("http://127.0.0.1/channels/x/consent?")
    assert opened.status == 302 and opened.headers["Location"] == started["authorization_url"]
    (cookie,) = opened.set_cookies
    assert cookie.startswith(f"{COOKIE}=")
    attributes = {a.strip() for a in cookie.split(";")[1:]}
    # plain http on loopback (a local run): not Secure, or no browser would send it back
    assert attributes == {"Path=/channels/x/callback", "Max-Age=540", "HttpOnly", "SameSite=Lax"}
    assert again.status == 400 and "already opened" in again.body["errors"][0]["reason"]
    assert finished.status == 200, finished.body


def test_access_denied_on_x_is_reported_and_connects_nothing(x_app_set: None, editor: ApiClient) -> None:
    browser = Browser(editor.token)
    started = _start(browser)

    page = _callback(f"state={started['state']}&error=access_denied", html=True, browser=browser)

    assert page.status == 400 and "access_denied" in page.body
    workspace_id = tokens.authenticate(f"Bearer {editor.token}").workspace_id
    assert list(ChannelRecord.query(workspace_id)) == []


def test_without_parleys_x_app_connect_names_the_admin_command(aws: str, editor: ApiClient) -> None:
    parley_aws.client("ssm").delete_parameter(Name=x_app.app_parameter(get_settings().parameter_prefix))

    answer = editor.call("GET", "/channels/x/connect")

    assert answer.status == 409 and "parley admin set-app x" in answer.body["detail"]


def test_viewers_cannot_connect_and_post_channels_points_x_to_the_connect_flow(
    x_app_set: None, editor: ApiClient
) -> None:
    workspace_id = tokens.authenticate(f"Bearer {editor.token}").workspace_id
    viewer = ApiClient(tokens.add_member(workspace_id, "Vi", members.Role.VIEWER).token)

    refused = viewer.call("GET", "/channels/x/connect")
    posted = editor.call("POST", "/channels", {"network": "x", "access_token": "t"})

    assert refused.status == 403
    assert posted.status == 422 and "GET /channels/x/connect" in posted.body["errors"][0]["reason"]
    linkedin = editor.call("POST", "/channels", {"network": "linkedin"})
    assert linkedin.status == 422 and "GET /channels/linkedin/connect" in linkedin.body["errors"][0]["reason"]


def test_the_app_secret_is_read_from_stdin_never_echoed(aws: str) -> None:
    result = CliRunner().invoke(main, ["admin", "set-app", "x", "--client-id", "cid"], input="top-s3cret\n")

    app = x_app.load_app(get_settings().parameter_prefix)
    assert result.exit_code == 0 and "top-s3cret" not in result.output
    assert app is not None and (app.client_id, app.client_secret) == ("cid", "top-s3cret")
    parameter = parley_aws.client("ssm").get_parameter(Name=x_app.app_parameter(get_settings().parameter_prefix))
    assert parameter["Parameter"]["Type"] == "SecureString"


# -- keeping the tokens alive -------------------------------------------------------------------------------


@pytest.fixture
def connected(
    x_app_set: None,
    editor: ApiClient,
    token_endpoint: responses.RequestsMock,
    prism_x: PrismX,
    manual_clock: clock.ManualClock,
) -> ChannelRecord:
    _, answer = _connect(editor, token_endpoint, prism_x)
    assert answer.status == 200, answer.body
    return ChannelRecord.get(tokens.authenticate(f"Bearer {editor.token}").workspace_id, answer.body["id"])


def _fire(channel: ChannelRecord, manual_clock: clock.ManualClock) -> dict[str, Any]:
    """What Scheduler does at the armed time: delete the one-time schedule and invoke its target; here
    through the local firer's function registry, which resolves the schedule's target ARN to
    functions/tokens/handler.py."""
    from infra.local.functions import FunctionRegistry

    schedule = _schedule(channel.channel_id)
    assert schedule is not None
    manual_clock.set(_at(schedule))
    parley_aws.client("scheduler").delete_schedule(Name=schedule["Name"], GroupName=schedule["GroupName"])
    registry = FunctionRegistry()
    function = registry.name_of(schedule["Target"]["Arn"])
    assert function == Function.TOKENS.value
    result: dict[str, Any] = registry.invoke(function, json.loads(schedule["Target"]["Input"]), clock=manual_clock)
    return result


def test_a_fired_refresh_saves_the_rotated_tokens_and_arms_the_next(
    connected: ChannelRecord,
    token_endpoint: responses.RequestsMock,
    prism_x: PrismX,
    manual_clock: clock.ManualClock,
) -> None:
    call = token_endpoint.post(f"{prism_x.base_url}/2/oauth2/token", json=rec.TOKEN_200)

    result = _fire(connected, manual_clock)

    now = START + timedelta(hours=2) - upkeep.MARGIN
    assert result["outcome"] == "refreshed"
    assert "refresh_token=first-refresh-token" in str(call.calls[-1].request.body)
    session = _session(connected)
    assert (session["access_token"], session["refresh_token"]) == ("new-access-token", "new-refresh-token")
    schedule = _schedule(connected.channel_id)
    assert schedule is not None and _at(schedule) == now + timedelta(hours=2) - upkeep.MARGIN


def test_a_revoked_refresh_token_moves_the_channel_to_needs_reauth_and_arms_nothing(
    connected: ChannelRecord,
    token_endpoint: responses.RequestsMock,
    prism_x: PrismX,
    manual_clock: clock.ManualClock,
) -> None:
    token_endpoint.post(f"{prism_x.base_url}/2/oauth2/token", json=rec.REFRESH_REFUSED_400, status=400)

    result = _fire(connected, manual_clock)

    channel = ChannelRecord.get(connected.workspace_id, connected.channel_id)
    assert result["outcome"] == "needs_reauth"
    assert channel.status == "needs_reauth" and "connect the account again" in (channel.status_reason or "")
    assert _schedule(connected.channel_id) is None


def test_a_transient_failure_retries_soon_and_keeps_the_channel_active(
    connected: ChannelRecord,
    token_endpoint: responses.RequestsMock,
    prism_x: PrismX,
    manual_clock: clock.ManualClock,
) -> None:
    token_endpoint.post(f"{prism_x.base_url}/2/oauth2/token", json={}, status=503)

    result = _fire(connected, manual_clock)

    schedule = _schedule(connected.channel_id)
    assert result["outcome"] == "retry"
    assert ChannelRecord.get(connected.workspace_id, connected.channel_id).status == "active"
    assert schedule is not None and _at(schedule) == manual_clock.now() + upkeep.RETRY
    assert _session(connected)["refresh_token"] == "first-refresh-token"


def test_tokens_renewed_meanwhile_by_a_publish_are_not_overwritten(
    connected: ChannelRecord,
    token_endpoint: responses.RequestsMock,
    prism_x: PrismX,
    manual_clock: clock.ManualClock,
) -> None:
    store = credentials.SsmSessionStore(credentials.session_parameter(connected.credential_parameter))
    theirs = {
        "access_token": "publish-renewed",
        "refresh_token": "publish-refresh",
        "expires_at": (START + timedelta(hours=3, minutes=40)).isoformat(),
    }

    def renewed_meanwhile(request: Any) -> tuple[int, dict[str, str], str]:
        store.save(theirs)  # a publish renewed the pair while this refresh was on its way to X
        return 200, {"Content-Type": "application/json"}, json.dumps(rec.TOKEN_200)

    token_endpoint.add_callback(responses.POST, f"{prism_x.base_url}/2/oauth2/token", callback=renewed_meanwhile)

    result = _fire(connected, manual_clock)

    schedule = _schedule(connected.channel_id)
    assert result["outcome"] == "renewed elsewhere"
    assert store.load() == theirs
    assert schedule is not None and _at(schedule) == START + timedelta(hours=3, minutes=40) - upkeep.MARGIN


def test_a_stale_schedule_after_a_renewal_elsewhere_only_re_arms(
    connected: ChannelRecord,
    token_endpoint: responses.RequestsMock,
    prism_x: PrismX,
    manual_clock: clock.ManualClock,
) -> None:
    store = credentials.SsmSessionStore(credentials.session_parameter(connected.credential_parameter))
    fresh_until = START + timedelta(hours=3, minutes=55)
    store.save({"access_token": "a", "refresh_token": "r", "expires_at": fresh_until.isoformat()})
    call = token_endpoint.post(f"{prism_x.base_url}/2/oauth2/token", json=rec.TOKEN_200)

    result = _fire(connected, manual_clock)

    schedule = _schedule(connected.channel_id)
    assert result["outcome"] == "fresh" and call.call_count == 0
    assert schedule is not None and _at(schedule) == fresh_until - upkeep.MARGIN


def test_the_reconciler_re_arms_a_refresh_whose_run_failed(
    connected: ChannelRecord, manual_clock: clock.ManualClock
) -> None:
    from parley.scheduling.tokens import failed_refresh, refresh_input

    record = {"requestPayload": json.loads(refresh_input(connected.workspace_id, connected.channel_id))}
    parley_aws.client("scheduler").delete_schedule(
        Name=schedule_name(connected.channel_id), GroupName=get_settings().schedule_group
    )

    found = failed_refresh(record)
    assert found is not None
    upkeep.retry_soon(*found, TokenScheduler(get_settings(), parley_aws.client("scheduler")))

    schedule = _schedule(connected.channel_id)
    assert schedule is not None and _at(schedule) == manual_clock.now() + upkeep.RETRY


def test_x_not_answering_who_the_account_is_connects_nothing_and_is_not_blamed_on_the_code(
    x_app_set: None, editor: ApiClient, token_endpoint: responses.RequestsMock, prism_x: PrismX
) -> None:
    token_endpoint.post(f"{prism_x.base_url}/2/oauth2/token", json=rec.AUTHORIZATION_CODE_TOKEN_200)
    token_endpoint.get(f"{prism_x.base_url}/2/users/me", json={}, status=503)  # recorded, ahead of Prism
    browser = Browser(editor.token)
    started = _start(browser)

    answer = _callback(f"state={started['state']}&code=the-code", browser=browser)

    assert answer.status == 424 and answer.body["errors"][0]["field"] == "code"
    workspace_id = tokens.authenticate(f"Bearer {editor.token}").workspace_id
    assert list(ChannelRecord.query(workspace_id)) == []


def test_the_reconciler_function_re_arms_a_refresh_whose_retries_ran_out(
    connected: ChannelRecord, manual_clock: clock.ManualClock
) -> None:
    from infra.local.functions import FunctionRegistry
    from infra.local.lambda_events import on_failure_record, sqs_record
    from parley.scheduling.tokens import refresh_input

    parley_aws.client("scheduler").delete_schedule(
        Name=schedule_name(connected.channel_id), GroupName=get_settings().schedule_group
    )
    failure = on_failure_record(
        function_arn=get_settings().tokens_function_arn,
        request_id="r1",
        invoke_count=3,
        event=json.loads(refresh_input(connected.workspace_id, connected.channel_id)),
        error=RuntimeError("SSM was throttling"),
        timestamp=manual_clock.now(),
    )
    message = {"MessageId": "m1", "ReceiptHandle": "h1", "Body": json.dumps(failure)}

    answer = FunctionRegistry().invoke(
        "reconciler",
        {"Records": [sqs_record(message, "arn:aws:sqs:us-east-1:123456789012:parley-failures", "us-east-1")]},
        clock=manual_clock,
    )

    schedule = _schedule(connected.channel_id)
    assert answer == {"batchItemFailures": []}
    assert schedule is not None and _at(schedule) == manual_clock.now() + upkeep.RETRY
