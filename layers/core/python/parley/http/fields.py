"""The kinds of values the API takes, each with the rule the code enforces written into the schema, so that a
client can check a request before it sends it, and a request the schema allows is one the API accepts."""

from __future__ import annotations

import re
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, StringConstraints, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from parley.shared import pagination, timeparse

# parley's ids: a prefix, `_`, and a ULID (`p_01m8...`, `ch_...`); generous, so that no real id is refused.
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$"
# Text a person wrote: anything but control characters (tabs and line breaks are text).
TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# A name on one line: no control characters at all.
LINE_PATTERN = r"^[^\x00-\x1f\x7f]*$"
# An ISO 8601 date-time, with an offset, a [zone], or neither (then `time_zone` says where).
PUBLISH_AT_PATTERN = (
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?(\[[A-Za-z][A-Za-z0-9_+/-]*\])?$"
)
# An http(s) URL with no spaces or control characters.
URL_PATTERN = r"^https?://[^\s\x00-\x1f\x7f]+$"
# A time in a query: ISO 8601 with its offset.
TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})$"
# A page cursor as the API gives them out (base64url, signed: parley.shared.pagination); one of this form that
# the listing did not give out is a 400.
CURSOR_PATTERN = rf"^[A-Za-z0-9_-]{{1,{pagination.MAX_CURSOR_CHARS}}}$"

# What a refusal says when a value misses one of the patterns above (pydantic would quote the regex).
PATTERN_REASONS = {
    ID_PATTERN: "is not a parley id (letters, digits, '_' and '-', 1-100 of them)",
    TEXT_PATTERN: "contains a control character (tabs and line breaks are fine)",
    LINE_PATTERN: "contains a control character or a line break",
    PUBLISH_AT_PATTERN: "is not an ISO 8601 date-time (2030-01-31T09:00:00+01:00)",
    URL_PATTERN: "is not an http(s) URL without spaces",
    TIME_PATTERN: "is not an ISO 8601 date-time with its offset (2030-01-31T09:00:00Z)",
    CURSOR_PATTERN: "is not a cursor this API gave out",
}


def reason_for(error: dict[str, Any]) -> str:
    """A pydantic error in words a person reads."""
    if error.get("type") == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern")
        if pattern in PATTERN_REASONS:
            return PATTERN_REASONS[pattern]
        return "has a character or form this field does not take"
    return str(error.get("msg", "is invalid"))


Id = Annotated[str, Field(pattern=ID_PATTERN, description="A parley id")]
PathId = Annotated[str, Path(pattern=ID_PATTERN, description="A parley id")]
QueryId = Annotated[str | None, Query(pattern=ID_PATTERN, description="A parley id")]


def iso_time(value: Any) -> Any:
    # pydantic would also read `0.5` as a Unix time; the API takes what its schema says: an RFC 3339 date-time
    if isinstance(value, str) and not re.fullmatch(TIME_PATTERN, value):
        raise ValueError(PATTERN_REASONS[TIME_PATTERN])
    return value


QueryTime = Annotated[
    AwareDatetime | None, BeforeValidator(iso_time), Query(description="ISO 8601 (RFC 3339) with its offset")
]
Cursor = Annotated[
    str | None,
    Query(
        pattern=CURSOR_PATTERN,
        description="next_cursor of the previous page, sent with the same filters (the limit may change)",
    ),
]
Limit = Annotated[int, Query(ge=1, le=100, description="At most this many items")]
# The zones this machine's tz database knows (timeparse.ZONES, the one rule): listed, so a client can check.
ZONES = sorted(timeparse.ZONES)


def _known_zone(name: str) -> str:
    if name not in timeparse.ZONES:
        raise ValueError(timeparse.unknown_zone(name))
    return name


Zone = Annotated[
    str,
    AfterValidator(_known_zone),
    WithJsonSchema({"type": "string", "enum": ZONES, "description": "An IANA time zone, e.g. Europe/Paris"}),
]


QueryZone = Annotated[str, Query(json_schema_extra={"enum": ZONES}, description="An IANA time zone")]


def not_null(value: object) -> object:
    """For a field that may be left out but not sent as null (the schema says so: `Omitted`)."""
    if value is None:
        raise ValueError("leave it out rather than send null")
    return value


# A field a request may leave out, but not send as null: the schema shows the value's type only.
Omitted = SkipJsonSchema[None]


def text_field(max_length: int, description: str | None = None, *, min_length: int = 0, default: Any = ...) -> Any:
    """A Field for text a person wrote, up to `max_length` characters (required unless a default is given)."""
    return Field(default, min_length=min_length, max_length=max_length, pattern=TEXT_PATTERN, description=description)


def line_field(max_length: int, description: str | None = None, *, min_length: int = 1, default: Any = ...) -> Any:
    """A Field for a one-line name (required unless a default is given)."""
    return Field(default, min_length=min_length, max_length=max_length, pattern=LINE_PATTERN, description=description)


def _text(max_length: int, min_length: int = 0) -> Any:
    return StringConstraints(min_length=min_length, max_length=max_length, pattern=TEXT_PATTERN)


# Text a person wrote, by its cap; `Omitted` beside one of these keeps the constraints in the schema.
PostText = Annotated[str, _text(10_000)]
ShortText = Annotated[str, _text(1000)]
TitleText = Annotated[str, _text(300)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=LINE_PATTERN)]
PublishAt = Annotated[str, StringConstraints(min_length=10, max_length=100, pattern=PUBLISH_AT_PATTERN)]
Url = Annotated[str, StringConstraints(max_length=2000, pattern=URL_PATTERN)]
