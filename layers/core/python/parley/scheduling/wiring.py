"""The Arming of this process, and reading the three shapes that reach the failures queue."""

from __future__ import annotations

from typing import Any

from parley.scheduling import one_time
from parley.scheduling.arming import ARM, Arming, PublishMessage
from parley.scheduling.polls import POLL, PollScheduler
from parley.scheduling.tokens import TokenScheduler
from parley.shared import aws
from parley.shared.config import get_settings


def arming() -> Arming:
    # Cheap to make: the clients are cached in parley.shared.aws (and reset with it).
    return Arming(get_settings(), aws.client("scheduler"), aws.client("sqs"))


def polls() -> PollScheduler:
    return PollScheduler(get_settings(), aws.client("scheduler"))


def tokens() -> TokenScheduler:
    return TokenScheduler(get_settings(), aws.client("scheduler"))


def failed_poll(body: Any) -> tuple[str, str] | None:
    """(workspace, channel) of a poll run that failed (Lambda's on-failure record or Scheduler's DLQ)."""
    return one_time.failed_channel_run(POLL, body)


def failed_message(body: Any) -> PublishMessage | None:
    """A Lambda on-failure record (`requestPayload` is the schedule's input), a publish-queue message
    redriven after too many receives, or a schedule's input that Scheduler could not hand over."""
    if isinstance(body, dict) and isinstance(body.get("requestPayload"), dict):
        body = body["requestPayload"]
    if isinstance(body, dict) and body.get("action") == ARM:
        try:
            return PublishMessage.from_dict(body)
        except (KeyError, ValueError):
            return None
    return None
