"""Record keys of Bluesky posts: valid TIDs, derived from the delivery, the same on every attempt."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.networks import tid

# The syntax of the atproto spec (https://atproto.com/specs/tid), written out here on purpose rather than
# imported, so that a change to the module's own pattern cannot make these tests pass.
SPEC = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")

delivery_ids = st.text(min_size=1, max_size=40)
due_times = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))


@pytest.mark.parametrize("valid", ["3jzfcijpj2z2a", "7777777777777", "3zzzzzzzzzzzz", "2222222222222"])
def test_spec_examples_of_valid_tids_are_valid(valid: str) -> None:
    assert tid.is_valid(valid)


@pytest.mark.parametrize(
    "invalid",
    [
        "3jzfcijpj2z21",  # "1" is not in the alphabet
        "0000000000000",
        "3JZFCIJPJ2Z2A",  # upper case
        "3jzfcijpj2z2aa",  # too long
        "3jzfcijpj2z2",  # too short
        "zzzzzzzzzzzzz",  # top bit set
        "kjzfcijpj2z2a",  # top bit set
        "3jzf-cij-pj2z-2a",
    ],
)
def test_spec_examples_of_invalid_tids_are_invalid(invalid: str) -> None:
    assert not tid.is_valid(invalid)


@given(st.integers(min_value=0, max_value=(1 << 63) - 1))
def test_encoding_round_trips_and_is_valid(value: int) -> None:
    encoded = tid.encode(value)

    assert SPEC.match(encoded)
    assert tid.decode(encoded) == value


@given(st.integers(min_value=0, max_value=(1 << 63) - 2))
def test_encoding_sorts_like_the_number(value: int) -> None:
    assert tid.encode(value) < tid.encode(value + 1)


@given(delivery_ids, due_times)
def test_a_delivery_key_is_a_valid_tid(delivery_id: str, due_at: datetime) -> None:
    assert SPEC.match(tid.for_delivery(delivery_id, due_at))


@given(delivery_ids, due_times)
def test_a_delivery_key_is_the_same_on_every_attempt(delivery_id: str, due_at: datetime) -> None:
    # Given the same delivery asked for twice, once written in another offset
    other_zone = due_at.astimezone(timezone(timedelta(hours=-7)))

    # Then the key is the same
    assert tid.for_delivery(delivery_id, due_at) == tid.for_delivery(delivery_id, other_zone)


@given(delivery_ids, due_times)
def test_a_delivery_key_carries_the_due_second(delivery_id: str, due_at: datetime) -> None:
    micros = tid.timestamp_micros(tid.for_delivery(delivery_id, due_at))

    assert micros // 1_000_000 == int(due_at.replace(microsecond=0).timestamp())


def test_deliveries_due_in_the_same_second_get_distinct_keys() -> None:
    # Given many deliveries of one account all due in the same second
    due_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    ids = [f"01jv{n:022d}" for n in range(20_000)]

    # When each gets its key
    keys = {tid.for_delivery(delivery_id, due_at) for delivery_id in ids}

    # Then no two share one
    assert len(keys) == len(ids)


@given(delivery_ids, delivery_ids, due_times)
def test_different_deliveries_get_different_keys(first: str, second: str, due_at: datetime) -> None:
    if first != second:
        assert tid.for_delivery(first, due_at) != tid.for_delivery(second, due_at)


def test_keys_sort_in_the_order_posts_are_due() -> None:
    earlier = tid.for_delivery("zzz", datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC))
    later = tid.for_delivery("aaa", datetime(2026, 3, 1, 9, 0, 1, tzinfo=UTC))

    assert earlier < later


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        tid.for_delivery("d1", datetime(2026, 3, 1, 9, 0))
