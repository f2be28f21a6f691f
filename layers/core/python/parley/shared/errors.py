"""Typed errors of the core. The storage layer raises them from ClientError/PynamoDB errors; the API's
exception handlers alone map them to HTTP status codes (RFC 9457 problem details)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldProblem:
    field: str
    reason: str


class ParleyError(Exception):
    """Base of everything the core raises on purpose."""


class ValidationFailed(ParleyError):
    """Bad input (422): each problem names the field and the reason."""

    def __init__(self, problems: list[FieldProblem] | FieldProblem) -> None:
        self.problems = [problems] if isinstance(problems, FieldProblem) else problems
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in self.problems))


class BadRequest(ParleyError):
    """A request the API cannot act on although each value has the right form (400): a value only the API
    hands out, such as a page cursor, came back changed, cut short, made up or out of place. `detail` says
    what to do; each problem names the field and why."""

    def __init__(self, detail: str, problems: list[FieldProblem] | FieldProblem) -> None:
        self.detail = detail
        self.problems = [problems] if isinstance(problems, FieldProblem) else problems
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in self.problems))


class NotFound(ParleyError):
    """Missing, or another workspace's (404: nothing revealed)."""


class Unauthenticated(ParleyError):
    """Missing, wrong or revoked token (401)."""


class Forbidden(ParleyError):
    """The member's role does not allow this (403); `extra` says what it needs (the problem's members)."""

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.extra = extra


@dataclass
class Conflict(ParleyError):
    """An illegal state change (409)."""

    detail: str
    extra: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail


class LostRace(ParleyError):
    """A conditional write found the item not in the state it expected: someone else won."""


class OutboundRefused(ParleyError):
    """A URL parley will not fetch (`parley.shared.outbound`): its form, its scheme or where it points.
    The message says which, in words a person can act on ("resolves to a loopback address")."""


class OutboundFailed(ParleyError):
    """A URL parley may fetch but could not: the name does not resolve, nothing answers, a broken answer."""


class OutboundTimedOut(OutboundFailed):
    """The fetch used up its time budget: connecting, waiting, or a server sending too slowly."""


class OutboundTooLarge(OutboundFailed):
    """The answer was larger than the fetch's size budget, so reading stopped there. What was read comes
    along (`head`, the first `max_bytes` bytes) for callers that need only the start, such as a page's <head>."""

    def __init__(self, message: str, *, url: str, status: int, headers: Mapping[str, str], head: bytes) -> None:
        super().__init__(message)
        self.url, self.status, self.headers, self.head = url, status, headers, head
