"""Identifiers: ULIDs (time-sortable, so lists come back in creation order) and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from ulid import ULID

from parley.shared import clock

TOKEN_PREFIX = "pk_"


def new_id() -> str:
    return str(ULID.from_datetime(clock.now())).lower()


def new_token() -> str:
    """A member's API secret: 256 random bits, shown once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
