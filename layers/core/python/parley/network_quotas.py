"""A network's posting limit asked from the network itself, for the queue-time quota (parley.quotas).

Instagram (`GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config`) and Threads
(`GET /{threads-user-id}/threads_publishing_limit?fields=quota_usage,config`) say the limit of the account
(`config.quota_total`, per `config.quota_duration` seconds). When the network cannot be asked (unreachable,
throttled, a token it refuses), None: the caller uses the documented default. The answer is kept for a
few minutes per channel, so a burst of queued posts asks once.

Only the total is used: `quota_usage` counts what is already out in the last 24 hours, which parley counts
itself from its deliveries (posts made outside parley are not seen; the network refuses them at publish
time, and the delivery is deferred).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from parley import clock, credentials
from parley.networks.registry import adapter_for
from parley.observability import logger
from parley.store import ChannelRecord

KEEP = timedelta(minutes=5)
_asked: dict[str, tuple[datetime, int]] = {}


def asked_limit(channel: ChannelRecord) -> int | None:
    """The channel's posts per 24 hours as its network says them, or None."""
    key = f"{channel.workspace_id}/{channel.channel_id}"
    now = clock.now()
    kept = _asked.get(key)
    if kept is not None and now - kept[0] < KEEP:
        return kept[1]
    try:
        credential = credentials.load_credential(channel.credential_parameter)
        sessions = credentials.SsmSessionStore(credentials.session_parameter(channel.credential_parameter))
        adapter = adapter_for(str(channel.network), credential, sessions)
        reader = getattr(adapter, "publishing_limit", None)
        if reader is None:
            return None
        total = int(reader().total)
    except Exception as exc:  # never a 5xx for a limit we can default (NetworkError, SSM, ...)
        logger.warning("could not ask the network for its publishing limit", extra={"reason": str(exc)})
        return None
    _asked[key] = (now, total)
    return total


def forget() -> None:
    """Tests: ask again."""
    _asked.clear()
