"""A channel leaves the workspace: what is still to go out on it is refused or cancelled, its listening
stops, its credentials are deleted, and what it published stays readable (posts, deliveries, metrics).

Order matters. The deliveries come first, so that a refusal (409) changes nothing; then the watches, so that
the next poll finds nothing to read and arms no further schedule; then the secrets; the channel last, so
that a failure half-way can be retried by the same DELETE.

A post queued on the channel at the very instant it is disconnected may slip past the query; it then ends
`failed` ("the channel is gone") at its time, never silently.
"""

from __future__ import annotations

from typing import Any

from parley.connect import channels, credentials
from parley.links import short_links
from parley.listening import watches
from parley.media import post_media
from parley.publishing import deliveries, webhook_events
from parley.publishing.deliveries import State, state_key
from parley.scheduling import Arming
from parley.shared.errors import Conflict, LostRace
from parley.store import DeliveryRecord
from parley.store.keys import DeliveryKey
from parley.team.members import Principal, Role

# What a disconnect can cancel (as a cancel does), what it ends as failed (a retry waiting: it would find
# the channel gone), and what it must wait for: an attempt under way.
CANCELLABLE = (State.SCHEDULED, State.HELD, State.PENDING_APPROVAL, State.DRAFT)  # drafts: docs/approval.md
WAITING_TO_RETRY = (State.RETRYING,)
UNDER_WAY = (State.PUBLISHING,)
DISCONNECTED = "the channel was disconnected"


def _on_channel(workspace_id: str, channel_id: str, states: tuple[State, ...]) -> list[DeliveryRecord]:
    # A Query per state on the workspace's `by_state` index, never a scan; then this channel's.
    return [
        record
        for state in states
        for record in DeliveryRecord.by_state.query(state_key(workspace_id, state))
        if record.channel_id == channel_id
    ]


def _brief(record: DeliveryRecord) -> dict[str, str | None]:
    at = record.publish_at.isoformat() if record.publish_at else None  # a draft may have no time
    return {"post_id": record.post_id, "state": record.state, "publish_at": at}


def disconnect(principal: Principal, arming: Arming, channel_id: str, *, cancel_scheduled: bool) -> dict[str, Any]:
    principal.require(Role.ADMIN)
    channel = channels.get_channel(principal.workspace_id, channel_id)  # 404: missing or another workspace's
    under_way = _on_channel(principal.workspace_id, channel_id, UNDER_WAY)
    if under_way:
        raise Conflict(
            "a post is going out on this channel right now: disconnect it once the attempt has ended",
            {"deliveries": [_brief(r) for r in under_way]},
        )
    pending = _on_channel(principal.workspace_id, channel_id, CANCELLABLE + WAITING_TO_RETRY)
    if pending and not cancel_scheduled:
        raise Conflict(
            f"{len(pending)} post(s) are still to go out on this channel: cancel them, or disconnect with "
            "?cancel_scheduled=true to cancel them with it",
            {"deliveries": [_brief(r) for r in pending]},
        )
    cancelled: list[str] = []
    failed: list[str] = []
    for record in pending:
        retrying = record.state == State.RETRYING.value
        try:
            if retrying:
                record = deliveries.mark_failed(record, reason=DISCONNECTED, by=principal.member_id)
            else:
                deliveries.cancel(record, by=principal.member_id)
        except LostRace:
            raise Conflict(
                "a post on this channel started going out meanwhile: try again once it has ended",
                {"deliveries": [_brief(deliveries.get(DeliveryKey.of(record)) or record)]},
            ) from None
        post_media.delivery_ended(record)
        # a schedule that is gone already is fine; a retry's is named by its attempt
        arming.cancel(DeliveryKey.of(record), attempt=int(record.attempt or 0) if retrying else 0)
        if retrying:
            webhook_events.delivery_ended(record)
        short_links.retire(principal.workspace_id, record.post_id, channel_id)
        (failed if retrying else cancelled).append(record.post_id)
    watches.forget_channel(principal.workspace_id, channel_id)
    credentials.delete_credential(channel.credential_parameter)  # and its login session
    channel.delete()
    _series_go_on(principal, arming, cancelled + failed)
    return {"id": channel_id, "disconnected": True, "cancelled_posts": cancelled, "failed_posts": failed}


def _series_go_on(principal: Principal, arming: Arming, post_ids: list[str]) -> None:
    """Occurrences of repeating posts that ended here move their series on, once the channel is gone: the next
    occurrence cannot be queued on it, so the series stops, saying why (docs/recurring.md)."""
    from parley.publishing import series

    for post_id in dict.fromkeys(post_ids):
        series.occurrence_ended(principal.workspace_id, post_id, arming)
