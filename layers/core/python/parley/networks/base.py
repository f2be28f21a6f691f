"""The interface every network adapter implements, and the errors it raises.

Adapters use plain `requests`; they never touch DynamoDB or the clock's owner: what they need
(credentials, a place to keep sessions, the clock) is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from parley.shared.errors import FieldProblem


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
class Attachment:
    """An image to send with a post (docs/media.md): its checked bytes and its alt text."""

    data: bytes
    content_type: str
    alt: str = ""
    width: int | None = None
    height: int | None = None
    # A short-lived presigned GET URL of the stored image, for networks that fetch images themselves
    # (Facebook, Instagram, Threads: parley.media.urls); None where the adapter uploads the bytes.
    url: str | None = None


@dataclass(frozen=True)
class LinkCard:
    """A link preview: the page's Open Graph data (or what the marketer gave), fetched at queue time."""

    url: str
    title: str = ""
    description: str = ""
    thumbnail_url: str | None = None
    thumbnail: Attachment | None = None  # fetched at publish time; None when it could not be had


@dataclass(frozen=True)
class PublishRequest:
    delivery_id: str  # stable per delivery: the idempotency key is derived from it
    text: str
    due_at: datetime  # publish_at of the delivery (UTC)
    look_first: bool  # a retry or a takeover: look on the network before creating
    images: tuple[Attachment, ...] = ()  # in order; the adapter uploads them before creating the post
    link_card: LinkCard | None = None  # only when there are no images
    # Links whose shown text is not their target (Bluesky shows parley's short links so): (start, end,
    # uri) by character positions in `text` (parley.links.short_links.for_publish).
    links: tuple[tuple[int, int, str], ...] = ()


@dataclass(frozen=True)
class Published:
    remote_id: str  # e.g. at:// URI
    url: str  # a link a person can open
    acknowledged_at: datetime  # when the network acknowledged it (our clock)
    already_there: bool = False  # found by looking, not created by this call
    cid: str = ""  # Bluesky: the record's content hash (a reply's strong ref needs it); "" elsewhere


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


# -- listening: what every network's listener reads and answers (docs/listening.md) ------------------------


@dataclass(frozen=True)
class Seen:
    """A post someone else wrote that concerns us (a reply, a mention, a listener's match), in neutral
    form: each network turns its own JSON into this in its own listener."""

    kind: str  # reply | mention | listener
    uri: str  # the network's id of the post (Bluesky: at:// URI; Mastodon: status id; X: post id)
    cid: str  # Bluesky's content hash (to thread an answer); "" elsewhere
    author_id: str
    author_handle: str
    text: str
    created_at: datetime
    root_uri: str  # the conversation's root
    root_cid: str
    parent_uri: str | None  # what it answers on the network
    url: str = ""  # a link a person can open


@dataclass(frozen=True)
class Conversation:
    """One look at a published post: its counters (like, repost, reply, quote, ...) and the replies
    under it written by other accounts."""

    counters: dict[str, int]
    replies: list[Seen]
    calls: int = 1  # network calls it took


@dataclass(frozen=True)
class Found:
    """Mentions or search matches newer than a marker, with the marker to pass next time (None: keep the
    old one). A marker is a string whose order is the network's order (ids are zero-padded)."""

    items: list[Seen]
    newest: str | None
    calls: int = 1


@dataclass(frozen=True)
class AnswerTo:
    """The inbox item an answer threads under."""

    remote_id: str
    cid: str
    root_id: str
    root_cid: str
    author_handle: str


class SearchUnsupported(PermanentNetworkError):
    """The network cannot search for this kind of query."""


class Listener(Protocol):
    """Reading what people write back, and answering them, on one network."""

    network: str

    def read_conversation(self, remote_id: str, own_id: str) -> Conversation | None:
        """Counters and replies of our post `remote_id` (None when the post is gone)."""
        ...

    def read_mentions(self, since: str | None) -> Found:
        """Mentions of the account newer than `since` (the marker of the previous run)."""
        ...

    def search(self, query: str, since: str | None, own_id: str) -> Found:
        """A hashtag (`#tag`) or keyword's matches newer than `since` (raises SearchUnsupported)."""
        ...

    def answer(self, key: str, when: datetime, text: str, to: AnswerTo) -> Published:
        """Post `text` threaded under `to`, exactly once per `key` (a retry finds the first answer)."""
        ...
