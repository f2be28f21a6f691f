"""Keeping channels alive (DESIGN.md, flow 5), for every network whose tokens expire: each such channel has
one token schedule (`parley.scheduling.tokens`) a margin before its token expires. When it fires:

- X (an access token lives about two hours): the token is renewed (X rotates the refresh token: the new
  pair is saved at once) and the schedule armed again for the new expiry. X refusing the refresh token
  (revoked, expired, already used) moves the channel to `needs_reauth`; X refusing parley's own app
  credentials is an operator's problem, not the channel's: armed again later, logged as an error.
- LinkedIn, Instagram and Threads (a provider, `parley.connect.providers`; Facebook Page tokens do not
  expire): a network that renews (Instagram's and Threads' long-lived tokens; LinkedIn with a refresh token)
  renews, saved at once; LinkedIn without a refresh token (LinkedIn grants them only to some apps) cannot be
  renewed, so the channel moves to `needs_reauth` a margin before it would stop working, saying when and why;
  a reconnect before then arms a new schedule. The network refusing the token: `needs_reauth`.
- Anything transient (timeout, 5xx, 429 with its reset): armed again soon; a channel is never called dead
  for it. `needs_reauth` raises the ChannelNeedsReauth metric and alarm; its due deliveries fail with it.
- Someone else renewed the session meanwhile (the publish path renews a token that is about to expire by
  itself): the stored session changed (its SSM version), so theirs is kept and the schedule follows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from aws_lambda_powertools.metrics import MetricUnit

from parley.connect import apps, channels, credentials, x_app
from parley.connect.base import Provider, Renewal, Tokens
from parley.connect.channels import ACTIVE
from parley.networks.base import InvalidCredential, NetworkError, TransientNetworkError
from parley.networks.x import XTokens, refresh_tokens
from parley.scheduling.tokens import TokenScheduler
from parley.shared import clock
from parley.shared.config import Settings
from parley.shared.names import TOKEN_REFRESH_MARGIN_SECONDS, TOKEN_REFRESH_RETRY_SECONDS
from parley.shared.observability import logger, metrics
from parley.shared.timeparse import network_time
from parley.store import ChannelRecord

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


def plan_x(session: dict[str, str] | None, now: datetime) -> Plan:
    """What a firing refresh schedule of an X channel does with the stored session (pure)."""
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


def store_x_tokens(record: ChannelRecord, tokens: XTokens, scheduler: TokenScheduler) -> datetime | None:
    """Keep an X channel's new tokens (after connecting) and arm its refresh; the time armed, if any."""
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
    if channel.network != "x":  # LinkedIn, Instagram, Threads
        from parley.connect.providers import PROVIDERS  # each provider's module imports this one

        return _refresh_provider(PROVIDERS[channel.network], channel, settings, scheduler, now)
    app = x_app.load_app(settings.parameter_prefix)
    if app is None:
        logger.error("the X app is not configured: tokens cannot be renewed", extra={"fix": x_app.SET_APP_COMMAND})
        return _arm(scheduler, channel, now + APP_RETRY, "retry", "the X app is not configured")

    name = credentials.session_parameter(channel.credential_parameter)
    session, version = credentials.load_session_version(name)
    decided = plan_x(session, now)
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
            return _follow_x(scheduler, channel, latest, now)
        failed = after_failure(exc, now)
        if failed.action is Action.NEEDS_REAUTH:
            return _needs_reauth(channel, failed.reason)
        if not isinstance(exc, TransientNetworkError):
            logger.error("X refused parley's app when renewing a token", extra={"reason": exc.reason})
        metrics.add_metric(name="TokenRefreshRetried", unit=MetricUnit.Count, value=1)
        return _arm(scheduler, channel, failed.at, "retry", failed.reason)

    latest, latest_version = credentials.load_session_version(name)
    if latest_version != version:
        # Another invocation saved new tokens first: keep theirs rather than overwrite them.
        return _follow_x(scheduler, channel, latest, now)
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


def _follow_x(
    scheduler: TokenScheduler, channel: ChannelRecord, session: dict[str, str] | None, now: datetime
) -> Result:
    decided = plan_x(session, now)
    if decided.action is Action.STOP:
        return Result("stopped", detail=decided.reason)
    at = decided.at if decided.action is Action.ARM else now + RETRY
    return _arm(scheduler, channel, at, "renewed elsewhere", "kept the tokens another invocation saved")


# -- LinkedIn, Instagram, Threads: a provider's renewal --------------------------------------------------


def due(provider: Provider, expires_at: datetime) -> datetime:
    return expires_at - provider.refresh_margin


def can_renew(provider: Provider, session: Mapping[str, str], now: datetime) -> bool:
    if provider.renew is None:
        return False
    if provider.renewal is Renewal.REFRESH_ACCESS_TOKEN:
        return True
    if provider.renewal is Renewal.REFRESH_TOKEN and session.get("refresh_token"):
        refresh_expires = Tokens.from_session(session).refresh_expires_at
        return refresh_expires is None or now < refresh_expires
    return False


def plan(provider: Provider, session: Mapping[str, str] | None, now: datetime) -> Plan:
    """What a firing schedule does with the stored session (pure)."""
    if provider.renewal is Renewal.NEVER_EXPIRES:
        return Plan(Action.STOP, reason=f"{provider.title}'s token does not expire")
    if not session or not session.get("access_token"):
        return Plan(Action.STOP, reason="no session to keep alive")
    expires_at = Tokens.from_session(session).expires_at
    if expires_at is None:
        return Plan(Action.STOP, reason=f"{provider.title} gave no expiry")
    if now < due(provider, expires_at):
        return Plan(Action.ARM, due(provider, expires_at), reason="still fresh")
    if now < expires_at and can_renew(provider, session, now):
        return Plan(Action.REFRESH, reason="expires soon")
    if now >= expires_at:
        return Plan(
            Action.NEEDS_REAUTH,
            reason=f"{provider.title}'s authorization expired at {expires_at.isoformat()}: connect the channel again",
        )
    return Plan(Action.NEEDS_REAUTH, reason=reauth_reason(provider, expires_at))


def reauth_reason(provider: Provider, expires_at: datetime) -> str:
    return (
        f"{provider.title}'s authorization ends at {expires_at.isoformat()} and {provider.title} granted no way to "
        "renew it (no refresh token): connect the channel again"
    )


def describe(provider: Provider, tokens: Tokens, now: datetime) -> str:
    """What the connection's answer says about its upkeep."""
    if provider.renewal is Renewal.NEVER_EXPIRES or tokens.expires_at is None:
        return f"{provider.title}'s token does not expire: nothing to renew"
    at = max(due(provider, tokens.expires_at), now)
    if can_renew(provider, tokens.as_session(), now):
        return f"renewed automatically from {at.isoformat()} (the token expires at {tokens.expires_at.isoformat()})"
    return (
        f"{provider.title} granted no refresh token: the token expires at {tokens.expires_at.isoformat()}, so the "
        f"channel moves to needs_reauth at {at.isoformat()} unless it is connected again before"
    )


def store_tokens(provider: Provider, record: ChannelRecord, tokens: Tokens, scheduler: TokenScheduler) -> str:
    """Keep a channel's new session (after connecting) and arm its upkeep; what was decided, in words."""
    from parley.shared import clock

    now = clock.now()
    credentials.SsmSessionStore(credentials.session_parameter(record.credential_parameter)).save(tokens.as_session())
    if provider.renewal is Renewal.NEVER_EXPIRES or tokens.expires_at is None:
        scheduler.delete(record.channel_id)
    else:
        scheduler.upsert(record.workspace_id, record.channel_id, max(due(provider, tokens.expires_at), now))
    return describe(provider, tokens, now)


def _refresh_provider(
    provider: Provider, channel: ChannelRecord, settings: Settings, scheduler: TokenScheduler, now: datetime
) -> Result:
    """The token schedule of an active LinkedIn/Instagram/Threads channel fired."""
    name = credentials.session_parameter(channel.credential_parameter)
    session, version = credentials.load_session_version(name)
    decided = plan(provider, session, now)
    if decided.action is Action.STOP:
        return Result("stopped", detail=decided.reason)
    if decided.action is Action.ARM:
        return _arm(scheduler, channel, decided.at, "fresh", decided.reason)
    if decided.action is Action.NEEDS_REAUTH:
        return _needs_reauth(channel, decided.reason)
    assert session is not None and provider.renew is not None
    app = apps.load_app(settings.parameter_prefix, provider.network)
    if app is None:
        logger.error(
            f"the {provider.title} app is not configured: tokens cannot be renewed",
            extra={"fix": apps.set_app_command(provider.network)},
        )
        return _arm(scheduler, channel, now + APP_RETRY, "retry", f"the {provider.title} app is not configured")
    try:
        tokens = provider.renew(app, session, now)
    except NetworkError as exc:
        latest, latest_version = credentials.load_session_version(name)
        if latest_version != version:  # renewed meanwhile: the old token's refusal means nothing
            return _follow_provider(provider, scheduler, channel, latest, now)
        failed = after_failure(exc, now)
        if failed.action is Action.NEEDS_REAUTH:
            return _needs_reauth(channel, failed.reason)
        if not isinstance(exc, TransientNetworkError):
            logger.error(f"{provider.title} refused parley's app when renewing a token", extra={"reason": exc.reason})
        metrics.add_metric(name="TokenRefreshRetried", unit=MetricUnit.Count, value=1)
        return _arm(scheduler, channel, failed.at, "retry", failed.reason)

    latest, latest_version = credentials.load_session_version(name)
    if latest_version != version:
        return _follow_provider(provider, scheduler, channel, latest, now)
    credentials.SsmSessionStore(name).save(tokens.as_session())
    credentials.save_credential(  # the adapters read the token from the credential
        channel.credential_parameter,
        replace(credentials.load_credential(channel.credential_parameter), secret=tokens.access_token),
    )
    metrics.add_metric(name="TokenRefreshed", unit=MetricUnit.Count, value=1)
    if tokens.expires_at is None:
        scheduler.delete(channel.channel_id)
        return Result("refreshed", detail=f"{provider.title} gave no expiry: nothing armed")
    return _arm(scheduler, channel, max(due(provider, tokens.expires_at), now), "refreshed", "")


def _needs_reauth(channel: ChannelRecord, reason: str) -> Result:
    if channels.mark_needs_reauth(channel.workspace_id, channel.channel_id, reason):
        metrics.add_metric(name="ChannelNeedsReauth", unit=MetricUnit.Count, value=1)
        logger.error("channel needs to be reconnected", extra={"channel_id": channel.channel_id, "reason": reason})
    return Result("needs_reauth", detail=reason)


def _follow_provider(
    provider: Provider,
    scheduler: TokenScheduler,
    channel: ChannelRecord,
    session: Mapping[str, str] | None,
    now: datetime,
) -> Result:
    decided = plan(provider, session, now)
    if decided.action is not Action.ARM:
        return Result("renewed elsewhere", detail="kept the tokens another invocation saved")
    return _arm(scheduler, channel, decided.at, "renewed elsewhere", "kept the tokens another invocation saved")


def _arm(scheduler: TokenScheduler, channel: ChannelRecord, at: datetime | None, outcome: str, detail: str) -> Result:
    assert at is not None
    scheduler.upsert(channel.workspace_id, channel.channel_id, at)
    return Result(outcome, at, detail)
