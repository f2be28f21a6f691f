"""EventBridge Scheduler calls and the publish queue's hand-over; nothing else creates schedules."""

from parley.scheduling.arming import Arming, PublishMessage

__all__ = ["Arming", "PublishMessage"]
