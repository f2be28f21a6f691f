"""Each OAuth provider (parley.connect.*): the code exchange, the long-lived exchange and reading the account on
recorded answers (tests/support/oauth_recorded.py, each citing the network's docs page), and the token upkeep
decisions per network (parley.connect.upkeep.plan, pure). Endpoints are stand-ins on 127.0.0.1 (the app's URL
overrides) answered by `responses`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
import responses

from parley.connect import facebook, instagram, linkedin, threads, upkeep
from parley.connect.apps import OAuthApp
from parley.connect.base import ConnectFailed, Tokens
from parley.connect.upkeep import Action
from parley.networks.base import InvalidCredential, PermanentNetworkError, TransientNetworkError
from parley.networks.capabilities import CAPABILITIES, capabilities
from parley.shared import clock
from tests.support import oauth_recorded as rec

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
STAND_IN = "http://127.0.0.1:9"
REDIRECT = "https://parley.example/channels/{}/callback"


def app(network: str) -> OAuthApp:
    urls = {"api": f"{STAND_IN}/{network}-api", "token": f"{STAND_IN}/{network}-token"}
    return OAuthApp(network, "client-id", "client-s3cret", urls)


@pytest.fixture(autouse=True)
def _clock() -> Iterator[None]:
    clock.set_clock(clock.ManualClock(NOW))
    yield
    clock.set_clock(clock.SystemClock())


@pytest.fixture
def web() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def _form(call: responses.Call) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(str(call.request.body)).items()}


# -- LinkedIn -------------------------------------------------------------------------------------------------


def test_linkedin_member_scopes_and_organization_scopes() -> None:
    assert linkedin.scopes({}) == ("openid", "profile", "w_member_social")
    assert set(linkedin.ORGANIZATION_SCOPES) <= set(linkedin.scopes({"account": "organization"}))
    assert set(linkedin.ORGANIZATION_SCOPES) <= set(linkedin.scopes({"organization": "2414183"}))


def test_linkedin_exchange_sends_the_secret_in_the_form_and_keeps_the_60_day_expiry(
    web: responses.RequestsMock,
) -> None:
    web.post(f"{STAND_IN}/linkedin-token", json=rec.LINKEDIN_TOKEN_200)

    tokens = linkedin.exchange(app("linkedin"), "the-code", REDIRECT.format("linkedin"), "unused")

    form = _form(web.calls[0])
    assert form["grant_type"] == "authorization_code" and form["client_secret"] == "client-s3cret"
    assert form["redirect_uri"] == REDIRECT.format("linkedin")
    assert tokens.expires_at == NOW + timedelta(days=60) and tokens.refresh_token is None


def test_linkedin_member_profile_is_the_userinfo_sub_as_a_person_urn(web: responses.RequestsMock) -> None:
    web.get(f"{STAND_IN}/linkedin-api/v2/userinfo", json=rec.LINKEDIN_USERINFO_200)

    connected = linkedin.read_account(app("linkedin"), Tokens("tok"), {})

    assert connected.remote_id == "urn:li:person:782bbtaQ" == connected.credential.identifier
    assert connected.handle == "John Doe" and connected.credential.secret == "tok"
    assert connected.credential.service_url == f"{STAND_IN}/linkedin-api"
    assert web.calls[0].request.headers["Authorization"] == "Bearer tok"


def test_linkedin_organization_is_read_from_the_members_acls(web: responses.RequestsMock) -> None:
    web.get(f"{STAND_IN}/linkedin-api/v2/userinfo", json=rec.LINKEDIN_USERINFO_200)
    web.get(f"{STAND_IN}/linkedin-api/rest/organizationAcls", json=rec.LINKEDIN_ACLS_200)
    web.get(f"{STAND_IN}/linkedin-api/rest/organizations/2414183", json=rec.LINKEDIN_ORGANIZATION_200)

    connected = linkedin.read_account(app("linkedin"), Tokens("tok"), {"account": "organization"})

    assert connected.remote_id == "urn:li:organization:2414183" == connected.credential.identifier
    assert connected.handle == "LinkedIn"
    acls = web.calls[1].request
    assert "q=roleAssignee" in str(acls.url) and acls.headers["LinkedIn-Version"] == linkedin.LINKEDIN_VERSION


def test_linkedin_several_organizations_and_none_named_lists_them() -> None:
    urns = ["urn:li:organization:2414183", "urn:li:organization:5515715"]
    with pytest.raises(ConnectFailed) as several:
        linkedin.choose(urns, "")
    with pytest.raises(ConnectFailed) as wrong:
        linkedin.choose(urns, "42")

    assert several.value.field == "organization" and all(u in several.value.reason for u in urns)
    assert wrong.value.status == 422 and "urn:li:organization:5515715" in wrong.value.reason
    assert linkedin.choose(urns, "5515715") == linkedin.choose(urns, "urn:li:organization:5515715") == urns[1]


def test_linkedin_refresh_keeps_the_refresh_token_and_a_revoked_one_is_invalid(web: responses.RequestsMock) -> None:
    web.post(f"{STAND_IN}/linkedin-token", json=rec.LINKEDIN_REFRESHED_200)
    web.post(f"{STAND_IN}/linkedin-token", json=rec.LINKEDIN_REFRESH_REVOKED_400, status=400)
    session = {"access_token": "old", "refresh_token": "r1"}

    renewed = linkedin.renew(app("linkedin"), session, NOW)
    with pytest.raises(InvalidCredential):
        linkedin.renew(app("linkedin"), session, NOW)

    assert renewed.access_token == "BQVvlL_renewed" and renewed.refresh_token == "AQWAft_WjYZKwuWXLC5hQlghgTam"
    assert _form(web.calls[0])["grant_type"] == "refresh_token"


def test_a_refused_app_and_a_5xx_are_not_the_channels_fault(web: responses.RequestsMock) -> None:
    web.post(f"{STAND_IN}/linkedin-token", json={"error": "invalid_client"}, status=401)
    web.post(f"{STAND_IN}/linkedin-token", status=503)
    session = {"access_token": "old", "refresh_token": "r1"}

    with pytest.raises(PermanentNetworkError) as app_refused:
        linkedin.renew(app("linkedin"), session, NOW)
    with pytest.raises(TransientNetworkError):
        linkedin.renew(app("linkedin"), session, NOW)

    assert not isinstance(app_refused.value, InvalidCredential)


# -- Facebook -------------------------------------------------------------------------------------------------


def test_facebook_trades_the_code_then_the_short_token_for_a_long_lived_one(web: responses.RequestsMock) -> None:
    token_url = f"{STAND_IN}/facebook-api/{facebook.GRAPH_VERSION}/oauth/access_token"
    web.get(token_url, json=rec.FACEBOOK_CODE_TOKEN_200)
    web.get(token_url, json=rec.FACEBOOK_LONG_LIVED_200)

    tokens = facebook.exchange(app("facebook"), "the-code", REDIRECT.format("facebook"), "unused")

    assert "code=the-code" in str(web.calls[0].request.url)
    second = str(web.calls[1].request.url)
    assert "grant_type=fb_exchange_token" in second and "fb_exchange_token=EAAJ-short-lived-user-token" in second
    assert tokens.access_token == "EAAJ-long-lived-user-token"


def test_facebook_page_token_is_the_credential_and_does_not_expire(web: responses.RequestsMock) -> None:
    web.get(f"{STAND_IN}/facebook-api/{facebook.GRAPH_VERSION}/me/accounts", json=rec.FACEBOOK_ACCOUNTS_200)

    connected = facebook.read_account(app("facebook"), Tokens("EAAJ-long-lived-user-token"), {})

    assert (connected.handle, connected.remote_id) == ("Cafe Acme", "1234567890")
    assert connected.credential.secret == "EAAJ-page-token-1" and connected.tokens.expires_at is None
    assert upkeep.plan(facebook.PROVIDER, connected.tokens.as_session(), NOW).action is Action.STOP


def test_facebook_several_pages_and_none_named_lists_them() -> None:
    pages = rec.FACEBOOK_ACCOUNTS_TWO_200["data"]
    with pytest.raises(ConnectFailed) as several:
        facebook.choose(pages, "")

    assert several.value.field == "page" and "1234567890 (Cafe Acme)" in several.value.reason
    assert "9876543210 (Bakery Acme)" in several.value.reason
    assert facebook.choose(pages, "9876543210")["name"] == "Bakery Acme"


def test_a_graph_rate_limit_while_connecting_is_a_429(web: responses.RequestsMock) -> None:
    token_url = f"{STAND_IN}/facebook-api/{facebook.GRAPH_VERSION}/oauth/access_token"
    web.get(token_url, json=rec.GRAPH_RATE_LIMITED_400, status=400)

    with pytest.raises(ConnectFailed) as refused:
        facebook.exchange(app("facebook"), "the-code", REDIRECT.format("facebook"), "unused")

    assert refused.value.status == 429


# -- Instagram ------------------------------------------------------------------------------------------------


def test_instagram_code_then_long_lived_token_then_the_professional_account(web: responses.RequestsMock) -> None:
    web.post(f"{STAND_IN}/instagram-token", json=rec.INSTAGRAM_CODE_TOKEN_200)
    web.get(f"{STAND_IN}/instagram-api/access_token", json=rec.INSTAGRAM_LONG_LIVED_200)
    web.get(f"{STAND_IN}/instagram-api/me", json=rec.INSTAGRAM_ME_200)

    tokens = instagram.exchange(app("instagram"), "the-code", REDIRECT.format("instagram"), "unused")
    connected = instagram.read_account(app("instagram"), tokens, {})

    assert "grant_type=ig_exchange_token" in str(web.calls[1].request.url)
    assert tokens.access_token == "IGQWRPa-long-lived" and tokens.expires_at == NOW + timedelta(seconds=5183944)
    assert (connected.handle, connected.remote_id) == ("cafe.acme", "17841405793187218")
    assert connected.credential.identifier == "17841405793187218"


def test_instagram_refresh_and_a_revoked_token(web: responses.RequestsMock) -> None:
    web.get(f"{STAND_IN}/instagram-api/refresh_access_token", json=rec.INSTAGRAM_REFRESHED_200)
    web.get(f"{STAND_IN}/instagram-api/refresh_access_token", json=rec.GRAPH_TOKEN_INVALID_400, status=400)

    renewed = instagram.renew(app("instagram"), {"access_token": "IGQWRPa-long-lived"}, NOW)
    with pytest.raises(InvalidCredential):
        instagram.renew(app("instagram"), {"access_token": "IGQWRPa-long-lived"}, NOW)

    assert renewed.access_token == "IGQWRPa-refreshed"
    assert "grant_type=ig_refresh_token" in str(web.calls[0].request.url)


# -- Threads --------------------------------------------------------------------------------------------------


def test_threads_code_then_long_lived_token_then_the_account(web: responses.RequestsMock) -> None:
    web.post(f"{STAND_IN}/threads-api/oauth/access_token", json=rec.THREADS_CODE_TOKEN_200)
    web.get(f"{STAND_IN}/threads-api/access_token", json=rec.THREADS_LONG_LIVED_200)
    web.get(f"{STAND_IN}/threads-api/v1.0/me", json=rec.THREADS_ME_200)

    tokens = threads.exchange(app("threads"), "the-code", REDIRECT.format("threads"), "unused")
    connected = threads.read_account(app("threads"), tokens, {})

    assert _form(web.calls[0])["grant_type"] == "authorization_code"
    assert "grant_type=th_exchange_token" in str(web.calls[1].request.url)
    assert "fields=id%2Cusername" in str(web.calls[2].request.url)
    assert (connected.handle, connected.remote_id, connected.credential.secret) == (
        "cafe.acme",
        "1008598087",
        "THQVJ-long-lived",
    )


def test_threads_refresh_uses_th_refresh_token(web: responses.RequestsMock) -> None:
    web.get(f"{STAND_IN}/threads-api/refresh_access_token", json=rec.THREADS_REFRESHED_200)

    renewed = threads.renew(app("threads"), {"access_token": "THQVJ-long-lived"}, NOW)

    assert renewed.access_token == "THQVJ-refreshed" and "grant_type=th_refresh_token" in str(web.calls[0].request.url)


# -- token upkeep decisions -----------------------------------------------------------------------------------


def _session(expires_in: timedelta, **extra: str) -> dict[str, str]:
    return {"access_token": "t", "expires_at": (NOW + expires_in).isoformat(), **extra}


@pytest.mark.parametrize("provider", [instagram.PROVIDER, threads.PROVIDER])
def test_long_lived_meta_tokens_renew_a_margin_before_expiry(provider: object) -> None:
    from parley.connect.base import Provider

    assert isinstance(provider, Provider)
    fresh = upkeep.plan(provider, _session(timedelta(days=60)), NOW)
    due = upkeep.plan(provider, _session(provider.refresh_margin - timedelta(hours=1)), NOW)
    gone = upkeep.plan(provider, _session(-timedelta(hours=1)), NOW)

    assert fresh == upkeep.Plan(Action.ARM, NOW + timedelta(days=60) - provider.refresh_margin, "still fresh")
    assert due.action is Action.REFRESH
    assert gone.action is Action.NEEDS_REAUTH and "expired" in gone.reason


def test_linkedin_with_a_refresh_token_refreshes_without_one_needs_reauth_before_expiry() -> None:
    soon = linkedin.PROVIDER.refresh_margin - timedelta(hours=1)

    with_refresh = upkeep.plan(linkedin.PROVIDER, _session(soon, refresh_token="r1"), NOW)
    without = upkeep.plan(linkedin.PROVIDER, _session(soon), NOW)
    refresh_expired = upkeep.plan(
        linkedin.PROVIDER, _session(soon, refresh_token="r1", refresh_expires_at=NOW.isoformat()), NOW
    )

    assert with_refresh.action is Action.REFRESH
    assert without.action is Action.NEEDS_REAUTH and "no refresh token" in without.reason
    assert refresh_expired.action is Action.NEEDS_REAUTH


def test_describe_says_when_a_linkedin_channel_will_need_reconnecting() -> None:
    said = upkeep.describe(linkedin.PROVIDER, Tokens("t", expires_at=NOW + timedelta(days=60)), NOW)

    assert "no refresh token" in said and (NOW + timedelta(days=58)).isoformat() in said


# -- capabilities ---------------------------------------------------------------------------------------------


def test_every_network_says_what_it_can_and_cannot_provide() -> None:
    assert set(CAPABILITIES) == {"bluesky", "mastodon", "x", "linkedin", "facebook", "instagram", "threads"}
    keys = {"publish", "replies", "mentions", "counters", "answers", "search", "images", "thread", "comments", "notes"}
    assert all(set(entry) == keys for entry in CAPABILITIES.values())
    assert capabilities("instagram")["images"] == "required"
    copy = capabilities("x")
    copy["counters"].append("nothing")
    assert "nothing" not in CAPABILITIES["x"]["counters"]
