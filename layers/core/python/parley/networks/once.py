"""Exactly once on a network that takes no idempotency key (X, LinkedIn, Facebook, Instagram answers): look for
what this call would make, make it, and after a failure that may hide a write (a timeout or a 5xx, with no
time given to come back) look again before saying it failed."""

from __future__ import annotations

from collections.abc import Callable

from parley.networks.base import NetworkError, Published, TransientNetworkError


def maybe_written(exc: NetworkError) -> bool:
    """A failure after which the network may hold the write anyway (a rate limit says when: nothing was done)."""
    return isinstance(exc, TransientNetworkError) and exc.retry_at is None


def look_then_create(
    find: Callable[[], Published | None],
    create: Callable[[], Published],
    ambiguous: Callable[[NetworkError], bool] = maybe_written,
) -> Published:
    found = find()
    if found is not None:
        return found
    try:
        return create()
    except NetworkError as exc:
        if ambiguous(exc):
            try:
                found = find()
            except NetworkError:
                found = None
            if found is not None:
                return found
        raise
