"""Telling a visitor's repeated clicks apart (docs/metrics.md): a click counts once per visitor, link and
hour (issue 15 item 10).

A visitor is a keyed hash (HMAC-SHA256) of the client's address and user agent; the address itself is
never stored. The key is random, one per hour, kept in the links table (the redirect function may only
UpdateItem that table, and UpdateItem can return what it wrote), and wiped by the first click of the next
hour (with no click then, the TTL removes it some time after it expires): after that, nobody can tell
whose clicks an hour's hashes were, even with the table.

A visitor's first click of an hour writes a marker item, `<code>@<hour>#<visitor>`, with a conditional
UpdateItem (`attribute_not_exists`); a second one fails the condition and is not counted. Markers and
keys have a TTL (`expires_at`) so DynamoDB removes them, no `post_key` (the `by_post` index, and so every
listing of a post's links, never sees them), no `target` (nothing redirects to them), and an `@` in
their code (never a short link's code).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
from datetime import datetime, timedelta
from typing import Any

KEY_BYTES = 32
VISITOR_HEX_CHARACTERS = 32  # 128 bits: two visitors of one link and hour never share a hash
KEEP_HOURS = 2  # markers and keys expire this long after their hour began (the TTL removes them later)

_keys: dict[str, bytes] = {}  # this container's key of the current hour


def hour_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H")


def visitor_hash(key: bytes, client_ip: str | None, user_agent: str | None) -> str:
    """Who clicked, as a hash that only the hour's key links to an address and agent."""
    message = f"{client_ip or '-'}\n{user_agent or '-'}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:VISITOR_HEX_CHARACTERS]


def first_visit(
    dynamodb: Any, table: str, code: str, client_ip: str | None, user_agent: str | None, now: datetime
) -> bool:
    """Write this visitor's marker for `code` and the hour of `now`: False if it was there already."""
    visitor = visitor_hash(_hour_key(dynamodb, table, now), client_ip, user_agent)
    try:
        dynamodb.update_item(
            TableName=table,
            Key={"code": {"S": f"{code}@{hour_of(now)}#{visitor}"}},
            UpdateExpression="SET expires_at = :expires",
            ConditionExpression="attribute_not_exists(#c)",
            ExpressionAttributeNames={"#c": "code"},
            ExpressionAttributeValues={":expires": {"N": str(_expiry(now))}},
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False
    return True


def _expiry(now: datetime) -> int:
    return int((now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=KEEP_HOURS)).timestamp())


def _hour_key(dynamodb: Any, table: str, now: datetime) -> bytes:
    """The hour's key: the first container to ask makes it, every other one gets the same (one call per
    container and hour; the hour before's key is wiped then)."""
    hour = hour_of(now)
    if hour not in _keys:
        item = dynamodb.update_item(
            TableName=table,
            Key={"code": {"S": f"visitor-key@{hour}"}},
            UpdateExpression="SET #k = if_not_exists(#k, :new), expires_at = if_not_exists(expires_at, :expires)",
            ExpressionAttributeNames={"#k": "key"},
            ExpressionAttributeValues={":new": {"B": os.urandom(KEY_BYTES)}, ":expires": {"N": str(_expiry(now))}},
            ReturnValues="ALL_NEW",
        )["Attributes"]
        _forget(dynamodb, table, hour_of(now - timedelta(hours=1)))
        _keys.clear()
        _keys[hour] = bytes(item["key"]["B"])
    return _keys[hour]


def _forget(dynamodb: Any, table: str, hour: str) -> None:
    """Wipe an hour's key once it is over: its visitors' hashes can no longer be traced back to them."""
    with contextlib.suppress(dynamodb.exceptions.ConditionalCheckFailedException):  # none, or wiped already
        dynamodb.update_item(
            TableName=table,
            Key={"code": {"S": f"visitor-key@{hour}"}},
            UpdateExpression="REMOVE #k",
            ConditionExpression="attribute_exists(#k)",  # else UpdateItem would make an empty item
            ExpressionAttributeNames={"#k": "key"},
        )
