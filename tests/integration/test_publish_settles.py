"""The publish step settles every outcome (issue 15 item 5): whatever an adapter raises, a typed network
error or anything else, the delivery ends published, failed with a reason, or retrying with the reason and
a time; never left `publishing`. A retry after an outcome that may hide a write looks first, so the post
goes out once. Against moto (DynamoDB, SQS, Scheduler), with a stand-in adapter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.connect import adapters
from parley.networks.base import (
    Account,
    Credential,
    InvalidCredential,
    PermanentNetworkError,
    Published,
    PublishRequest,
    SessionStore,
    TransientNetworkError,
)
from parley.publishing import deliveries
from parley.publishing import publish as publishing
from parley.publishing.deliveries import State
from parley.scheduling import PublishMessage
from parley.scheduling.wiring import arming
from parley.shared import clock
from parley.shared.errors import FieldProblem
from parley.shared.names import MAX_ATTEMPTS
from parley.store.keys import DeliveryKey
from tests.integration.test_publishing import START, make_delivery, state

RAISED = st.sampled_from(
    [
        TransientNetworkError("the network answered 503"),
        TransientNetworkError("rate limited", retry_at=START),
        PermanentNetworkError("the network refused the post"),
        InvalidCredential("the token was revoked"),
        KeyError("uri"),
        ValueError("year 58134 is out of range"),
        OverflowError("timestamp out of range"),
        TypeError("'NoneType' object is not subscriptable"),
        AttributeError("'list' object has no attribute 'get'"),
        requests.exceptions.ChunkedEncodingError("the body was cut short"),
        RecursionError("maximum recursion depth exceeded"),
        RuntimeError("a bug of ours"),
        MemoryError(),
    ]
)
SETTLED = {State.PUBLISHED.value, State.FAILED.value, State.RETRYING.value}


class AfterTheWrite(Exception):
    """Scripted: the post is made, then `error` is raised (an answer lost or garbled after the write)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(repr(error))
        self.error = error


@dataclass
class OddNetwork:
    """Stand-in adapter: each call (publish or find) raises the next scripted exception, or succeeds."""

    script: list[BaseException | None] = field(default_factory=list)
    posted: dict[str, Published] = field(default_factory=dict)
    creates: int = 0
    looked_first: list[bool] = field(default_factory=list)
    network: str = "bluesky"

    def adapter(self, network: str, credential: Credential, sessions: SessionStore) -> OddNetwork:
        return self

    def check_text(self, text: str) -> list[FieldProblem]:
        return []

    def verify(self, credential: Credential) -> Account:
        raise NotImplementedError

    def _next(self) -> BaseException | None:
        return self.script.pop(0) if self.script else None

    def publish(self, request: PublishRequest) -> Published:
        self.looked_first.append(request.look_first)
        if request.look_first:
            found = self.find(request)
            if found is not None:
                return found
        outcome = self._next()
        if outcome is not None and not isinstance(outcome, AfterTheWrite):
            raise outcome
        self.creates += 1
        published = Published("at://x/" + request.delivery_id, "https://bsky.app/x", clock.now())
        self.posted[request.delivery_id] = published
        if outcome is not None:
            raise outcome.error  # the network took the post, then the answer went wrong
        return published

    def find(self, request: PublishRequest) -> Published | None:
        outcome = self._next()
        if outcome is not None:
            raise outcome.error if isinstance(outcome, AfterTheWrite) else outcome
        return self.posted.get(request.delivery_id)


@pytest.fixture
def net(aws: str) -> Iterator[OddNetwork]:
    clock.set_clock(clock.ManualClock(START))
    fake = OddNetwork()
    adapters.set_factory(fake.adapter)
    yield fake
    adapters.set_factory(None)
    clock.set_clock(clock.SystemClock())


def run_due(key: DeliveryKey) -> publishing.Outcome:
    record = state(key)
    clock.get_clock().set(max(record.due_at, clock.now()))  # type: ignore[attr-defined]
    return publishing.handle_due(PublishMessage(key, record.due_at), arming())


def assert_settled(record: deliveries.DeliveryRecord) -> None:
    assert record.state in SETTLED, record.state
    if record.state == State.FAILED.value:
        assert record.failure_reason
    if record.state == State.RETRYING.value:
        assert record.last_error and record.due_at is not None


def test_an_unexpected_exception_is_retried_and_the_retry_looks_first(net: OddNetwork) -> None:
    key = make_delivery("ws_settles")
    net.script = [KeyError("uri")]

    outcome = run_due(key)

    record = state(key)
    assert (outcome.state, record.state) == ("retrying", "retrying")
    assert record.last_error == "parley hit an unexpected error while publishing (KeyError)"
    assert record.due_at == START + publishing.backoff(1)

    net.posted[key.id] = Published("at://x/" + key.id, "https://bsky.app/x", START)  # it went out after all
    assert run_due(key).state == "published"
    assert net.looked_first == [False, True] and net.creates == 0


def test_unexpected_exceptions_until_the_attempts_run_out_end_failed_with_the_reason(net: OddNetwork) -> None:
    key = make_delivery("ws_settles")
    net.script = [RuntimeError("a bug of ours")] * (2 * MAX_ATTEMPTS)  # the looks fail too

    for _ in range(MAX_ATTEMPTS):
        run_due(key)

    record = state(key)
    assert record.state == State.FAILED.value
    assert record.failure_reason == (
        f"gave up after {MAX_ATTEMPTS} attempts: parley hit an unexpected error while publishing (RuntimeError)"
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=st.lists(st.none() | RAISED | RAISED.map(AfterTheWrite), min_size=1, max_size=2 * MAX_ATTEMPTS + 2))
def test_whatever_an_adapter_raises_the_delivery_is_settled_and_goes_out_at_most_once(
    net: OddNetwork, script: list[BaseException | None]
) -> None:
    net.script, net.posted, net.creates = list(script), {}, 0
    key = make_delivery("ws_settles")

    for _ in range(MAX_ATTEMPTS + 1):
        run_due(key)
        record = state(key)
        assert_settled(record)
        if record.state != State.RETRYING.value:
            break

    assert state(key).state in (State.PUBLISHED.value, State.FAILED.value)
    assert net.creates <= 1  # exactly once: every retry looked first


@dataclass
class OddAnswers(OddNetwork):
    """Stand-in adapter that takes the post, then answers with `odd` for it, at every publish and look."""

    odd: Published | None = None

    def publish(self, request: PublishRequest) -> Published:
        assert self.odd is not None
        return self.odd

    def find(self, request: PublishRequest) -> Published | None:
        return self.odd


@pytest.mark.parametrize(
    "odd",
    [
        Published("at://x/" + "a" * 1_000_000, "https://bsky.app/x", START),  # a megabyte of id
        Published("", "https://bsky.app/x", START),
        Published("at://x/1", "javascript:alert(1)", START),
        Published("at://x/1", "https://bsky.app/x\x00", START),
    ],
)
def test_a_published_answer_that_cannot_be_recorded_ends_failed_not_publishing(aws: str, odd: Published) -> None:
    clock.set_clock(clock.ManualClock(START))
    adapters.set_factory(OddAnswers(odd=odd).adapter)
    try:
        key = make_delivery("ws_settles")
        for _ in range(MAX_ATTEMPTS):
            run_due(key)
            assert_settled(state(key))
            if state(key).state == State.FAILED.value:
                break
    finally:
        adapters.set_factory(None)
        clock.set_clock(clock.SystemClock())

    record = state(key)
    assert record.state == State.FAILED.value
    assert "answered with a post parley cannot record" in (record.failure_reason or "")
