"""Opaque page cursors: DynamoDB's last evaluated key, handed to the client and back."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from parley.shared.errors import FieldProblem, ValidationFailed


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(FieldProblem("cursor", "is not a cursor this API gave out")) from exc
    if not isinstance(data, dict):
        raise ValidationFailed(FieldProblem("cursor", "is not a cursor this API gave out"))
    return data
