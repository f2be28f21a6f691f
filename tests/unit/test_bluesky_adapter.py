"""The Bluesky adapter against a fake XRPC server (the `responses` library: no sockets)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses

from parley.networks import richtext
from parley.networks.base import (
    Credential,
    InvalidCredential,
    PermanentNetworkError,
    Published,
    PublishRequest,
    TransientNetworkError,
)
from parley.networks.bluesky import BlueskyAdapter, record_key
from parley.shared.clock import ManualClock
from tests.support.sessions import MemoryStore

PDS = "http://127.0.0.1:2583"
PASSWORD = "app-pass-s3cret"
CREDENTIAL = Credential("alice.test", PASSWORD, PDS)
DID = "did:plc:alice"
START = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
REQUEST = PublishRequest(delivery_id="01jdelivery", text="Hello #launch", due_at=START, look_first=False)
RKEY = record_key(REQUEST)
URI = f"at://{DID}/app.bsky.feed.post/{RKEY}"


def _session(n: int = 1) -> dict[str, str]:
    return {"did": DID, "handle": "alice.test", "accessJwt": f"access-{n}", "refreshJwt": f"refresh-{n}"}


def _stored(n: int = 1, **overrides: str) -> dict[str, str]:
    return {**_session(n), "identifier": "alice.test", "service_url": PDS, **overrides}


@pytest.fixture
def pds() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def _url(nsid: str) -> str:
    return f"{PDS}/xrpc/{nsid}"


def _calls(pds: responses.RequestsMock, nsid: str) -> list[Any]:
    return [call for call in pds.calls if f"/xrpc/{nsid}" in (call.request.url or "")]


def _sent(call: Any) -> Any:
    return json.loads(call.request.body or b"")


def _error(pds: responses.RequestsMock, method: str, nsid: str, status: int, error: str, message: str = "") -> None:
    pds.add(method, _url(nsid), json={"error": error, "message": message}, status=status)


def _created(pds: responses.RequestsMock) -> None:
    pds.add(responses.POST, _url("com.atproto.repo.createRecord"), json={"uri": URI, "cid": "bafyrei"})


def _record(pds: responses.RequestsMock, created_at: str = "2026-03-01T09:00:02.000Z") -> None:
    pds.add(
        responses.GET,
        _url("com.atproto.repo.getRecord"),
        json={"uri": URI, "cid": "bafyrei", "value": {"text": "Hello", "createdAt": created_at}},
    )


def _adapter(store: MemoryStore, clock: ManualClock, **kwargs: Any) -> BlueskyAdapter:
    kwargs.setdefault("http", requests.Session())  # plain requests: `responses` answers it
    return BlueskyAdapter(CREDENTIAL, store, clock=clock, **kwargs)


def _secrets_absent(exc: BaseException) -> None:
    text = f"{exc} {exc!r} {getattr(exc, 'reason', '')}"
    for secret in (PASSWORD, "access-1", "refresh-1", "access-2", "refresh-2"):
        assert secret not in text


# -- verify ------------------------------------------------------------------------------------------


def test_verify_returns_the_account_and_keeps_its_session(pds: responses.RequestsMock, clock: ManualClock) -> None:
    pds.add(responses.POST, _url("com.atproto.server.createSession"), json=_session())
    store = MemoryStore()

    account = _adapter(store, clock).verify(CREDENTIAL)

    assert (account.handle, account.remote_id) == ("alice.test", DID)
    assert _sent(pds.calls[0]) == {"identifier": "alice.test", "password": PASSWORD}
    assert store.saved == [_stored()]


def test_verify_with_a_wrong_password_is_an_invalid_credential(pds: responses.RequestsMock, clock: ManualClock) -> None:
    _error(
        pds, "POST", "com.atproto.server.createSession", 401, "AuthenticationRequired", "Invalid identifier or password"
    )

    with pytest.raises(InvalidCredential) as caught:
        _adapter(MemoryStore(), clock).verify(CREDENTIAL)

    assert "app password" in caught.value.reason
    _secrets_absent(caught.value)


def test_verify_of_an_account_taken_down_says_so(pds: responses.RequestsMock, clock: ManualClock) -> None:
    _error(pds, "POST", "com.atproto.server.createSession", 401, "AccountTakedown", "Account has been taken down")

    with pytest.raises(InvalidCredential, match="taken down"):
        _adapter(MemoryStore(), clock).verify(CREDENTIAL)


def test_verify_when_the_server_is_unreachable_is_transient(clock: ManualClock) -> None:
    adapter = BlueskyAdapter(
        Credential("alice.test", PASSWORD, "http://127.0.0.1:9"), MemoryStore(), clock=clock, http=requests.Session()
    )

    # Nothing registered: the request fails to connect
    with responses.RequestsMock(), pytest.raises(TransientNetworkError, match="could not be reached") as caught:
        adapter.verify(adapter._credential)

    _secrets_absent(caught.value)


@pytest.mark.parametrize("status", [500, 502, 503])
def test_verify_when_the_server_fails_is_transient(
    pds: responses.RequestsMock, clock: ManualClock, status: int
) -> None:
    _error(pds, "POST", "com.atproto.server.createSession", status, "InternalServerError")

    with pytest.raises(TransientNetworkError):
        _adapter(MemoryStore(), clock).verify(CREDENTIAL)


# -- publish -----------------------------------------------------------------------------------------


def test_publish_creates_the_post_under_the_delivery_key(pds: responses.RequestsMock, clock: ManualClock) -> None:
    # Given a stored session and a PDS that takes 2 seconds to answer
    def create(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        clock.advance(2)
        return 200, {}, json.dumps({"uri": URI, "cid": "bafyrei"})

    pds.add_callback(responses.POST, _url("com.atproto.repo.createRecord"), callback=create)

    # When the delivery is published
    published = _adapter(MemoryStore(_stored()), clock).publish(REQUEST)

    # Then the record went to the derived key, with the tag as a facet, and the answer is acknowledged
    sent = _sent(pds.calls[0])
    assert pds.calls[0].request.headers["Authorization"] == "Bearer access-1"
    assert {k: sent[k] for k in ("repo", "collection", "rkey")} == {
        "repo": DID,
        "collection": "app.bsky.feed.post",
        "rkey": RKEY,
    }
    assert sent["record"] == {
        "$type": "app.bsky.feed.post",
        "text": "Hello #launch",
        "createdAt": "2026-03-01T09:00:00.000Z",
        "facets": [{"index": {"byteStart": 6, "byteEnd": 13}, "features": [{"$type": richtext.TAG, "tag": "launch"}]}],
    }
    assert published == Published(
        remote_id=URI,
        url=f"https://bsky.app/profile/alice.test/post/{RKEY}",
        acknowledged_at=datetime(2026, 3, 1, 9, 0, 2, tzinfo=UTC),
        cid="bafyrei",  # the record's content hash: a thread's next part refers to it (docs/threads.md)
    )


def test_publish_without_facets_sends_none(pds: responses.RequestsMock, clock: ManualClock) -> None:
    _created(pds)

    _adapter(MemoryStore(_stored()), clock).publish(
        PublishRequest(delivery_id="d2", text="plain words", due_at=START, look_first=False)
    )

    assert "facets" not in _sent(pds.calls[0])["record"]


def test_a_mention_is_resolved_to_its_did_and_an_unknown_one_stays_text(
    pds: responses.RequestsMock, clock: ManualClock
) -> None:
    # Given one handle the PDS knows and one it does not
    def resolve(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        if "handle=bob.test" in (request.url or ""):
            return 200, {}, json.dumps({"did": "did:plc:bob"})
        return 400, {}, json.dumps({"error": "InvalidRequest", "message": "Unable to resolve handle"})

    pds.add_callback(responses.GET, _url("com.atproto.identity.resolveHandle"), callback=resolve)
    _created(pds)

    # When a post mentions both
    text = "hi @bob.test and @ghost.test"
    _adapter(MemoryStore(_stored()), clock).publish(
        PublishRequest(delivery_id="d3", text=text, due_at=START, look_first=False)
    )

    # Then only the known one is a facet
    record = _sent(_calls(pds, "com.atproto.repo.createRecord")[0])["record"]
    assert record["facets"] == [
        {"index": {"byteStart": 3, "byteEnd": 12}, "features": [{"$type": richtext.MENTION, "did": "did:plc:bob"}]}
    ]


def test_a_mention_that_cannot_be_resolved_for_now_is_transient(
    pds: responses.RequestsMock, clock: ManualClock
) -> None:
    _error(pds, "GET", "com.atproto.identity.resolveHandle", 502, "UpstreamFailure")

    with pytest.raises(TransientNetworkError):
        _adapter(MemoryStore(_stored()), clock).publish(
            PublishRequest(delivery_id="d4", text="hi @bob.test", due_at=START, look_first=False)
        )
    assert _calls(pds, "com.atproto.repo.createRecord") == []


def test_look_first_returns_the_post_already_there_without_creating(
    pds: responses.RequestsMock, clock: ManualClock
) -> None:
    _record(pds, created_at="2026-03-01T09:00:01.500Z")

    published = _adapter(MemoryStore(_stored()), clock).publish(
        PublishRequest(REQUEST.delivery_id, REQUEST.text, REQUEST.due_at, look_first=True)
    )

    assert published.already_there
    assert published.remote_id == URI
    assert published.acknowledged_at == datetime(2026, 3, 1, 9, 0, 1, 500000, tzinfo=UTC)
    assert f"rkey={RKEY}" in (pds.calls[0].request.url or "")
    assert _calls(pds, "com.atproto.repo.createRecord") == []


def test_look_first_creates_when_nothing_is_there(pds: responses.RequestsMock, clock: ManualClock) -> None:
    _error(pds, "GET", "com.atproto.repo.getRecord", 400, "RecordNotFound", "Could not locate record")
    _created(pds)

    published = _adapter(MemoryStore(_stored()), clock).publish(
        PublishRequest(REQUEST.delivery_id, REQUEST.text, REQUEST.due_at, look_first=True)
    )

    assert not published.already_there
    assert len(_calls(pds, "com.atproto.repo.createRecord")) == 1


@pytest.mark.parametrize("status", [500, 502])
def test_a_failed_create_whose_record_exists_is_the_post_already_there(
    pds: responses.RequestsMock, clock: ManualClock, status: int
) -> None:
    # Given a PDS that answers the duplicate key (or a write it made) with a server error
    _error(pds, "POST", "com.atproto.repo.createRecord", status, "InternalServerError", "Internal Server Error")
    _record(pds)

    published = _adapter(MemoryStore(_stored()), clock).publish(REQUEST)

    assert published.already_there
    assert published.remote_id == URI


def test_a_timed_out_create_looks_before_failing(pds: responses.RequestsMock, clock: ManualClock) -> None:
    pds.add(responses.POST, _url("com.atproto.repo.createRecord"), body=requests.ReadTimeout("slow"))
    _error(pds, "GET", "com.atproto.repo.getRecord", 400, "RecordNotFound")

    with pytest.raises(TransientNetworkError, match="in time"):
        _adapter(MemoryStore(_stored()), clock).publish(REQUEST)
    assert len(_calls(pds, "com.atproto.repo.getRecord")) == 1


def test_a_server_error_with_nothing_written_stays_transient(pds: responses.RequestsMock, clock: ManualClock) -> None:
    _error(pds, "POST", "com.atproto.repo.createRecord", 503, "ServiceUnavailable")
    _error(pds, "GET", "com.atproto.repo.getRecord", 503, "ServiceUnavailable")

    with pytest.raises(TransientNetworkError, match="HTTP 503"):
        _adapter(MemoryStore(_stored()), clock).publish(REQUEST)


def test_a_rate_limit_is_transient_until_its_reset_time(pds: responses.RequestsMock, clock: ManualClock) -> None:
    pds.add(
        responses.POST,
        _url("com.atproto.repo.createRecord"),
        json={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        status=429,
        headers={"ratelimit-reset": "1772356500"},
    )

    with pytest.raises(TransientNetworkError) as caught:
        _adapter(MemoryStore(_stored()), clock).publish(REQUEST)

    assert caught.value.retry_at == datetime.fromtimestamp(1772356500, UTC)
    assert _calls(pds, "com.atproto.repo.getRecord") == []  # turned away: nothing to look for


def test_a_refused_post_is_permanent_with_the_reason(pds: responses.RequestsMock, clock: ManualClock) -> None:
    _error(
        pds,
        "POST",
        "com.atproto.repo.createRecord",
        400,
        "InvalidRequest",
        "Invalid app.bsky.feed.post record: Record/text must not be longer than 300 graphemes",
    )

    with pytest.raises(PermanentNetworkError) as caught:
        _adapter(MemoryStore(_stored()), clock).publish(REQUEST)

    assert not isinstance(caught.value, InvalidCredential)
    assert "longer than 300 graphemes" in caught.value.reason
    assert _calls(pds, "com.atproto.repo.getRecord") == []


# -- find --------------------------------------------------------------------------------------------


def test_find_returns_none_when_the_record_is_not_there(pds: responses.RequestsMock, clock: ManualClock) -> None:
    _error(pds, "GET", "com.atproto.repo.getRecord", 400, "RecordNotFound", "Could not locate record")

    assert _adapter(MemoryStore(_stored()), clock).find(REQUEST) is None


def test_find_when_the_server_fails_is_transient(pds: responses.RequestsMock, clock: ManualClock) -> None:
    _error(pds, "GET", "com.atproto.repo.getRecord", 500, "InternalServerError")

    with pytest.raises(TransientNetworkError):
        _adapter(MemoryStore(_stored()), clock).find(REQUEST)


# -- sessions ----------------------------------------------------------------------------------------


def test_without_a_stored_session_one_is_created_and_saved(pds: responses.RequestsMock, clock: ManualClock) -> None:
    pds.add(responses.POST, _url("com.atproto.server.createSession"), json=_session())
    _created(pds)
    store = MemoryStore()

    _adapter(store, clock).publish(REQUEST)

    assert store.saved == [_stored()]


def test_a_stored_session_is_reused_and_loaded_once_per_adapter(
    pds: responses.RequestsMock, clock: ManualClock
) -> None:
    _created(pds)
    store = MemoryStore(_stored())
    adapter = _adapter(store, clock)

    adapter.publish(REQUEST)
    adapter.publish(PublishRequest("d5", "again", START, look_first=False))

    assert _calls(pds, "com.atproto.server.createSession") == []
    assert store.loads == 1
    assert store.saved == []


def test_an_expired_access_token_is_refreshed_and_the_call_repeated(
    pds: responses.RequestsMock, clock: ManualClock
) -> None:
    # Given a stored session whose access token has expired
    _error(pds, "POST", "com.atproto.repo.createRecord", 400, "ExpiredToken", "Token has expired")
    pds.add(responses.POST, _url("com.atproto.server.refreshSession"), json=_session(2))
    _created(pds)
    store = MemoryStore(_stored(1))

    # When publishing
    published = _adapter(store, clock).publish(REQUEST)

    # Then the refresh token renewed it, the new session was saved, and no new login was needed
    refresh = _calls(pds, "com.atproto.server.refreshSession")
    assert refresh[0].request.headers["Authorization"] == "Bearer refresh-1"
    assert _calls(pds, "com.atproto.repo.createRecord")[1].request.headers["Authorization"] == "Bearer access-2"
    assert store.saved == [_stored(2)]
    assert _calls(pds, "com.atproto.server.createSession") == []
    assert published.remote_id == URI


def test_a_session_renewed_by_another_invocation_is_picked_up(pds: responses.RequestsMock, clock: ManualClock) -> None:
    # Given an adapter holding session 1 while another invocation already stored session 2
    _created(pds)
    store = MemoryStore(_stored(1))
    adapter = _adapter(store, clock)
    adapter.publish(REQUEST)
    store.session = _stored(2)
    pds.reset()
    _error(pds, "POST", "com.atproto.repo.createRecord", 400, "ExpiredToken")
    _created(pds)

    # When its token is refused
    adapter.publish(REQUEST)

    # Then it takes the stored session instead of refreshing
    assert _calls(pds, "com.atproto.server.refreshSession") == []
    assert pds.calls[-1].request.headers["Authorization"] == "Bearer access-2"


def test_a_refused_refresh_token_falls_back_to_logging_in(pds: responses.RequestsMock, clock: ManualClock) -> None:
    _error(pds, "POST", "com.atproto.repo.createRecord", 401, "InvalidToken")
    _error(pds, "POST", "com.atproto.server.refreshSession", 400, "ExpiredToken", "Token has been revoked")
    pds.add(responses.POST, _url("com.atproto.server.createSession"), json=_session(2))
    _created(pds)
    store = MemoryStore(_stored(1))

    _adapter(store, clock).publish(REQUEST)

    assert len(_calls(pds, "com.atproto.server.createSession")) == 1
    assert store.saved == [_stored(2)]


def test_a_changed_password_ends_as_an_invalid_credential(pds: responses.RequestsMock, clock: ManualClock) -> None:
    _error(pds, "POST", "com.atproto.repo.createRecord", 400, "ExpiredToken")
    _error(pds, "POST", "com.atproto.server.refreshSession", 400, "ExpiredToken")
    _error(
        pds, "POST", "com.atproto.server.createSession", 401, "AuthenticationRequired", "Invalid identifier or password"
    )

    with pytest.raises(InvalidCredential) as caught:
        _adapter(MemoryStore(_stored(1)), clock).publish(REQUEST)

    _secrets_absent(caught.value)


def test_a_token_refused_even_when_fresh_is_an_invalid_credential(
    pds: responses.RequestsMock, clock: ManualClock
) -> None:
    _error(pds, "POST", "com.atproto.repo.createRecord", 401, "AuthenticationRequired")
    pds.add(responses.POST, _url("com.atproto.server.refreshSession"), json=_session(2))

    with pytest.raises(InvalidCredential) as caught:
        _adapter(MemoryStore(_stored(1)), clock).publish(REQUEST)

    assert len(_calls(pds, "com.atproto.repo.createRecord")) == 2  # tried once more, not forever
    _secrets_absent(caught.value)


@pytest.mark.parametrize(
    "stored",
    [_stored(identifier="bob.test"), _stored(service_url="https://bsky.social"), {"accessJwt": "x"}],
    ids=["other account", "other server", "incomplete"],
)
def test_a_stored_session_that_is_not_this_channels_is_ignored(
    pds: responses.RequestsMock, clock: ManualClock, stored: dict[str, str]
) -> None:
    pds.add(responses.POST, _url("com.atproto.server.createSession"), json=_session(2))
    _created(pds)

    _adapter(MemoryStore(stored), clock).publish(REQUEST)

    assert len(_calls(pds, "com.atproto.server.createSession")) == 1


def test_a_refresh_refused_for_another_reason_also_falls_back_to_logging_in(
    pds: responses.RequestsMock, clock: ManualClock
) -> None:
    _error(pds, "POST", "com.atproto.repo.createRecord", 400, "ExpiredToken")
    _error(pds, "POST", "com.atproto.server.refreshSession", 400, "InvalidRequest", "malformed")
    pds.add(responses.POST, _url("com.atproto.server.createSession"), json=_session(2))
    _created(pds)

    _adapter(MemoryStore(_stored(1)), clock).publish(REQUEST)

    assert len(_calls(pds, "com.atproto.server.createSession")) == 1


def test_an_account_taken_down_is_not_logged_into_again(pds: responses.RequestsMock, clock: ManualClock) -> None:
    _error(pds, "POST", "com.atproto.repo.createRecord", 401, "AccountTakedown", "Account has been taken down")

    with pytest.raises(InvalidCredential, match="taken down"):
        _adapter(MemoryStore(_stored(1)), clock).publish(REQUEST)

    assert [(call.request.url or "").rsplit("/", 1)[-1] for call in pds.calls] == ["com.atproto.repo.createRecord"]
