"""The interface every network adapter implements, and the errors it raises.

Adapters use plain `requests`; they never touch DynamoDB or the clock's owner: what they need
(credentials, a place to keep sessions, the clock) is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from parley.errors import FieldProblem


@dataclass(frozen=True)
class Credential:
    """What a marketer gives us to connect an account. Never logged, never returned."""

    identifier: str
    secret: str
    service_url: str


@dataclass(frozen=True)
class Account:
    """Who a credential belongs to, as the network says."""

    handle: str
    remote_id: str  # e.g. a DID


@dataclass(frozen=True)
class PublishRequest:
    delivery_id: str  # stable per delivery: the idempotency key is derived from it
    text: str
    due_at: datetime  # publish_at of the delivery (UTC)
    look_first: bool  # a retry or a takeover: look on the network before creating
    # Links whose shown text is not their target (Bluesky shows parley's short links so): (start, end,
    # uri) by character positions in `text` (parley.metrics.links.for_publish).
    links: tuple[tuple[int, int, str], ...] = ()


@dataclass(frozen=True)
class Published:
    remote_id: str  # e.g. at:// URI
    url: str  # a link a person can open
    acknowledged_at: datetime  # when the network acknowledged it (our clock)
    already_there: bool = False  # found by looking, not created by this call


class SessionStore(Protocol):
    """Where an adapter keeps a reusable login session (access/refresh tokens) per channel."""

    def load(self) -> dict[str, str] | None: ...

    def save(self, session: dict[str, str]) -> None: ...


class NetworkError(Exception):
    """Base of adapter errors. `reason` is what a marketer reads."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientNetworkError(NetworkError):
    """Worth trying again: a timeout, a 5xx, a 429 (with the reset time, when the network gave one)."""

    def __init__(self, reason: str, retry_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.retry_at = retry_at


class PermanentNetworkError(NetworkError):
    """Trying again will not help: refused content, a revoked account, bad credentials."""


class InvalidCredential(PermanentNetworkError):
    """The credential does not open a session."""


class Adapter(Protocol):
    network: str

    def check_text(self, text: str) -> list[FieldProblem]:
        """Queue-time rules for this network (length by its counting rule, bytes); [] when fine."""
        ...

    def verify(self, credential: Credential) -> Account:
        """Open a session with the credential (raises InvalidCredential)."""
        ...

    def publish(self, request: PublishRequest) -> Published:
        """Create the post exactly once: idempotent by `request.delivery_id`."""
        ...

    def find(self, request: PublishRequest) -> Published | None:
        """Look on the network for the post this delivery would have created."""
        ...
