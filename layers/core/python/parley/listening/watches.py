"""Which published deliveries a channel watches, and the time its one poll schedule is armed for.

The channel's `#poll` item holds `armed_for`. Every writer moves it with a conditional write, and only
then mirrors it into Scheduler, so racing writers (a publish registering a watch while a poll run
re-arms) have one winner per write; docs/listening.md walks through the cases.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from parley.listening import cadence
from parley.scheduling.polls import PollScheduler
from parley.shared import clock
from parley.shared.names import POLL_MAX_WATCHES_PER_RUN
from parley.store import DeleteError, DeliveryRecord, PutError, UpdateError, WatchRecord

POLL_ITEM = "#poll"
_CONDITION_FAILED = "ConditionalCheckFailedException"


def channel_key(workspace_id: str, channel_id: str) -> str:
    return f"{workspace_id}#{channel_id}"


def stamp(at: datetime) -> str:
    """Fixed-width UTC time, so the strings sort as the times do."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def due_key(at: datetime, post_id: str) -> str:
    return f"{stamp(at)}#{post_id}"


def due_time(key: str) -> datetime:
    return datetime.strptime(key.split("#", 1)[0], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def conditional_failed(exc: PutError | UpdateError | DeleteError) -> bool:
    return getattr(exc, "cause_response_code", None) == _CONDITION_FAILED


def watch(record: DeliveryRecord, polls: PollScheduler, window: timedelta) -> bool:
    """Start watching a delivery that was just published (a second call for it changes nothing)."""
    if not record.remote_id or record.published_at is None:
        return False
    first = record.published_at + cadence.interval(timedelta(0))
    item = WatchRecord(
        channel_key(record.workspace_id, record.channel_id),
        record.post_id,
        workspace_id=record.workspace_id,
        channel_id=record.channel_id,
        post_id=record.post_id,
        remote_id=record.remote_id,
        published_at=record.published_at,
        watch_until=record.published_at + window,
        due_key=due_key(first, record.post_id),
    )
    try:
        item.save(condition=WatchRecord.watch_id.does_not_exist())
    except PutError as exc:
        if conditional_failed(exc):
            return False
        raise
    arm_by(record.workspace_id, record.channel_id, first, polls)
    return True


def arm_by(workspace_id: str, channel_id: str, at: datetime, polls: PollScheduler) -> None:
    """Make sure the channel's poll fires no later than `at`: move `armed_for` earlier (or set it when
    it is missing or already past, i.e. a run is under way or failed); never later."""
    key = channel_key(workspace_id, channel_id)
    now = clock.now()
    condition = WatchRecord.armed_for.does_not_exist() | (WatchRecord.armed_for > at) | (WatchRecord.armed_for <= now)
    try:
        WatchRecord(key, POLL_ITEM).update(
            actions=[
                WatchRecord.armed_for.set(at),
                WatchRecord.workspace_id.set(workspace_id),
                WatchRecord.channel_id.set(channel_id),
            ],
            condition=condition,
        )
    except UpdateError as exc:
        if conditional_failed(exc):
            return  # already armed for a time no later than ours, still ahead
        raise
    mirror(workspace_id, channel_id, at, polls)


def mirror(workspace_id: str, channel_id: str, at: datetime, polls: PollScheduler) -> None:
    """Put the schedule at `at`, then check that no writer moved `armed_for` meanwhile (the last one
    to check puts the schedule where the item says)."""
    polls.upsert(workspace_id, channel_id, at)
    state = poll_state(workspace_id, channel_id)
    if state is not None and state.armed_for is not None and state.armed_for != at and state.armed_for > clock.now():
        polls.upsert(workspace_id, channel_id, state.armed_for)


def retry_time() -> datetime:
    """When a channel whose poll run failed is tried again."""
    return clock.now() + timedelta(minutes=5)


def poll_state(workspace_id: str, channel_id: str) -> WatchRecord | None:
    try:
        return WatchRecord.get(channel_key(workspace_id, channel_id), POLL_ITEM, consistent_read=True)
    except WatchRecord.DoesNotExist:
        return None


def due(workspace_id: str, channel_id: str, now: datetime) -> Iterator[WatchRecord]:
    """The watches due by `now`, oldest due first, at most one run's worth (a Query, never a scan)."""
    return WatchRecord.by_due.query(
        channel_key(workspace_id, channel_id),
        WatchRecord.due_key <= f"{stamp(now)}#~",
        limit=POLL_MAX_WATCHES_PER_RUN,
    )


def next_due(workspace_id: str, channel_id: str) -> datetime | None:
    for item in WatchRecord.by_due.query(channel_key(workspace_id, channel_id), limit=1):
        return due_time(str(item.due_key))
    return None


def claim(item: WatchRecord, now: datetime) -> bool:
    """Take this due watch for this run by moving it to its next time (or ending it): a duplicate run
    that read the same item loses the conditional write and skips it, so nothing is polled twice."""
    following: datetime | None
    if item.kind is not None:  # a listener: the same pace while it exists
        following = now + cadence.LISTENER_EVERY
    else:
        assert item.published_at is not None and item.watch_until is not None
        following = cadence.next_poll(item.published_at, now, item.watch_until)
    seen = WatchRecord.due_key == item.due_key
    try:
        if following is None:
            item.delete(condition=seen)
        else:
            item.update(
                actions=[WatchRecord.due_key.set(due_key(following, item.watch_id)), WatchRecord.polls.add(1)],
                condition=seen,
            )
    except (UpdateError, DeleteError) as exc:
        if conditional_failed(exc):
            return False
        raise
    return True


def save_counters(watch: WatchRecord, counters: dict[str, Any]) -> bool:
    """The post's counters at this poll, on its watch item; unchanged ones (most polls of a quiet post) are
    not written again: the item already says so. True when it wrote."""
    stored = watch.counters.as_dict() if watch.counters is not None else None
    if stored == counters:
        return False
    watch.update(actions=[WatchRecord.counters.set(counters)])
    return True


def rearm(workspace_id: str, channel_id: str, polls: PollScheduler) -> datetime | None:
    """After a run: arm the channel's poll for its earliest due watch, or remove the `#poll` item when
    nothing is watched. Conditional on the `armed_for` read here; a lost write is read again."""
    key = channel_key(workspace_id, channel_id)
    for _ in range(10):
        now = clock.now()
        state = poll_state(workspace_id, channel_id)
        current = state.armed_for if state is not None else None
        wanted = next_due(workspace_id, channel_id)
        if current is not None and current > now and (wanted is None or current <= wanted):
            polls.upsert(workspace_id, channel_id, current)  # someone armed it meanwhile: make sure it stands
            return current
        same = WatchRecord.armed_for == current if current is not None else WatchRecord.armed_for.does_not_exist()
        try:
            if wanted is None:
                # Keep the item (its mentions cursor), without a time: no schedule while nothing is watched.
                WatchRecord(key, POLL_ITEM).update(actions=[WatchRecord.armed_for.remove()], condition=same)
                polls.delete(channel_id)
                return None
            WatchRecord(key, POLL_ITEM).update(
                actions=[
                    WatchRecord.armed_for.set(wanted),
                    WatchRecord.workspace_id.set(workspace_id),
                    WatchRecord.channel_id.set(channel_id),
                ],
                condition=same,
            )
        except (UpdateError, DeleteError) as exc:
            if conditional_failed(exc):
                continue
            raise
        mirror(workspace_id, channel_id, wanted, polls)
        return wanted
    raise RuntimeError("could not re-arm the channel's poll: too many concurrent writers")


def save_mentions_seen(workspace_id: str, channel_id: str, newest: str) -> None:
    key = channel_key(workspace_id, channel_id)
    try:
        WatchRecord(key, POLL_ITEM).update(
            actions=[WatchRecord.mentions_seen.set(newest)],
            condition=WatchRecord.mentions_seen.does_not_exist() | (WatchRecord.mentions_seen < newest),
        )
    except UpdateError as exc:
        if not conditional_failed(exc):
            raise


def forget_channel(workspace_id: str, channel_id: str) -> None:
    """Every watch and listener of a channel that is disconnected, and its poll item: a poll that may still
    fire finds nothing to read and arms nothing more."""
    with WatchRecord.batch_write() as batch:
        for item in WatchRecord.query(channel_key(workspace_id, channel_id)):
            batch.delete(item)


def channel_listening(workspace_id: str, channel_id: str) -> dict[str, Any]:
    """What a channel's listening is doing: the posts and listeners watched, and when the next poll is armed."""
    posts = listeners = 0
    armed_for: datetime | None = None
    for item in WatchRecord.query(channel_key(workspace_id, channel_id)):
        if item.watch_id == POLL_ITEM:
            armed_for = item.armed_for
        elif item.kind is not None:
            listeners += 1
        else:
            posts += 1
    return {
        "watched_posts": posts,
        "listeners": listeners,
        "next_poll": armed_for.isoformat() if armed_for else None,
    }
