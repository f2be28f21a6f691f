"""One poll run for one channel: take what is due, read it on the network, file what is new in the
inbox, re-arm the channel's poll. Work is bounded by what is due (POLL_MAX_WATCHES_PER_RUN)."""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_lambda_powertools.metrics import MetricUnit

from parley.connect import health, kept_adapters
from parley.listening import alerts, inbox, own_voice, sentiment, watches
from parley.listening import seen as seen_mod
from parley.listening.listeners_by_network import listener_for
from parley.listening.seen import Seen
from parley.metrics import snapshots as engagement_snapshots
from parley.networks.base import InvalidCredential, Listener, NetworkError, TransientNetworkError
from parley.scheduling.polls import PollScheduler
from parley.scheduling.wiring import arming
from parley.shared import clock
from parley.shared.observability import logger, metrics
from parley.store import ChannelRecord, InboxRecord, PutError, WatchRecord
from parley.webhooks.events import EventType, emit

MENTIONS_LISTENER = "mentions"


@dataclass
class PollResult:
    polled: int = 0
    new_items: list[str] = field(default_factory=list)
    network_calls: int = 0
    next_poll: str | None = None


def run(workspace_id: str, channel_id: str, polls: PollScheduler) -> PollResult:
    now = clock.now()
    result = PollResult()
    claimed = [w for w in watches.due(workspace_id, channel_id, now) if watches.claim(w, now)]
    if claimed:
        try:
            channel = ChannelRecord.get(workspace_id, channel_id)
        except ChannelRecord.DoesNotExist:
            channel = None
            kept_adapters.forget(workspace_id, channel_id)
        if channel is not None:
            _read(channel, claimed, result)
            health.note_polled(channel, now)  # at most once an hour
    result.polled = len(claimed)
    if result.new_items:
        try:
            alerts.check(workspace_id, now, arming())
        except Exception:  # an alert that cannot be raised must not stop the channel's listening
            logger.exception("could not check for alerts")
    armed = watches.rearm(workspace_id, channel_id, polls)
    result.next_poll = armed.isoformat() if armed else None
    # The network calls are a field of the handler's "poll done" line, not a metric: a series that gets
    # data every hour costs more than the polls it describes (docs/deploy.md, "What 1,000 posts cost").
    return result


def _read(channel: ChannelRecord, claimed: list[WatchRecord], result: PollResult) -> None:
    # Kept between polls while the channel record allows it: a warm poll reads nothing from SSM.
    listener = listener_for(channel.network, kept_adapters.adapter_for_channel(channel))
    own = own_voice.of_workspace(channel)  # every account of the workspace on this network, read once a run
    for watch in claimed:
        if watch.kind is not None:
            _read_listener(channel, listener, watch, result, own)
            continue
        try:
            conversation = listener.read_conversation(watch.remote_id, channel.remote_id)
        except NetworkError as exc:
            # The next poll of this watch is already set (claim moved it): it is looked at again then.
            logger.warning("could not read a thread", extra={"post_id": watch.post_id, "reason": exc.reason})
            _refused(channel, exc)
            result.network_calls += 1
            if _rate_limited(exc):
                return  # the network said wait: no more calls this run (the next run comes at its cadence)
            continue
        result.network_calls += conversation.calls if conversation is not None else 1
        if conversation is None:
            continue
        watches.save_counters(watch, conversation.counters)
        engagement_snapshots.record(watch, channel.network, conversation.counters)
        for found in conversation.replies:
            _file(channel, found, watch.post_id, result, own)
    try:
        _read_mentions(channel, listener, result, own)
    except NetworkError as exc:
        logger.warning("could not read mentions", extra={"reason": exc.reason})
        _refused(channel, exc)


def _refused(channel: ChannelRecord, exc: NetworkError) -> None:
    """The network refused the credential (the adapter's own renewal did not help): the next poll reads the
    credential and the session from SSM again (a reconnect may have replaced them)."""
    if isinstance(exc, InvalidCredential):
        kept_adapters.forget(channel.workspace_id, channel.channel_id)


def _rate_limited(exc: NetworkError) -> bool:
    return isinstance(exc, TransientNetworkError) and exc.retry_at is not None


def _read_listener(
    channel: ChannelRecord, listener: Listener, watch: WatchRecord, result: PollResult, own: own_voice.OwnAccounts
) -> None:
    """A hashtag or keyword: the newest matches down to the last one taken. (A mentions listener only
    keeps the channel polled: every run reads the mentions.)"""
    if watch.kind == MENTIONS_LISTENER or not watch.search_query:
        return
    try:
        found = listener.search(watch.search_query, watch.search_seen, channel.remote_id)
    except NetworkError as exc:
        result.network_calls += 1
        logger.warning("could not search", extra={"listener": watch.watch_id, "reason": exc.reason})
        _refused(channel, exc)
        return
    result.network_calls += found.calls
    for match in found.items:
        _file(channel, match, None, result, own, listener_id=watch.watch_id)
    if found.newest:
        watch.update(actions=[WatchRecord.search_seen.set(found.newest)], condition=WatchRecord.watch_id.exists())


def _read_mentions(channel: ChannelRecord, listener: Listener, result: PollResult, own: own_voice.OwnAccounts) -> None:
    state = watches.poll_state(channel.workspace_id, channel.channel_id)
    since = state.mentions_seen if state is not None else None
    found = listener.read_mentions(since)
    result.network_calls += found.calls
    for mention in found.items:
        _file(channel, mention, None, result, own)
    if found.newest:
        watches.save_mentions_seen(channel.workspace_id, channel.channel_id, found.newest)


def _file(
    channel: ChannelRecord,
    found: Seen,
    post_id: str | None,
    result: PollResult,
    own: own_voice.OwnAccounts,
    listener_id: str | None = None,
) -> None:
    """A conditional put keyed by the network id: a reply seen again (next poll, or as a mention too)
    is not filed twice. What any channel of the workspace wrote is not filed at all (own_voice.py)."""
    if own.wrote(found):
        return
    now = clock.now()
    item_id = seen_mod.item_id(channel.network, found.uri)
    label, score = sentiment.score(found.text)
    record = InboxRecord(
        channel.workspace_id,
        item_id,
        arrival_key=f"{watches.stamp(now)}#{item_id}",
        kind=found.kind,
        network=channel.network,
        channel_id=channel.channel_id,
        remote_id=found.uri,
        remote_cid=found.cid,
        root_id=found.root_uri,
        root_cid=found.root_cid,
        parent_id=found.parent_uri,
        post_id=post_id,
        listener_id=listener_id,
        author_handle=found.author_handle,
        author_id=found.author_id,
        text=found.text,
        url=found.url,
        created_at=found.created_at,
        arrived_at=now,
        sentiment=label,
        sentiment_score=score,
    )
    try:
        record.save(condition=InboxRecord.item_id.does_not_exist())
    except PutError as exc:
        if watches.conditional_failed(exc):
            return
        raise
    result.new_items.append(item_id)
    emit(channel.workspace_id, EventType.INBOX_ITEM, item_id, inbox.view(record))
    alerts.count(
        channel.workspace_id, now, mention=found.kind == seen_mod.MENTION, negative=label == sentiment.NEGATIVE
    )
    collected = {seen_mod.REPLY: "RepliesCollected", seen_mod.MENTION: "MentionsCollected"}
    metrics.add_metric(name=collected.get(found.kind, "ListenerMatches"), unit=MetricUnit.Count, value=1)
    latency = (now - found.created_at).total_seconds()
    metrics.add_metric(name="InboxLatency", unit=MetricUnit.Seconds, value=max(latency, 0))
    if label == sentiment.NEGATIVE:
        metrics.add_metric(name="NegativeCollected", unit=MetricUnit.Count, value=1)
