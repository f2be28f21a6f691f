"""Page cursors: DynamoDB's last evaluated key, handed to the client and back, signed and bound to what they
page (issue 15 item 11: a forged cursor went to DynamoDB as `ExclusiveStartKey`).

A cursor is base64url (unpadded) of `MAC || key`: the key is the last evaluated key as JSON, the MAC is
HMAC-SHA256 under the cursor key over the listing the page belongs to (`Listing`: the workspace, the listing
and the filters that shape its query) and the key. Only a cursor this API gave out for that very listing
verifies. Anything else (made up, changed, cut short, or given out in another workspace, for another
listing, such as another webhook's log, or with other filters, which would put another index's or another
range's key before DynamoDB) is refused as `BadRequest` (400) naming `cursor`, before any query is sent.
The page size is not bound: a client may change `limit` between pages.

Cursors are opaque to clients but not encrypted: the key holds only ids and times of the page itself.

The cursor key is an SSM SecureString parameter (`Settings.cursor_key_parameter`, one per deployment:
names.cursor_key_parameter) that the API function makes on first use, random, with a conditional create, so
that the first containers agree on one key; it is read once per process, kept in memory, and never logged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from parley.shared import aws
from parley.shared.config import get_settings
from parley.shared.errors import BadRequest, FieldProblem
from parley.shared.names import Env

VERSION = 1  # in what the MAC covers: a change of the format refuses the cursors given out before it
MAC_BYTES = hashlib.sha256().digest_size
MIN_KEY_BYTES = 32  # a shorter secret is a mistake: refuse to sign with it
NEW_KEY_BYTES = 48  # random bytes of a key made on first use (64 URL-safe characters)
MAKE_ATTEMPTS = 3
KEY_DESCRIPTION = "parley: signs page cursors (HMAC-SHA256); made by the API function on first use"
MAX_CURSOR_CHARS = 2000  # what the API takes back (http.fields.CURSOR_PATTERN)
_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")

REASON = (
    "is not a cursor this API gave out for this listing: it was changed, cut short or made up, or it belongs"
    " to another listing, other filters or another workspace"
)
DETAIL = "The cursor is not one this API gave out for this listing; ask for the first page again, without it."


@dataclass(frozen=True)
class Listing:
    """What a cursor pages: the workspace, the listing (`posts`, `inbox`, `webhooks/<id>/deliveries`) and the
    filters that shape its query, each as a string (None: not given)."""

    workspace_id: str
    name: str
    filters: Mapping[str, str | None] = field(default_factory=dict)

    def signed_part(self) -> bytes:
        """What the MAC covers besides the key: canonical JSON (no raw line break in it, so the `\\n` that
        follows it in the MAC's input cannot be forged from inside)."""
        filters = {name: value for name, value in self.filters.items() if value is not None}
        bound = {"v": VERSION, "workspace": self.workspace_id, "listing": self.name, "filters": filters}
        return json.dumps(bound, sort_keys=True, separators=(",", ":")).encode()


def _mac(secret: bytes, listing: Listing, payload: bytes) -> bytes:
    return hmac.new(secret, listing.signed_part() + b"\n" + payload, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def sign(key: dict[str, Any] | None, listing: Listing, secret: bytes) -> str | None:
    """The cursor of the page after `key` (None: there is no next page)."""
    if not key:
        return None
    payload = json.dumps(key, sort_keys=True, separators=(",", ":")).encode()
    cursor = _b64(_mac(secret, listing, payload) + payload)
    if len(cursor) > MAX_CURSOR_CHARS:
        raise ValueError(f"a cursor of {len(cursor)} characters: longer than the API takes back")
    return cursor


def verify(cursor: str | None, listing: Listing, secret: bytes) -> dict[str, Any] | None:
    """The key a cursor from `sign` carries (None for no cursor: the first page); BadRequest for anything
    that is not a cursor given out for `listing` under `secret`."""
    if cursor is None:
        return None
    if not cursor or len(cursor) > MAX_CURSOR_CHARS or not _ALPHABET.fullmatch(cursor):
        raise _refused()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError) as exc:
        raise _refused() from exc
    # Only the one spelling `sign` writes: base64 can spell the same bytes with other last characters.
    if _b64(raw) != cursor or len(raw) <= MAC_BYTES:
        raise _refused()
    mac, payload = raw[:MAC_BYTES], raw[MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(secret, listing, payload)):
        raise _refused()
    try:
        key = json.loads(payload)
    except ValueError as exc:  # signed by us, so never; but never a 500 either
        raise _refused() from exc
    if not isinstance(key, dict) or not key:
        raise _refused()
    return key


def _refused() -> BadRequest:
    return BadRequest(DETAIL, FieldProblem("cursor", REASON))


def encode_cursor(key: dict[str, Any] | None, listing: Listing) -> str | None:
    """The next page's cursor, signed with the cursor key (read only when there is a next page)."""
    return sign(key, listing, cursor_key()) if key else None


def decode_cursor(cursor: str | None, listing: Listing) -> dict[str, Any] | None:
    """The key to start after (`ExclusiveStartKey`), or BadRequest before anything reaches DynamoDB."""
    return None if cursor is None else verify(cursor, listing, cursor_key())


# --- the cursor key ------------------------------------------------------------------------------------

_keys: dict[str, bytes] = {}
_keys_lock = threading.Lock()


def cursor_key() -> bytes:
    """The key's value, read (or made, the first time) once per process (a Lambda container keeps it across
    invocations) and held only in memory. Neither it nor anything derived from it is ever logged."""
    name = get_settings().cursor_key_parameter
    if not name:
        raise RuntimeError(f"{Env.CURSOR_KEY_PARAMETER.value} is not set: page cursors cannot be signed")
    with _keys_lock:
        key = _keys.get(name)
        if key is None:
            key = _read_or_make(name).encode()
            if len(key) < MIN_KEY_BYTES:
                raise RuntimeError(f"the cursor key {name} is shorter than {MIN_KEY_BYTES} bytes: not used")
            _keys[name] = key
    return key


def _read_or_make(name: str) -> str:
    """The parameter's value; if there is none yet, a new random one put there only if no other container put
    one first (`Overwrite=False`: the one that lost reads the winner's, so every container signs alike)."""
    ssm = aws.client("ssm")
    for _ in range(MAKE_ATTEMPTS):
        try:
            return str(ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ParameterNotFound":
                raise
        value = secrets.token_urlsafe(NEW_KEY_BYTES)
        try:
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=False, Description=KEY_DESCRIPTION)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ParameterAlreadyExists":
                raise
            continue  # another container made it a moment ago: read that one
        return value
    raise RuntimeError(f"the cursor key {name} could neither be read nor made")


def forget_cursor_key() -> None:
    """Read the key again on next use (tests and the local runtime, after pointing at another endpoint)."""
    with _keys_lock:
        _keys.clear()
