"""Where a two-step network's intent is kept: the container Instagram or Threads made for a delivery,
recorded on the delivery (`remote_intent`) before it is published, so that a retry, a takeover or the
reconciler reuses it instead of making another (parley.networks.meta_containers).

On the delivery rather than in the channel's session parameter: that one holds the tokens, which the
connect module's upkeep rewrites whole; and the delivery is what the lease guards, so only the lease holder
writes it.
"""

from __future__ import annotations

from parley.store import DeliveryRecord


class DeliveryIntents:
    """`IntentStore` over the deliveries table, keyed by the delivery id (`<post_id>.<channel_id>`)."""

    def load(self, key: str) -> str | None:
        record = _record(key)
        return str(record.remote_intent) if record is not None and record.remote_intent else None

    def save(self, key: str, container_id: str) -> None:
        record = _record(key)
        if record is not None:
            record.update(actions=[DeliveryRecord.remote_intent.set(container_id)])


def _record(key: str) -> DeliveryRecord | None:
    post_id, _, channel_id = key.partition(".")
    if not post_id or not channel_id:
        return None
    try:
        return DeliveryRecord.get(post_id, channel_id)
    except DeliveryRecord.DoesNotExist:
        return None
