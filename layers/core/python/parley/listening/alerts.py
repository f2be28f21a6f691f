"""Alerts: a spike in mentions, or in the share of negative items, against the workspace's own
baseline (the trailing days' hourly mean plus k standard deviations). An alert goes to the SNS topic
and the workspace's webhook (Slack-compatible `{"text": ...}`), at most once per kind and hour, and, with
auto-hold on, holds the workspace's queued posts until a person resumes them."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field

from parley.listening.watches import conditional_failed
from parley.publishing import holds
from parley.scheduling import Arming
from parley.shared import aws, outbound
from parley.shared.config import get_settings
from parley.shared.errors import FieldProblem, OutboundFailed, OutboundRefused, ValidationFailed
from parley.shared.numbers import WholeNumber
from parley.shared.observability import logger, metrics
from parley.store import ActivityRecord, UpdateError, WorkspaceRecord
from parley.team import members
from parley.webhooks.events import EventType, emit

MENTIONS = "mentions"
NEGATIVE_SHARE = "negative_share"
LISTENING_MEMBER = "listening"  # who holds the posts, in the deliveries' history
ALERT_WEBHOOK_BUDGET = outbound.Budget(seconds=5, max_bytes=64 * 1024)  # inside a poll: short


class AlertSettings(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "k": 3.0,
                    "baseline_days": 7,
                    "min_items": 5,
                    "webhook_url": "https://hooks.slack.com/services/T00000000/B00000000/EXAMPLE",
                    "auto_hold": False,
                }
            ]
        },
    )

    k: float = Field(default=3.0, gt=0, le=10, description="Standard deviations above the baseline mean")
    baseline_days: WholeNumber = Field(default=7, ge=1, le=28, description="Trailing days the baseline is taken from")
    min_items: WholeNumber = Field(default=5, ge=1, description="No alert on an hour with fewer items than this")
    webhook_url: str | None = Field(default=None, pattern=r"^https?://\S+$", description="Slack-compatible webhook")
    auto_hold: bool = Field(default=False, description="Hold queued posts when an alert is raised")


@dataclass(frozen=True)
class Hour:
    items: int = 0
    mentions: int = 0
    negative: int = 0


@dataclass(frozen=True)
class Alert:
    kind: str
    observed: float
    threshold: float
    hour: str


def hour_key(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H")


def spikes(current: Hour, baseline: list[Hour], settings: AlertSettings, hour: str) -> list[Alert]:
    """Pure rule. `baseline`: one entry per hour of the trailing window (empty hours included)."""
    alerts: list[Alert] = []
    if current.items < settings.min_items or not baseline:
        return alerts
    counts = [h.mentions for h in baseline]
    threshold = statistics.fmean(counts) + settings.k * statistics.pstdev(counts)
    if current.mentions >= settings.min_items and current.mentions > threshold:
        alerts.append(Alert(MENTIONS, current.mentions, round(threshold, 3), hour))
    shares = [h.negative / h.items for h in baseline if h.items]
    share = current.negative / current.items
    share_threshold = (statistics.fmean(shares) + settings.k * statistics.pstdev(shares)) if shares else 0.5
    if current.negative >= settings.min_items and share > share_threshold:
        alerts.append(Alert(NEGATIVE_SHARE, round(share, 3), round(share_threshold, 3), hour))
    return alerts


def settings_of(workspace_id: str) -> AlertSettings:
    record = WorkspaceRecord.get(workspace_id)
    stored = record.alerts.as_dict() if record.alerts is not None else {}
    return AlertSettings(**stored)


def save_settings(workspace_id: str, settings: AlertSettings) -> AlertSettings:
    """Keep the settings. The webhook's URL is a secret (Slack's carries its token): the masked form that
    `view` shows, sent back unchanged, keeps the stored URL; a new one must be one parley may reach."""
    url = settings.webhook_url
    if url is not None:
        stored = settings_of(workspace_id).webhook_url
        if stored is not None and url == masked(stored):
            settings = settings.model_copy(update={"webhook_url": stored})
        else:
            try:
                outbound.check_url(url)
            except (OutboundRefused, OutboundFailed) as exc:
                raise ValidationFailed(FieldProblem("webhook_url", str(exc))) from exc
    WorkspaceRecord(workspace_id).update(
        actions=[WorkspaceRecord.alerts.set(settings.model_dump())],
        condition=WorkspaceRecord.workspace_id.exists(),
    )
    return settings


def count(workspace_id: str, at: datetime, *, mention: bool, negative: bool) -> None:
    """One more inbox item this hour (an atomic ADD: concurrent polls of several channels add up)."""
    ActivityRecord(workspace_id, hour_key(at)).update(
        actions=[
            ActivityRecord.items.add(1),
            ActivityRecord.mentions.add(1 if mention else 0),
            ActivityRecord.negative.add(1 if negative else 0),
        ]
    )


def check(workspace_id: str, now: datetime, arming: Arming) -> list[Alert]:
    """After a poll filed something: compare this hour with the baseline (one Query), raise what spiked."""
    settings = settings_of(workspace_id)
    current_key = hour_key(now)
    start = hour_key(now - timedelta(days=settings.baseline_days))
    stored = {r.hour: r for r in ActivityRecord.query(workspace_id, ActivityRecord.hour.between(start, current_key))}
    current = _hour(stored.get(current_key))
    hours = [hour_key(now - timedelta(hours=n)) for n in range(1, settings.baseline_days * 24 + 1)]
    raised = []
    for alert in spikes(current, [_hour(stored.get(h)) for h in hours], settings, current_key):
        if _first_this_hour(workspace_id, current_key, alert.kind):
            _raise(workspace_id, alert, settings, arming)
            raised.append(alert)
    return raised


def raised_since(workspace_id: str, since: datetime, now: datetime) -> list[dict[str, str]]:
    """The alerts raised from `since`'s hour to `now`'s, newest first (one Query): what the web app's inbox
    shows as a banner."""
    condition = ActivityRecord.hour.between(hour_key(since), hour_key(now))
    records = ActivityRecord.query(workspace_id, condition, scan_index_forward=False)
    return [{"kind": kind, "hour": r.hour} for r in records for kind in sorted(r.alerted or ())]


def _hour(record: ActivityRecord | None) -> Hour:
    if record is None:
        return Hour()
    return Hour(int(record.items or 0), int(record.mentions or 0), int(record.negative or 0))


def _first_this_hour(workspace_id: str, hour: str, kind: str) -> bool:
    """Once per kind and hour: concurrent polls of several channels raise it once."""
    try:
        ActivityRecord(workspace_id, hour).update(
            actions=[ActivityRecord.alerted.add({kind})],
            condition=ActivityRecord.alerted.does_not_exist() | ~ActivityRecord.alerted.contains(kind),
        )
    except UpdateError as exc:
        if conditional_failed(exc):
            return False
        raise
    return True


def _raise(workspace_id: str, alert: Alert, settings: AlertSettings, arming: Arming) -> None:
    what = "mentions" if alert.kind == MENTIONS else "the share of negative replies and mentions"
    text = f"parley: {what} spiked in {alert.hour}h UTC ({alert.observed} against a threshold of {alert.threshold})"
    held: list[str] = []
    if settings.auto_hold:
        principal = members.Principal(workspace_id, LISTENING_MEMBER, members.Role.ADMIN)
        held = holds.hold_workspace(principal, arming)["held"]
        text += f"; {len(held)} queued deliveries held until someone resumes them (POST /workspace/resume)"
    message = {"workspace_id": workspace_id, **asdict(alert), "held": held, "text": text}
    topic = get_settings().alert_topic_arn
    if topic:
        aws.client("sns").publish(TopicArn=topic, Subject="parley alert", Message=json.dumps(message))
    if settings.webhook_url:
        _post_webhook(settings.webhook_url, text)
    emit(
        workspace_id, EventType.ALERT_SPIKE, f"{alert.kind}@{alert.hour}", {**asdict(alert), "held": held, "text": text}
    )
    metrics.add_metric(name="AlertRaised", unit=MetricUnit.Count, value=1)
    logger.warning("alert raised", extra=message)


def _post_webhook(url: str, text: str) -> None:
    """Through the one outbound fetcher (public addresses only, the address it checked). Its URL is never
    logged: the error's kind and the status say enough (the SNS topic still has the alert)."""
    body = json.dumps({"text": text}).encode()
    try:
        answer = outbound.fetch(
            "POST", url, headers={"Content-Type": "application/json"}, body=body, budget=ALERT_WEBHOOK_BUDGET
        )
    except (OutboundRefused, OutboundFailed) as exc:  # a bad webhook must not stop polling
        logger.warning("alert webhook failed", extra={"error": type(exc).__name__})
        return
    if not answer.ok:
        logger.warning("alert webhook refused the alert", extra={"status": answer.status})


def masked(url: str) -> str:
    """What the API shows of a webhook URL: where it goes, not its secret path."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    return f"{scheme}://{host}/…{rest[-4:]}" if "/" in rest and len(rest) > len(host) + 8 else f"{scheme}://{host}/…"


def view(settings: AlertSettings) -> dict[str, Any]:
    shown = settings.model_dump()
    if settings.webhook_url is not None:
        shown["webhook_url"] = masked(settings.webhook_url)
    return shown
