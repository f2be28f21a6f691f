"""Typed errors of the core. The storage layer raises them from ClientError/PynamoDB errors; the API's
exception handlers alone map them to HTTP status codes (RFC 9457 problem details)."""

from __future__ import annotations

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


class NotFound(ParleyError):
    """Missing, or another workspace's (404: nothing revealed)."""


class Unauthenticated(ParleyError):
    """Missing, wrong or revoked token (401)."""


class Forbidden(ParleyError):
    """The member's role does not allow this (403)."""


@dataclass
class Conflict(ParleyError):
    """An illegal state change (409)."""

    detail: str
    extra: dict[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail


class LostRace(ParleyError):
    """A conditional write found the item not in the state it expected: someone else won."""
