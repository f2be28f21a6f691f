"""Keeping LinkedIn, Instagram and Threads channels alive (Facebook Page tokens do not expire): one token
schedule per channel (`parley.scheduling.tokens`, the same as X's) a provider's `refresh_margin` before the
token expires. When it fires:

- a network that renews (Instagram's and Threads' long-lived tokens; LinkedIn with a refresh token): the token
  is renewed, saved at once, and the schedule armed again for the new expiry;
- LinkedIn without a refresh token (LinkedIn grants them only to some apps): nothing can renew it, so the
  channel moves to `needs_reauth` (ChannelNeedsReauth metric and alarm) a margin before it would stop working,
  saying when and why; a reconnect before then arms a new schedule;
- the network refuses the token (revoked, expired): `needs_reauth`; anything transient: armed again soon.

Someone who renewed the session meanwhile (its SSM version changed) wins: their tokens are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from aws_lambda_powertools.metrics import MetricUnit

from parley import channels, credentials
from parley.config import Settings
from parley.networks.base import NetworkError, TransientNetworkError
from parley.oauth import apps
from parley.oauth.base import Provider, Renewal, Tokens
from parley.observability import logger, metrics
from parley.scheduling.tokens import TokenScheduler
from parley.store import ChannelRecord
from parley.token_upkeep import APP_RETRY, Action, Plan, Result, after_failure


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
    from parley import clock

    now = clock.now()
    credentials.SsmSessionStore(credentials.session_parameter(record.credential_parameter)).save(tokens.as_session())
    if provider.renewal is Renewal.NEVER_EXPIRES or tokens.expires_at is None:
        scheduler.delete(record.channel_id)
    else:
        scheduler.upsert(record.workspace_id, record.channel_id, max(due(provider, tokens.expires_at), now))
    return describe(provider, tokens, now)


def refresh_channel(
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
            return _follow(provider, scheduler, channel, latest, now)
        failed = after_failure(exc, now)
        if failed.action is Action.NEEDS_REAUTH:
            return _needs_reauth(channel, failed.reason)
        if not isinstance(exc, TransientNetworkError):
            logger.error(f"{provider.title} refused parley's app when renewing a token", extra={"reason": exc.reason})
        metrics.add_metric(name="TokenRefreshRetried", unit=MetricUnit.Count, value=1)
        return _arm(scheduler, channel, failed.at, "retry", failed.reason)

    latest, latest_version = credentials.load_session_version(name)
    if latest_version != version:
        return _follow(provider, scheduler, channel, latest, now)
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


def _follow(
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
