"""Keeping channels alive (DESIGN.md, flow 5): an X access token lives about two hours, so each X channel
with a refresh token has one schedule (`parley.scheduling.tokens`) a margin before its token expires. When
it fires, the token is renewed (X rotates the refresh token: the new pair is saved at once) and the
schedule is armed again for the new expiry.

- Someone else renewed it meanwhile (the publish path renews a token that is about to expire by itself):
  the stored session changed (its SSM version), so theirs is kept and the schedule follows its expiry.
- X refuses the refresh token (revoked, expired, already used): the channel moves to `needs_reauth`
  (ChannelNeedsReauth metric and alarm; its due deliveries fail with that reason) and nothing is re-armed.
- Anything transient (timeout, 5xx, 429 with its reset): armed again soon; a channel is never called dead
  for it. X refusing parley's own app credentials is an operator's problem, not the channel's: armed again
  later, logged as an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit

from parley import channels, clock, credentials, x_app
from parley.channels import ACTIVE
from parley.config import Settings
from parley.names import TOKEN_REFRESH_MARGIN_SECONDS, TOKEN_REFRESH_RETRY_SECONDS
from parley.networks.base import InvalidCredential, NetworkError, TransientNetworkError
from parley.networks.x import XTokens, refresh_tokens
from parley.observability import logger, metrics
from parley.scheduling.tokens import TokenScheduler
from parley.store import ChannelRecord
from parley.timeparse import network_time

MARGIN = timedelta(seconds=TOKEN_REFRESH_MARGIN_SECONDS)
RETRY = timedelta(seconds=TOKEN_REFRESH_RETRY_SECONDS)
APP_RETRY = timedelta(minutes=15)  # parley's app credentials refused or missing: an operator must act
EXPIRING_NETWORKS = ("x", "linkedin", "instagram", "threads")  # Facebook Page tokens do not expire


class Action(StrEnum):
    REFRESH = "refresh"
    ARM = "arm"  # nothing to do now: arm the schedule for `at`
    STOP = "stop"  # nothing to keep alive (no refresh token), nothing armed
    NEEDS_REAUTH = "needs_reauth"


@dataclass(frozen=True)
class Plan:
    action: Action
    at: datetime | None = None
    reason: str = ""


def refresh_time(expires_at: datetime) -> datetime:
    return expires_at - MARGIN


def plan(session: dict[str, str] | None, now: datetime) -> Plan:
    """What a firing refresh schedule does with the stored session (pure)."""
    if not session or not session.get("refresh_token"):
        return Plan(Action.STOP, reason="no refresh token (offline.access not granted): reconnect when it expires")
    expires_at = network_time(session.get("expires_at"), naive_is_utc=True)
    if expires_at is None:
        return Plan(Action.REFRESH, reason="expiry unknown")
    if now < refresh_time(expires_at):
        return Plan(Action.ARM, refresh_time(expires_at), reason="still fresh (renewed elsewhere)")
    return Plan(Action.REFRESH, reason="expires soon")


def after_failure(error: NetworkError, now: datetime) -> Plan:
    """What a failed refresh leads to (pure): only X refusing the refresh token itself is a dead channel."""
    if isinstance(error, InvalidCredential):
        return Plan(Action.NEEDS_REAUTH, reason=error.reason)
    if isinstance(error, TransientNetworkError):
        retry_at = error.retry_at if error.retry_at is not None and error.retry_at > now else now + RETRY
        return Plan(Action.ARM, retry_at, reason=error.reason)
    return Plan(Action.ARM, now + APP_RETRY, reason=error.reason)


def store_tokens(record: ChannelRecord, tokens: XTokens, scheduler: TokenScheduler) -> datetime | None:
    """Keep a channel's new tokens (after connecting) and arm its refresh; the time armed, if any."""
    session = credentials.SsmSessionStore(credentials.session_parameter(record.credential_parameter))
    session.save(tokens.as_session())
    if tokens.refresh_token and tokens.expires_at is not None:
        at = refresh_time(tokens.expires_at)
        scheduler.upsert(record.workspace_id, record.channel_id, at)
        return at
    scheduler.delete(record.channel_id)  # a reconnect without offline.access: nothing to renew
    return None


@dataclass(frozen=True)
class Result:
    outcome: str
    next_refresh: datetime | None = None
    detail: str = ""


def refresh_channel(workspace_id: str, channel_id: str, settings: Settings, scheduler: TokenScheduler) -> Result:
    """The refresh schedule of a channel fired."""
    now = clock.now()
    try:
        channel = ChannelRecord.get(workspace_id, channel_id, consistent_read=True)
    except ChannelRecord.DoesNotExist:
        return Result("gone", detail="the channel was disconnected")
    if channel.network not in EXPIRING_NETWORKS or channel.status != ACTIVE:
        return Result("stopped", detail=f"channel is {channel.status}: nothing to keep alive")
    if channel.network != "x":  # LinkedIn, Instagram, Threads: parley.oauth.upkeep
        from parley.oauth import upkeep
        from parley.oauth.providers import PROVIDERS

        return upkeep.refresh_channel(PROVIDERS[channel.network], channel, settings, scheduler, now)
    app = x_app.load_app(settings.parameter_prefix)
    if app is None:
        logger.error("the X app is not configured: tokens cannot be renewed", extra={"fix": x_app.SET_APP_COMMAND})
        return _arm(scheduler, channel, now + APP_RETRY, "retry", "the X app is not configured")

    name = credentials.session_parameter(channel.credential_parameter)
    session, version = credentials.load_session_version(name)
    decided = plan(session, now)
    if decided.action is Action.STOP:
        return Result("stopped", detail=decided.reason)
    if decided.action is Action.ARM:
        return _arm(scheduler, channel, decided.at, "fresh", decided.reason)
    assert session is not None

    try:
        tokens = refresh_tokens(app.client, session["refresh_token"], clock=clock.get_clock())
    except NetworkError as exc:
        latest, latest_version = credentials.load_session_version(name)
        if latest_version != version:  # renewed meanwhile by someone else: the old token's refusal means nothing
            return _follow(scheduler, channel, latest, now)
        failed = after_failure(exc, now)
        if failed.action is Action.NEEDS_REAUTH:
            if channels.mark_needs_reauth(workspace_id, channel_id, failed.reason):
                metrics.add_metric(name="ChannelNeedsReauth", unit=MetricUnit.Count, value=1)
                logger.error("channel needs to be reconnected", extra={"channel_id": channel_id})
            return Result("needs_reauth", detail=failed.reason)
        if not isinstance(exc, TransientNetworkError):
            logger.error("X refused parley's app when renewing a token", extra={"reason": exc.reason})
        metrics.add_metric(name="TokenRefreshRetried", unit=MetricUnit.Count, value=1)
        return _arm(scheduler, channel, failed.at, "retry", failed.reason)

    latest, latest_version = credentials.load_session_version(name)
    if latest_version != version:
        # Another invocation saved new tokens first: keep theirs rather than overwrite them.
        return _follow(scheduler, channel, latest, now)
    if not tokens.refresh_token:  # X did not rotate it: the old one still holds
        tokens = XTokens(tokens.access_token, session["refresh_token"], tokens.expires_at, tokens.scope)
    credentials.SsmSessionStore(name).save(tokens.as_session())
    metrics.add_metric(name="TokenRefreshed", unit=MetricUnit.Count, value=1)
    if tokens.expires_at is None:
        return Result("refreshed", detail="X gave no expiry: nothing armed")
    return _arm(scheduler, channel, refresh_time(tokens.expires_at), "refreshed", "")


def retry_soon(workspace_id: str, channel_id: str, scheduler: TokenScheduler) -> None:
    """A refresh run failed outside our handling (the reconciler saw it): its schedule is gone, arm another."""
    scheduler.upsert(workspace_id, channel_id, clock.now() + RETRY)


def _follow(scheduler: TokenScheduler, channel: ChannelRecord, session: dict[str, str] | None, now: datetime) -> Result:
    decided = plan(session, now)
    if decided.action is Action.STOP:
        return Result("stopped", detail=decided.reason)
    at = decided.at if decided.action is Action.ARM else now + RETRY
    return _arm(scheduler, channel, at, "renewed elsewhere", "kept the tokens another invocation saved")


def _arm(scheduler: TokenScheduler, channel: ChannelRecord, at: datetime | None, outcome: str, detail: str) -> Result:
    assert at is not None
    scheduler.upsert(channel.workspace_id, channel.channel_id, at)
    return Result(outcome, at, detail)
