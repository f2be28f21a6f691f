"""Issue 15 item 11: page cursors are HMAC-signed and bound to the workspace, the listing and its filters; any
other cursor is a BadRequest (400) naming `cursor`. The cursor key is read once per process, never shown."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from parley.shared import pagination
from parley.shared.config import get_settings
from parley.shared.errors import BadRequest
from parley.shared.names import Env
from parley.shared.pagination import Listing, cursor_key, sign, verify

SECRET = b"k" * 32
KEY = {"workspace_id": {"S": "ws_a"}, "post_id": {"S": "p_01"}, "publish_key": {"S": "2030-01-01T09:00:00Z#p_01"}}
POSTS = Listing("ws_a", "posts", {"status": None, "since": None, "until": None})


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64(cursor: str) -> bytes:
    return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))


def refused(cursor: str, listing: Listing = POSTS, secret: bytes = SECRET) -> bool:
    try:
        verify(cursor, listing, secret)
    except BadRequest as exc:
        assert [(p.field, p.reason) for p in exc.problems] == [("cursor", pagination.REASON)]
        return True
    return False


def test_a_cursor_gives_back_the_key_it_was_made_from() -> None:
    cursor = sign(KEY, POSTS, SECRET)

    assert cursor is not None and verify(cursor, POSTS, SECRET) == KEY


def test_no_key_no_cursor_and_no_cursor_is_the_first_page() -> None:
    assert sign(None, POSTS, SECRET) is None
    assert sign({}, POSTS, SECRET) is None
    assert verify(None, POSTS, SECRET) is None


def test_a_changed_byte_anywhere_is_refused() -> None:
    raw = unb64(sign(KEY, POSTS, SECRET) or "")
    for at in range(len(raw)):  # the MAC's bytes and the key's
        changed = raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :]
        assert refused(b64(changed)), at


def test_a_cut_short_or_lengthened_cursor_is_refused() -> None:
    cursor = sign(KEY, POSTS, SECRET) or ""
    raw = unb64(cursor)

    for bad in (cursor[:-1], cursor[:-4], cursor[:43], cursor[:20], b64(raw[:-1]), b64(raw[:32]), cursor + "A"):
        assert refused(bad), bad
    assert refused(b64(raw + b" "))


def test_another_spelling_of_the_same_bytes_is_refused() -> None:
    # the last character carries bits base64 drops when the length is not a multiple of 3 bytes
    key = KEY | {"post_id": {"S": "p_012"}}
    cursor = sign(key, POSTS, SECRET) or ""
    assert len(unb64(cursor)) % 3
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    others = [cursor[:-1] + c for c in alphabet if c != cursor[-1] and unb64(cursor[:-1] + c) == unb64(cursor)]

    assert others
    for other in others:
        assert refused(other)
    assert verify(cursor, POSTS, SECRET) == key


def test_another_workspaces_cursor_is_refused() -> None:
    cursor = sign(KEY, Listing("ws_b", "posts", dict(POSTS.filters)), SECRET) or ""

    assert refused(cursor)


def test_another_listings_or_other_filters_cursor_is_refused() -> None:
    inbox = sign(KEY, Listing("ws_a", "inbox"), SECRET) or ""
    scheduled = sign(KEY, Listing("ws_a", "posts", {"status": "scheduled"}), SECRET) or ""
    hook_a = sign(KEY, Listing("ws_a", "webhooks/wh_a/deliveries"), SECRET) or ""

    assert refused(inbox)
    assert refused(scheduled)
    assert refused(scheduled, Listing("ws_a", "posts", {"status": "failed"}))
    assert refused(hook_a, Listing("ws_a", "webhooks/wh_b/deliveries"))
    assert verify(hook_a, Listing("ws_a", "webhooks/wh_a/deliveries"), SECRET) == KEY


def test_a_filter_left_out_is_the_same_as_one_not_given() -> None:
    cursor = sign(KEY, Listing("ws_a", "posts"), SECRET) or ""

    assert verify(cursor, POSTS, SECRET) == KEY


def test_the_parts_cannot_be_shifted_from_one_into_another() -> None:
    # "ws_a" + listing "b" must not sign what "ws_ab" + listing "" does, nor a filter what another name does
    cursor = sign(KEY, Listing("ws_a", "bposts"), SECRET) or ""
    assert refused(cursor, Listing("ws_ab", "posts"))
    cursor = sign(KEY, Listing("ws_a", "posts", {"since": "x", "until": None}), SECRET) or ""
    assert refused(cursor, Listing("ws_a", "posts", {"until": "x"}))


def test_a_cursor_signed_with_another_key_is_refused() -> None:
    cursor = sign(KEY, POSTS, b"o" * 32) or ""

    assert refused(cursor)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "A",
        "AA",
        "not-a-cursor",
        "eyJhIjoxfQ",  # {"a":1}, the old unsigned kind
        b64(json.dumps(KEY).encode()),  # a key of one's choosing, as cursors used to be
        b64(b"\x00" * 32 + json.dumps(KEY).encode()),  # with a made-up MAC in front
        "a b",
        "abc=",
        "abc.def",
        "é",
        "A" * (pagination.MAX_CURSOR_CHARS + 1),
    ],
)
def test_garbage_is_refused(garbage: str) -> None:
    assert refused(garbage)


def test_a_signed_cursor_that_holds_no_key_is_refused() -> None:
    for payload in (b"[]", b"{}", b"not json", b'"key"'):
        mac = pagination._mac(SECRET, POSTS, payload)
        assert refused(b64(mac + payload)), payload


# The cursor key


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "op")


class FakeSsm:
    """Parameter Store as far as the cursor key goes: one SecureString, made only if absent."""

    def __init__(self, value: str | None) -> None:
        self.value = value
        self.calls: list[tuple[str, str]] = []
        self.made_by_another: str | None = None  # made by another container between our read and our put

    def get_parameter(self, Name: str, WithDecryption: bool) -> dict[str, Any]:
        self.calls.append(("get", Name))
        assert WithDecryption
        if self.value is None:
            raise _error("ParameterNotFound")
        return {"Parameter": {"Name": Name, "Type": "SecureString", "Value": self.value}}

    def put_parameter(self, Name: str, Value: str, Type: str, Overwrite: bool, Description: str) -> dict[str, Any]:
        self.calls.append(("put", Name))
        assert Type == "SecureString" and Overwrite is False and "cursor" in Description
        if self.made_by_another is not None:
            self.value = self.made_by_another
        if self.value is not None:
            raise _error("ParameterAlreadyExists")
        self.value = Value
        return {"Version": 1}


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSsm]:
    fake = FakeSsm("s" * 48)
    monkeypatch.setenv(Env.CURSOR_KEY_PARAMETER.value, "/parley/stacks/Parley/cursor-key")
    monkeypatch.setattr(pagination.aws, "client", lambda service: fake if service == "ssm" else None)
    get_settings.cache_clear()
    pagination.forget_cursor_key()
    yield fake
    pagination.forget_cursor_key()
    get_settings.cache_clear()


def test_the_cursor_key_is_read_once_per_process(ssm: FakeSsm) -> None:
    cursor = pagination.encode_cursor(KEY, POSTS)
    assert pagination.decode_cursor(cursor, POSTS) == KEY
    assert pagination.decode_cursor(None, POSTS) is None
    assert cursor_key() == b"s" * 48

    assert ssm.calls == [("get", "/parley/stacks/Parley/cursor-key")]


def test_the_first_page_ever_makes_a_random_key_that_later_containers_read(ssm: FakeSsm) -> None:
    ssm.value = None
    cursor = pagination.encode_cursor(KEY, POSTS)
    made = ssm.value
    assert made is not None and len(made) >= pagination.MIN_KEY_BYTES and cursor_key() == made.encode()
    assert [call for call, _ in ssm.calls] == ["get", "put"]

    pagination.forget_cursor_key()  # another container
    assert pagination.decode_cursor(cursor, POSTS) == KEY
    assert [call for call, _ in ssm.calls] == ["get", "put", "get"]


def test_a_container_that_loses_the_race_to_make_the_key_signs_with_the_winners(ssm: FakeSsm) -> None:
    ssm.value, ssm.made_by_another = None, "w" * 64

    assert cursor_key() == b"w" * 64
    assert [call for call, _ in ssm.calls] == ["get", "put", "get"]


def test_no_next_page_needs_no_key(ssm: FakeSsm) -> None:
    assert pagination.encode_cursor(None, POSTS) is None
    assert ssm.calls == []


def test_a_short_key_is_not_used_and_not_shown(ssm: FakeSsm) -> None:
    ssm.value = "short-and-secret"

    with pytest.raises(RuntimeError) as raised:
        cursor_key()
    assert "short-and-secret" not in str(raised.value)


def test_without_the_parameters_name_nothing_is_signed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(Env.CURSOR_KEY_PARAMETER.value, raising=False)
    get_settings.cache_clear()
    pagination.forget_cursor_key()
    try:
        with pytest.raises(RuntimeError, match=Env.CURSOR_KEY_PARAMETER.value):
            pagination.encode_cursor(KEY, POSTS)
    finally:
        get_settings.cache_clear()
