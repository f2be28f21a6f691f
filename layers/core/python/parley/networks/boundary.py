"""An adapter's boundary: whatever a network answers, what leaves the adapter is a Published (or None)
or a typed NetworkError, and every number a peer tells us is taken within sane bounds.

Two mechanisms, used by every adapter (issue 15 item 5, and the clamp of item 2):

- `guarded(name)` wraps an adapter class's public methods (or one function): an exception that reading an
  unexpected answer raises (a JSON of the wrong shape, a missing key, a body cut short, a number out of
  range) becomes a TransientNetworkError. Transient, because the answer may hide a write: the retry runs
  with `look_first` and looks before creating. A NetworkError passes through as it is; anything else (a
  bug of ours) is left for the publish step to settle.
- The peer's numbers: `peer_count` (an instance's limits), `after_seconds`, `at_epoch`, `at_http_date`
  and `retry_window` (retry-after values and rate-limit resets). A wait never ends past `MAX_WAIT` from now, a reset
  in milliseconds is read as one, and nothing a peer sends can make us build a huge string or overflow a
  datetime.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import regex
import requests

from parley.networks.base import NetworkError, Published, TransientNetworkError

logger = logging.getLogger(__name__)

# Bounds of what a peer may tell us. An instance's own limits are real (Mastodon forks allow long posts and
# more images), so the bounds are generous; they only keep a hostile answer from costing memory.
MAX_STATUS_CHARACTERS = 100_000
MAX_URL_LENGTH = 1_000  # characters a link counts as (Mastodon: 23)
MAX_IMAGES = 20  # images per post
MAX_IMAGE_BYTES = 200 * 1024 * 1024  # bytes per image
MAX_TOKEN_LIFE = timedelta(days=400)  # how long an access token may be said to live
MAX_WAIT = timedelta(days=1)  # the longest a network may make a delivery wait (X's 24-hour cap resets within it)
_MAX_DIGITS = 16  # more digits than an epoch in microseconds: not a time, not a number of seconds we take
_MILLIS_FROM = 100_000_000_000  # an epoch past this (year 5138 in seconds) is in milliseconds

# What reading an unexpected answer raises: the wrong shape (TypeError, KeyError, IndexError,
# AttributeError), not JSON or not UTF-8 (ValueError), a number out of range (ValueError, OverflowError,
# OSError from fromtimestamp), JSON nested too deep (RecursionError), a body cut short (requests'
# ChunkedEncodingError, ContentDecodingError: RequestException, an OSError).
ANSWER_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
    OSError,
    requests.RequestException,
)

# What requests raises for a server address that is malformed, or that the outbound fetcher refused (the
# message says why: "127.0.0.1 is a loopback address"): the channel's address, not a passing failure.
ADDRESS_ERRORS: tuple[type[Exception], ...] = (
    requests.exceptions.InvalidURL,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)

T = TypeVar("T")
_CONTROL = regex.compile(r"[\p{Cc}\p{Cf}\s]+")  # control and format characters, and whitespace runs
_CONTROL_ONLY = regex.compile(r"[\p{Cc}\p{Cf}]")


def guarded(name: str) -> Callable[[T], T]:
    """Decorate an adapter class (every public method, including inherited ones) or one function, so that
    an unexpected answer leaves it as a TransientNetworkError naming `name` (module docstring)."""

    def decorate(target: T) -> T:
        if inspect.isclass(target):
            for attribute in dir(target):
                if attribute.startswith("_"):
                    continue
                method = inspect.getattr_static(target, attribute)
                if inspect.isfunction(method) and not getattr(method, "_guarded", False):
                    setattr(target, attribute, _guard(name, method))
            return target
        assert callable(target)
        return _guard(name, target)  # type: ignore[return-value]

    return decorate


def _guard(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except NetworkError:
            raise
        except ANSWER_ERRORS as exc:
            logger.warning("%s answered with something unexpected (%s)", name, type(exc).__name__, exc_info=True)
            raise TransientNetworkError(
                f"{name} answered with something parley did not expect ({type(exc).__name__})"
            ) from exc

    call._guarded = True  # type: ignore[attr-defined]
    return call


# -- numbers a peer tells us ------------------------------------------------------------------------------


def peer_count(value: object, default: int, *, low: int, high: int) -> int:
    """A count or a size a peer advertised (an instance's limits): a positive int within [low, high];
    anything else (missing, a string, a bool, zero, negative) is `default`."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        return default
    return max(low, min(value, high))


def retry_window(when: datetime | None, now: datetime) -> datetime | None:
    """A time a peer said to come back at, no later than now + MAX_WAIT (one already past means now: the
    publish step arms it at once, and its attempts are counted)."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(when, now + MAX_WAIT)


def after_seconds(value: str | None, now: datetime) -> datetime | None:
    """`Retry-After: <seconds>` (or any header of seconds to wait), within the window; None if not digits."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    if len(text) > _MAX_DIGITS:
        return now + MAX_WAIT
    return now + min(timedelta(seconds=int(text)), MAX_WAIT)


def at_epoch(value: str | None, now: datetime) -> datetime | None:
    """A reset given as a Unix time, in seconds (or, past year 5138, milliseconds), within the window."""
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    if len(text) > _MAX_DIGITS:
        return now + MAX_WAIT
    number = int(text)
    seconds = number / 1000 if number >= _MILLIS_FROM else number
    try:
        when = datetime.fromtimestamp(seconds, UTC)
    except (ValueError, OverflowError, OSError):
        return now + MAX_WAIT
    return retry_window(when, now)


def at_http_date(value: str | None, now: datetime) -> datetime | None:
    """`Retry-After: <HTTP date>`, within the window; None when it is not one."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return retry_window(when, now)


def retry_after(value: str | None, now: datetime) -> datetime | None:
    """`Retry-After` in either of its forms (seconds, an HTTP date), within the window."""
    return after_seconds(value, now) or at_http_date(value, now)


def lifetime(value: object, now: datetime) -> datetime | None:
    """When a token said to live `value` seconds (`expires_in`) expires, no later than MAX_TOKEN_LIFE from
    now; None when it is not a number of seconds."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return None
    return now + min(timedelta(seconds=min(value, int(MAX_TOKEN_LIFE.total_seconds()))), MAX_TOKEN_LIFE)


def epoch_millis(value: object) -> datetime | None:
    """A time a network gives in milliseconds since the epoch (LinkedIn's `publishedAt`), or None when it
    is not one datetime can hold."""
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return None


MAX_PEER_TEXT = 300  # characters of a peer's own error message that parley repeats


def peer_text(value: object, limit: int = MAX_PEER_TEXT) -> str:
    """A peer's own words (an error message in its answer), as parley repeats them in a reason or a 422:
    a string only, control characters and runs of space made one space, at most `limit` characters. A
    server someone else chose must not be able to put a page, or a megabyte, into our answers and logs."""
    if not isinstance(value, str):
        return ""
    plain = _CONTROL.sub(" ", value).strip()
    return plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"


MAX_REMOTE_ID = 1_000  # characters of a post's id on its network (an at:// URI, a URN, a number)
MAX_POST_URL = 2_000  # characters of the link to a published post


def unkeepable(published: Published) -> str | None:
    """Why a network's account of a published post cannot be kept on the delivery (None: it can). The
    publish step asks before it records the post, so a huge or odd id never leaves a delivery stuck."""
    remote_id, url = published.remote_id, published.url
    if not isinstance(remote_id, str) or not 0 < len(remote_id) <= MAX_REMOTE_ID or _CONTROL_ONLY.search(remote_id):
        return "the post's id on the network is missing, too long or not plain text"
    if not isinstance(url, str) or len(url) > MAX_POST_URL or _CONTROL_ONLY.search(url):
        return "the post's link is too long or not plain text"
    if url and not url.startswith(("https://", "http://")):
        return "the post's link is not a web address"
    when = published.acknowledged_at
    if not isinstance(when, datetime) or when.tzinfo is None:
        return "the time the network took the post is not a time"
    return None
