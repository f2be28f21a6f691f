"""The publish step and the reconciler's settling: where a delivery leaves parley for its network.

Exactly once comes from two things together: the lease (only the holder of a live lease calls the
network, and an expired lease can be taken over) and the network-side idempotency key (the adapter's
record key is derived from the delivery, so a takeover finds the post instead of making another).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from parley.connect import channels, credentials, health
from parley.connect.adapters import adapter_for
from parley.connect.channels import ACTIVE
from parley.links import short_links
from parley.networks import boundary
from parley.networks.base import (
    Adapter,
    InvalidCredential,
    NetworkError,
    PermanentNetworkError,
    PublishRequest,
    TransientNetworkError,
)
from parley.publishing import approval, deliveries, thread_steps, threads, webhook_events
from parley.publishing.deliveries import FINAL, MISSED_APPROVAL, State
from parley.scheduling import Arming, PublishMessage
from parley.shared import clock
from parley.shared.errors import LostRace
from parley.shared.names import APP, MAX_ATTEMPTS, METRICS_NAMESPACE, WATCH_WINDOW_SECONDS
from parley.shared.observability import logger, metrics
from parley.store import ChannelRecord, DeliveryRecord
from parley.store.keys import DeliveryKey

LISTENED_NETWORKS = ("bluesky", "mastodon", "x", "linkedin", "facebook", "instagram", "threads")

# Waiting out the last second or two in the function is cheaper than another hop through SQS.
MAX_WAIT_IN_FUNCTION = 3.0  # the message is visible 1 to 2 s early (QUEUE_EARLY_SECONDS), plus a margin


T = TypeVar("T")


class LeaseBusy(Exception):
    """Someone holds a live lease on this delivery: try the message again later, don't drop it."""

    def __init__(self, delivery_id: str, detail: str) -> None:
        super().__init__(f"{delivery_id} {detail}")
        self.delivery_id = delivery_id


def as_batch_item(step: Callable[[], T]) -> T:
    """One queue message's step, for the batch handlers (publish, reconciler). A LeaseBusy is the expected
    duplicate (Scheduler and SQS deliver at least once): one INFO line and a DuplicateDelivery count, no
    traceback. Anything else is logged with its traceback. Both are raised again, so the message comes back
    (`batchItemFailures`): a lease may belong to a holder that crashed, and the retry settles it."""
    try:
        return step()
    except LeaseBusy as busy:
        logger.info("duplicate delivery: its attempt is under way elsewhere", extra={"delivery_id": busy.delivery_id})
        metrics.add_metric(name="DuplicateDelivery", unit=MetricUnit.Count, value=1)
        raise
    except Exception:
        logger.exception("the step failed; its message comes back")
        raise


@dataclass(frozen=True)
class Outcome:
    state: str
    detail: str = ""


def backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempt - 1, 0), 900))


def handle_due(message: PublishMessage, arming: Arming, by: str = "publish") -> Outcome:
    """A publish-queue message arrived (about) at its due second."""
    record = deliveries.get(message.key)
    if record is None:
        return Outcome("missing", "no such delivery (its post was never written)")
    if record.state in FINAL or record.state in (State.HELD.value, State.DRAFT.value):
        webhook_events.delivery_ended(record)  # a repeat after a crash: its webhooks may not have been told
        _next_occurrence(record, arming)  # ... nor its series moved on
        return Outcome(record.state, "nothing to do")
    waits = record.state == State.PENDING_APPROVAL.value
    if (waits or record.state in (State.SCHEDULED.value, State.RETRYING.value)) and record.due_at != message.due_at:
        # An edit moved it; make sure the current time is armed (a duplicate is harmless: the lease).
        arming.arm(PublishMessage(message.key, record.due_at), attempt=int(record.attempt or 0))
        return Outcome(record.state, "stale message: re-armed for the current time")
    if record.state == State.PUBLISHING.value and not deliveries.lease_expired(record, clock.now()):
        raise LeaseBusy(message.key.id, "is being published by someone else")

    wait = (message.due_at - clock.now()).total_seconds()
    if wait > MAX_WAIT_IN_FUNCTION:
        arming.hand_over(message)  # arrived early (a clock or a queue hiccup): never publish early
        return Outcome(record.state, "early: handed back to the queue")
    if waits:  # its time came while it waited for approval: cancelled, unless an approval lands first
        clock.get_clock().sleep(max(wait, 0))
        if approval.miss(record, due_at=message.due_at, by=by):
            _next_occurrence(deliveries.get(message.key) or record, arming)  # a series goes on without it
            return Outcome(State.CANCELLED.value, MISSED_APPROVAL)
        return handle_due(message, arming, by)  # approved meanwhile: read it again and publish it
    ready = _prepared(record)  # while the message waits for its second, not after it
    clock.get_clock().sleep(wait)
    return attempt(record, arming, due_at=message.due_at, by=by, ready=ready)


@dataclass(frozen=True)
class Ready:
    """What an attempt needs before its network call: the channel, its adapter and the request."""

    channel: ChannelRecord
    adapter: Adapter | None  # None: the channel is not active, so its credential was not read
    request: PublishRequest


def _ready(record: DeliveryRecord, *, look_only: bool = False) -> Ready:
    key = DeliveryKey.of(record)
    text, links = short_links.for_publish(record.network, record.text)  # Bluesky: readable link text
    request = PublishRequest(delivery_id=key.id, text=text, due_at=record.publish_at, look_first=False, links=links)
    channel = ChannelRecord.get(key.workspace_id, key.channel_id)
    if channel.status != ACTIVE and not look_only:
        return Ready(channel, None, request)
    credential = credentials.load_credential(channel.credential_parameter)
    sessions = credentials.SsmSessionStore(credentials.session_parameter(channel.credential_parameter))
    adapter = adapter_for(channel.network, credential, sessions)
    if not look_only and (record.media_ids or record.link_card):
        from parley.media import post_media

        request = post_media.with_attachments(request, record)
    return Ready(channel, adapter, request)


def _prepared(record: DeliveryRecord) -> Ready | None:
    """Everything before the network call, read ahead so that at the due second only the lease and the call
    remain (issue 16: publish lag). A failure here is not settled here: the attempt reads it all again
    under its lease, where every outcome is."""
    try:
        return _ready(record)
    except Exception:
        logger.info("could not prepare the attempt ahead of its second; it prepares under the lease")
        return None


def attempt(
    record: DeliveryRecord,
    arming: Arming,
    *,
    due_at: datetime,
    by: str,
    look_only: bool = False,
    ready: Ready | None = None,
) -> Outcome:
    """Take the lease, call the network (or only look, when the attempts ran out), record the end."""
    takeover = record.state == State.PUBLISHING.value
    try:
        record = deliveries.start_publishing(record, due_at=due_at, by=by)
    except LostRace:
        return Outcome("lost", "someone else is publishing it")
    key = DeliveryKey.of(record)
    logger.append_keys(delivery_id=key.id, post_id=key.post_id)
    try:
        if ready is None or ready.adapter is None:  # not read ahead, or the channel was not active then
            ready = _ready(record, look_only=look_only)
        channel, adapter = ready.channel, ready.adapter
        request = replace(ready.request, look_first=takeover or int(record.attempt) > 1)
        if adapter is None:
            reason = channel.status_reason or "the network refused its credentials"
            return _fail(record, f"the channel needs to be reconnected ({reason})", by, Failure.CREDENTIALS)
        if threads.has_steps(record):  # part by part, each once (parley.publishing.thread_steps)
            published = thread_steps.first_part(record, adapter, request, look_only=look_only)
            if published is not None:
                thread_steps.rest(record, adapter, published, look_only=look_only)
        else:
            published = adapter.find(request) if look_only else adapter.publish(request)
    except LostRace:
        logger.warning("lease lost while the thread went out; the taker resumes it")
        return Outcome("lost", "lease expired during the thread")
    except thread_steps.Stopped as stop:
        return _fail(record, f"cancelled while the thread went out (by {stop.by})", by, Failure.CANCELLED)
    except thread_steps.NotFound as exc:
        return _fail(record, f"gave up after {int(record.attempt) - 1} attempts: {exc}", by, Failure.GAVE_UP)
    except ChannelRecord.DoesNotExist:
        return _fail(record, "the channel was disconnected", by, Failure.CHANNEL_GONE)
    except TransientNetworkError as exc:
        return _retry_or_fail(record, arming, exc, by)
    except InvalidCredential as exc:
        if channels.mark_needs_reauth(key.workspace_id, key.channel_id, exc.reason):
            metrics.add_metric(name="ChannelNeedsReauth", unit=MetricUnit.Count, value=1)
            logger.error("channel needs to be reconnected", extra={"channel_id": key.channel_id})
        return _fail(record, f"the account's credentials no longer work: {exc.reason}", by, Failure.CREDENTIALS)
    except PermanentNetworkError as exc:
        return _fail(record, exc.reason, by, Failure.REFUSED)
    except Exception as exc:
        return _unexpected(record, arming, exc, by)
    if published is None:
        return _fail(
            record,
            f"gave up after {int(record.attempt) - 1} attempts: {record.last_error or 'no answer'}",
            by,
            Failure.GAVE_UP,
        )

    if problem := boundary.unkeepable(published):
        # The network may hold the post: retried, so the next attempt looks first; failed once they run out.
        odd = TransientNetworkError(f"{record.network} answered with a post parley cannot record ({problem})")
        return _retry_or_fail(record, arming, odd, by)
    try:
        record = deliveries.mark_published(
            record,
            remote_id=published.remote_id,
            url=published.url,
            published_at=published.acknowledged_at,
            by=by,
        )
    except LostRace:
        # Our lease ran out while the network was answering; whoever took over looks first and finds it.
        logger.warning("lease lost after publishing; the taker will find the post")
        return Outcome("lost", "lease expired during the call")
    webhook_events.delivery_ended(record)
    health.note(key.workspace_id, key.channel_id, published_at=published.acknowledged_at)
    _media_done(record)
    _start_watching(record)
    lag_ms = (published.acknowledged_at - record.publish_at).total_seconds() * 1000
    metrics.add_metric(name="Published", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="PublishLag", unit=MetricUnit.Milliseconds, value=lag_ms)
    logger.info("published", extra={"url": published.url, "lag_ms": round(lag_ms), "found": published.already_there})
    _next_occurrence(record, arming)  # last: the post is out and told whatever happens here
    return Outcome(State.PUBLISHED.value, published.url)


def _start_watching(record: DeliveryRecord) -> None:
    """Listening starts here (docs/listening.md). The post is out whatever happens: a failure to watch
    is logged and counted, never turned into a failed publish."""
    from parley.listening import watches
    from parley.scheduling.wiring import polls

    if record.network not in LISTENED_NETWORKS:
        return  # replies and counters are read on these networks only
    try:
        watches.watch(record, polls(), timedelta(seconds=WATCH_WINDOW_SECONDS))
    except Exception:
        logger.exception("could not start watching the published delivery")
        metrics.add_metric(name="WatchFailed", unit=MetricUnit.Count, value=1)


def _next_occurrence(record: DeliveryRecord, arming: Arming) -> None:
    """An occurrence of a repeating post ended: the next one is made and armed (parley.publishing.series), last,
    after everything else the end does. A failure here (a refusal stops the series instead: never one of these)
    is logged, counted and raised: the delivery's end stands, and the message comes back, whose repeat finds the
    delivery ended and tries again (so does the reconciler's settling)."""
    from parley.publishing import series

    if record.state not in FINAL or series.of_post(record.post_id) is None:
        return
    try:
        series.occurrence_ended(record.workspace_id, record.post_id, arming)
    except Exception:
        logger.exception("could not make the series' next occurrence; the message comes back")
        metrics.add_metric(name="SeriesNextFailed", unit=MetricUnit.Count, value=1)
        raise


def _media_done(record: DeliveryRecord) -> None:
    """The delivery ended: its images may be retired (parley.media.post_media; never raises)."""
    if record.media_ids:
        from parley.media import post_media

        post_media.delivery_ended(record)


def _unexpected(record: DeliveryRecord, arming: Arming, exc: Exception, by: str) -> Outcome:
    """Not a network error: a bug of ours, or an answer no adapter foresaw (adapters turn the ones they
    can into network errors: parley.networks.boundary). It may have come after the network took the post,
    so it is settled as a transient error: retried (the retry looks first, so the post is never made
    twice) until the attempts run out, then failed with the reason. Never left `publishing`."""
    logger.exception("publish step hit an unexpected error")
    metrics.add_metric(name="PublishUnexpectedError", unit=MetricUnit.Count, value=1)
    reason = f"parley hit an unexpected error while publishing ({type(exc).__name__})"
    return _retry_or_fail(record, arming, TransientNetworkError(reason), by)


def _retry_or_fail(record: DeliveryRecord, arming: Arming, exc: NetworkError, by: str) -> Outcome:
    attempts = int(record.attempt)
    if attempts >= MAX_ATTEMPTS:
        return _fail(record, f"gave up after {attempts} attempts: {exc.reason}", by, Failure.GAVE_UP)
    retry_at = getattr(exc, "retry_at", None) or clock.now() + backoff(attempts)
    try:
        deliveries.mark_retrying(record, next_attempt_at=retry_at, error=exc.reason, by=by)
    except LostRace:
        return Outcome("lost", "lease expired during the call")
    arming.arm(PublishMessage(DeliveryKey.of(record), retry_at), attempt=attempts)
    metrics.add_metric(name="PublishRetried", unit=MetricUnit.Count, value=1)
    logger.warning("publish will be retried", extra={"reason": exc.reason, "retry_at": retry_at.isoformat()})
    return Outcome(State.RETRYING.value, exc.reason)


class Failure(StrEnum):
    """Why a delivery failed, as a bounded metric dimension (the reason itself is free text)."""

    REFUSED = "refused"  # the network refused the post
    CREDENTIALS = "credentials"  # the channel must be reconnected
    GAVE_UP = "gave_up"  # transient errors until the attempts ran out
    CHANNEL_GONE = "channel_gone"
    CANCELLED = "cancelled"  # a thread's cancel came after its first part was out (it ends partial)


def _fail(record: DeliveryRecord, reason: str, by: str, failure: Failure) -> Outcome:
    if record.parts_out:  # a thread with parts out: never `failed` (they are on the network)
        return _partial(record, reason, by)
    try:
        record = deliveries.mark_failed(record, reason=reason, by=by)
    except LostRace:
        return Outcome("lost", "someone else settled it")
    webhook_events.delivery_ended(record)
    _media_done(record)
    metrics.add_metric(name="PublishFailed", unit=MetricUnit.Count, value=1)
    with single_metric(
        name="PublishFailed",
        unit=MetricUnit.Count,
        value=1,
        namespace=METRICS_NAMESPACE,
        default_dimensions={"service": APP, "reason": failure.value},
    ):
        pass
    logger.error("publish failed", extra={"reason": reason})
    from parley.scheduling.wiring import arming

    _next_occurrence(record, arming())  # last, as after a publish
    return Outcome(State.FAILED.value, reason)


def _partial(record: DeliveryRecord, reason: str, by: str) -> Outcome:
    """A thread that will not go out whole: `partial`, with the parts out and why the next did not."""
    try:
        record = deliveries.mark_partial(record, reason=threads.partial_reason(record, reason), by=by)
    except LostRace:
        return Outcome("lost", "someone else settled it")
    webhook_events.delivery_ended(record)
    _media_done(record)
    _start_watching(record)  # its first part is out: replies to it reach the inbox
    metrics.add_metric(name="PublishPartial", unit=MetricUnit.Count, value=1)
    logger.error("thread ended partial", extra={"reason": record.failure_reason})
    from parley.scheduling.wiring import arming

    _next_occurrence(record, arming())  # a series goes on after a partial thread, as after a failure
    return Outcome(State.PARTIAL.value, str(record.failure_reason))


def settle(key: DeliveryKey, arming: Arming) -> Outcome:
    """The reconciler: something outside our code failed around this delivery (a crash, a timeout,
    an event Scheduler could not hand over). Move it on: re-arm, take over and look, or fail."""
    record = deliveries.get(key)
    if record is None:
        return Outcome("missing", "no such delivery")
    now = clock.now()
    if record.state in FINAL or record.state in (State.HELD.value, State.DRAFT.value):
        _next_occurrence(record, arming)  # a crash between the end and the series' next occurrence
        return Outcome(record.state, "already settled")
    if record.state in (State.SCHEDULED.value, State.RETRYING.value, State.PENDING_APPROVAL.value):
        arming.arm(PublishMessage(key, record.due_at), attempt=int(record.attempt or 0))
        return Outcome(record.state, "re-armed")
    if not deliveries.lease_expired(record, now):
        raise LeaseBusy(key.id, f"is still leased until {record.lease_until}")
    # Out of attempts: one last look on the network; a published post must never end `failed`.
    look_only = int(record.attempt) >= MAX_ATTEMPTS
    return attempt(record, arming, due_at=record.due_at, by="reconciler", look_only=look_only)
