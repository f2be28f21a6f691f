"""Timestamp identifiers (TIDs): the record keys of Bluesky posts.

A TID is a 64-bit integer written as 13 characters of base32-sortable: the top bit is 0, then 53 bits of
microseconds since the UNIX epoch, then a 10-bit clock id. We derive ours from the delivery instead of the
wall clock, so every attempt at one delivery asks for the same key and the PDS can hold only one post.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from datetime import datetime

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
LENGTH = 13
# The syntax check of the atproto spec (https://atproto.com/specs/tid).
TID_PATTERN = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")

_CLOCK_ID_BITS = 10
_MAX_MICROS = (1 << 53) - 1
_MICROS_PER_SECOND = 1_000_000


def encode(value: int) -> str:
    """The 13-character form of a 63-bit value (most significant character first, so it sorts)."""
    if not 0 <= value < (1 << 63):
        raise ValueError("a TID holds a 63-bit non-negative value")
    chars = []
    for _ in range(LENGTH):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def decode(tid: str) -> int:
    if not is_valid(tid):
        raise ValueError(f"not a TID: {tid!r}")
    value = 0
    for char in tid:
        value = (value << 5) | ALPHABET.index(char)
    return value


def is_valid(tid: str) -> bool:
    return TID_PATTERN.fullmatch(tid) is not None


def from_parts(micros: int, clock_id: int) -> str:
    if not 0 <= micros <= _MAX_MICROS:
        raise ValueError("TID timestamp out of range")
    if not 0 <= clock_id < (1 << _CLOCK_ID_BITS):
        raise ValueError("TID clock id out of range")
    return encode((micros << _CLOCK_ID_BITS) | clock_id)


def for_delivery(key: str, due_at: datetime) -> str:
    """The record key of one delivery: the same for every attempt, distinct between deliveries.

    The whole seconds of `due_at` keep keys in publishing order; the sub-second microseconds (20 bits)
    and the clock id (10 bits) come from a hash of `key`, so two deliveries due in the same second on
    one account differ in ~30 bits instead of sharing a timestamp and hoping the 10-bit clock ids differ.
    """
    if due_at.tzinfo is None or due_at.utcoffset() is None:
        raise ValueError("due_at must carry a time zone")
    digest = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest()[:8], "big")
    clock_id = digest & ((1 << _CLOCK_ID_BITS) - 1)
    sub_second = (digest >> _CLOCK_ID_BITS) % _MICROS_PER_SECOND
    seconds = calendar.timegm(due_at.utctimetuple())  # exact whole seconds, no float rounding
    return from_parts(seconds * _MICROS_PER_SECOND + sub_second, clock_id)


def timestamp_micros(tid: str) -> int:
    return decode(tid) >> _CLOCK_ID_BITS
