"""Connecting X (parley.connect.x) and keeping its tokens alive (parley.connect.upkeep): the pure rules, and
the code exchange on recorded answers (tests/support/x_recorded.py, each citing X's docs page)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from parley.connect import states, upkeep
from parley.connect import x as x_connect
from parley.connect.base import ConnectFailed
from parley.connect.upkeep import Action
from parley.connect.x_app import XApp
from parley.networks.base import InvalidCredential, PermanentNetworkError, TransientNetworkError
from parley.shared import clock
from tests.support import x_recorded as rec

API = "http://127.0.0.1:4010"
APP = XApp("client-id", "client-s3cret", api_base=API, authorize_url="https://x.com/i/oauth2/authorize")
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[clock.ManualClock]:
    manual = clock.ManualClock(NOW)
    clock.set_clock(manual)
    yield manual
    clock.set_clock(clock.SystemClock())


@pytest.fixture
def x() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# -- PKCE (RFC 7636) --------------------------------------------------------------------------------------


def test_the_s256_challenge_matches_rfc_7636_appendix_b() -> None:
    assert states.code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_a_code_verifier_is_43_to_128_unreserved_characters_and_never_repeats() -> None:
    verifiers = {states.new_code_verifier() for _ in range(50)}

    assert len(verifiers) == 50
    assert all(re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", v) for v in verifiers)


def test_the_authorization_url_asks_for_the_scopes_with_the_challenge_not_the_verifier() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    url = x_connect.authorization_url(APP, state="st", verifier=verifier, redirect_uri="https://p.example/cb")

    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://x.com/i/oauth2/authorize"
    assert query == {
        "response_type": "code",
        "client_id": "client-id",
        "redirect_uri": "https://p.example/cb",
        "scope": "tweet.read tweet.write users.read offline.access",
        "state": "st",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
    }
    assert verifier not in url


def test_the_callback_is_built_on_the_public_base_url() -> None:
    assert x_connect.callback_url("https://abc.execute-api.eu-west-1.amazonaws.com/v1/") == (
        "https://abc.execute-api.eu-west-1.amazonaws.com/v1/channels/x/callback"
    )


# -- the code exchange --------------------------------------------------------------------------------------


def _exchange() -> object:
    return x_connect.exchange_code(APP, code="the-code", verifier="the-verifier", redirect_uri="https://p/cb")


def test_the_code_is_traded_with_the_verifier_and_basic_auth(x: responses.RequestsMock) -> None:
    call = x.post(f"{API}/2/oauth2/token", json=rec.AUTHORIZATION_CODE_TOKEN_200)

    tokens = x_connect.exchange_code(APP, code="the-code", verifier="the-verifier", redirect_uri="https://p/cb")

    request = call.calls[0].request
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"client-id:client-s3cret").decode()
    form = {k: v[0] for k, v in parse_qs(str(request.body)).items()}
    assert form == {
        "grant_type": "authorization_code",
        "code": "the-code",
        "redirect_uri": "https://p/cb",
        "code_verifier": "the-verifier",
        "client_id": "client-id",
    }
    assert tokens.refresh_token == rec.AUTHORIZATION_CODE_TOKEN_200["refresh_token"]
    assert tokens.expires_at == NOW + timedelta(seconds=7200)


@pytest.mark.parametrize(
    ("status", "body", "expected_status", "field", "says"),
    [
        (400, rec.TOKEN_REFUSED_400, 400, "code", "refused the authorization code"),
        (401, {"error": "invalid_client"}, 409, "app", "set-app x"),
        (503, {}, 424, "code", "had trouble"),
        (429, rec.TOO_MANY_REQUESTS_429, 429, "code", "rate limit"),
    ],
)
def test_a_refused_exchange_names_the_reason(
    x: responses.RequestsMock, status: int, body: dict[str, object], expected_status: int, field: str, says: str
) -> None:
    x.post(f"{API}/2/oauth2/token", json=body, status=status)

    with pytest.raises(ConnectFailed) as failed:
        _exchange()

    assert (failed.value.status, failed.value.field) == (expected_status, field)
    assert says in failed.value.reason


# -- token upkeep decisions ----------------------------------------------------------------------------------


def _session(expires_in: timedelta | None, refresh: str | None = "rt") -> dict[str, str]:
    session = {"access_token": "at"}
    if refresh:
        session["refresh_token"] = refresh
    if expires_in is not None:
        session["expires_at"] = (NOW + expires_in).isoformat()
    return session


def test_a_token_about_to_expire_is_refreshed() -> None:
    assert upkeep.plan_x(_session(timedelta(minutes=5)), NOW).action is Action.REFRESH
    assert upkeep.plan_x(_session(None), NOW).action is Action.REFRESH


def test_a_token_renewed_elsewhere_is_left_alone_and_its_refresh_armed_before_it_expires() -> None:
    decided = upkeep.plan_x(_session(timedelta(hours=2)), NOW)

    assert decided.action is Action.ARM
    assert decided.at == NOW + timedelta(hours=2) - upkeep.MARGIN


def test_without_a_refresh_token_nothing_is_kept_alive() -> None:
    assert upkeep.plan_x(_session(timedelta(minutes=5), refresh=None), NOW).action is Action.STOP
    assert upkeep.plan_x(None, NOW).action is Action.STOP


def test_only_a_refused_refresh_token_means_reconnecting() -> None:
    decided = upkeep.after_failure(InvalidCredential("revoked"), NOW)

    assert (decided.action, decided.reason) == (Action.NEEDS_REAUTH, "revoked")


def test_a_transient_failure_is_retried_soon_or_at_the_rate_limit_reset() -> None:
    soon = upkeep.after_failure(TransientNetworkError("timeout"), NOW)
    reset = upkeep.after_failure(TransientNetworkError("429", retry_at=NOW + timedelta(minutes=7)), NOW)
    stale = upkeep.after_failure(TransientNetworkError("429", retry_at=NOW - timedelta(minutes=7)), NOW)

    assert (soon.action, soon.at) == (Action.ARM, NOW + upkeep.RETRY)
    assert (reset.action, reset.at) == (Action.ARM, NOW + timedelta(minutes=7))
    assert stale.at == NOW + upkeep.RETRY


def test_x_refusing_parleys_app_is_retried_later_not_blamed_on_the_channel() -> None:
    decided = upkeep.after_failure(PermanentNetworkError("invalid_client"), NOW)

    assert (decided.action, decided.at) == (Action.ARM, NOW + upkeep.APP_RETRY)


# -- the publish path and the refresh schedule racing -------------------------------------------------------


class RotatingStore:
    """A channel's session store in which the refresh schedule rotates the pair while a publish renews."""

    def __init__(self) -> None:
        self.session = {"access_token": "old-access", "refresh_token": "old-refresh"}

    def load(self) -> dict[str, str] | None:
        return dict(self.session)

    def save(self, session: dict[str, str]) -> None:
        self.session = dict(session)


def test_a_refresh_refused_because_the_schedule_rotated_the_pair_uses_the_new_pair(
    x: responses.RequestsMock,
) -> None:
    import requests

    from parley.networks.base import Credential, PublishRequest
    from parley.networks.x import XAdapter

    store = RotatingStore()
    x.post(f"{API}/2/tweets", json=rec.UNAUTHORIZED_401, status=401)

    def rotated_meanwhile(request: object) -> tuple[int, dict[str, str], str]:
        store.session = {"access_token": "schedule-access", "refresh_token": "schedule-refresh"}
        return 400, {"Content-Type": "application/json"}, '{"error": "invalid_grant"}'

    x.add_callback(responses.POST, f"{API}/2/oauth2/token", callback=rotated_meanwhile)
    x.post(f"{API}/2/tweets", json=rec.CREATE_POST_201, status=201)
    adapter = XAdapter(
        Credential(rec.USER_ID, "old-access", API), store, clock.get_clock(), requests.Session(), client=APP.client
    )

    published = adapter.publish(PublishRequest("01jd", "Hello", NOW, look_first=False))

    assert published.remote_id == rec.CREATED_ID
    assert x.calls[-1].request.headers["Authorization"] == "Bearer schedule-access"
