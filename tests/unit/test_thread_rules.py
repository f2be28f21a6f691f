"""The queue-time rules of a thread and a first comment (parley.publishing.threads), without storage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parley.publishing import threads
from parley.publishing.posts import PostDraft
from parley.store import ChannelRecord, DeliveryRecord

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def channel(network: str, remote_id: str = "urn:li:organization:1") -> ChannelRecord:
    return ChannelRecord(
        "ws_1",
        f"ch_{network}",
        network=network,
        handle="acme",
        remote_id=remote_id,
        service_url="https://example.com",
        credential_parameter="/p",
        created_at=NOW,
        created_by="mem_1",
    )


def draft(*parts: str, mode: str | None = None, comment: str | None = None) -> PostDraft:
    return PostDraft("first", ["ch"], None, thread=list(parts), thread_mode=mode, first_comment=comment)


@pytest.mark.parametrize("network", ["bluesky", "mastodon", "x", "threads"])
def test_networks_with_threads_take_one_as_replies_and_as_comments(network: str) -> None:
    assert threads.problems(draft("two", "three"), [channel(network)]) == []
    assert threads.problems(draft("two", mode="comments"), [channel(network)]) == []


@pytest.mark.parametrize("network", ["linkedin", "facebook", "instagram"])
def test_networks_without_threads_refuse_one_with_a_reason_and_take_it_as_comments(network: str) -> None:
    (refused,) = threads.problems(draft("two"), [channel(network)])
    assert refused.field == "thread" and "has no threads" in refused.reason
    assert '"thread_mode": "comments"' in refused.reason
    assert threads.problems(draft("two", mode="comments"), [channel(network)]) == []


def test_a_linkedin_member_profile_takes_no_comments() -> None:
    member = channel("linkedin", "urn:li:person:A1b2C3")
    (refused,) = threads.problems(draft("two", mode="comments"), [member])
    assert refused.field == "thread_mode" and "member profile" in refused.reason
    (comment,) = threads.comment_problems(draft(comment="hi"), [member])
    assert comment.field == "first_comment" and "member profile" in comment.reason


def test_each_part_is_checked_by_each_networks_count_and_named_by_its_index() -> None:
    found = threads.problems(draft("ok", "é" * 301, "   "), [channel("bluesky"), channel("x")])
    by_field: dict[str, list[str]] = {}
    for problem in found:
        by_field.setdefault(problem.field, []).append(problem.reason)
    assert set(by_field) == {"thread[1].text", "thread[2].text"}
    assert [r.split(":")[0] for r in by_field["thread[1].text"]] == ["Bluesky", "X"]
    assert by_field["thread[2].text"] == ["must not be empty"]


def test_at_most_25_parts_after_the_first_and_no_mode_without_a_thread() -> None:
    assert threads.problems(draft(*(["part"] * 25)), [channel("bluesky")]) == []
    (too_many,) = threads.problems(draft(*(["part"] * 26)), [channel("bluesky")])
    assert too_many.field == "thread" and "at most 25" in too_many.reason
    (lonely,) = threads.problems(draft(mode="comments"), [channel("bluesky")])
    assert lonely.field == "thread_mode"


def test_a_first_comment_is_checked_by_each_network() -> None:
    assert threads.comment_problems(draft(comment="Link: https://example.com"), [channel("bluesky")]) == []
    (long,) = threads.comment_problems(draft(comment="x" * 301), [channel("bluesky")])
    assert long.field == "first_comment.text" and long.reason.startswith("Bluesky:")
    assert threads.comment_problems(draft(comment="hi"), [channel("linkedin"), channel("instagram")]) == []
    (empty,) = threads.comment_problems(draft(comment=" "), [channel("bluesky")])
    assert empty.field == "first_comment.text"


def test_a_partial_reason_names_the_step_that_did_not_go_out() -> None:
    record = DeliveryRecord("p_1", "ch_1", text="one", thread=["two", "three"], first_comment="link")
    record.parts_out = [{"index": 0}, {"index": 1}]  # type: ignore[list-item]
    assert threads.partial_reason(record, "refused") == "2 of 3 parts are out; part 3 of 3 was not posted: refused"
    record.parts_out = [{"index": 0}, {"index": 1}, {"index": 2}]  # type: ignore[list-item]
    assert threads.partial_reason(record, "refused").endswith("the first comment was not posted: refused")
    single = DeliveryRecord("p_1", "ch_1", text="one", first_comment="link")
    single.parts_out = [{"index": 0}]  # type: ignore[list-item]
    assert threads.partial_reason(single, "x") == "the post is out; the first comment was not posted: x"
