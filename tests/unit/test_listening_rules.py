"""Pure rules of listening: the decaying cadence, inbox ids from network ids, sentiment labels, and what
a thread or a notification list holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from parley.listening import cadence, seen, sentiment

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def test_the_cadence_starts_at_minutes_and_slows_to_days() -> None:
    assert cadence.interval(timedelta(0)) == timedelta(minutes=2)
    assert cadence.interval(timedelta(hours=3)) == timedelta(minutes=15)
    assert cadence.interval(timedelta(days=5)) == timedelta(days=1)


@given(st.integers(min_value=0, max_value=10 * 86400), st.integers(min_value=1, max_value=10 * 86400))
def test_the_cadence_never_speeds_up(age: int, later: int) -> None:
    assert cadence.interval(timedelta(seconds=age + later)) >= cadence.interval(timedelta(seconds=age))


@given(st.integers(min_value=0, max_value=8 * 86400))
def test_the_next_poll_is_later_and_never_past_the_window(seconds: int) -> None:
    now = T0 + timedelta(seconds=seconds)
    following = cadence.next_poll(T0, now, T0 + WEEK)
    if now >= T0 + WEEK:
        assert following is None
    else:
        assert following is not None and now < following <= T0 + WEEK


def test_a_week_of_watching_costs_a_bounded_number_of_polls() -> None:
    assert 50 < cadence.polls_over_window(WEEK) < 100


def test_an_inbox_id_is_the_same_for_the_same_network_post_and_differs_otherwise() -> None:
    uri = "at://did:plc:a/app.bsky.feed.post/3abc"
    assert seen.item_id("bluesky", uri) == seen.item_id("bluesky", uri)
    assert seen.item_id("bluesky", uri) != seen.item_id("bluesky", uri + "d")


def test_sentiment_labels_follow_vaders_thresholds() -> None:
    assert [sentiment.label(x) for x in (0.05, 0.0499, -0.0499, -0.05)] == [
        "positive",
        "neutral",
        "neutral",
        "negative",
    ]


def test_sentiment_scores_obvious_texts() -> None:
    assert sentiment.score("I love this, what a great launch!")[0] == "positive"
    assert sentiment.score("This is terrible, broken and awful.")[0] == "negative"


def _post(uri: str, did: str, text: str, parent: str | None = None) -> dict[str, object]:
    record: dict[str, object] = {"text": text, "createdAt": "2026-11-23T09:05:00.000Z"}
    if parent:
        record["reply"] = {"root": {"uri": "at://root", "cid": "rootcid"}, "parent": {"uri": parent, "cid": "c"}}
    return {"uri": uri, "cid": uri + "-cid", "author": {"did": did, "handle": did + ".test"}, "record": record}


def test_replies_are_found_at_any_depth_but_our_own_are_not() -> None:
    thread = {
        "post": {"uri": "at://root", "cid": "rootcid", "likeCount": 3},
        "replies": [
            {
                "post": _post("at://r1", "alice", "first", parent="at://root"),
                "replies": [
                    {"post": _post("at://r2", "bob", "nested", parent="at://r1"), "replies": []},
                    {"post": _post("at://mine", "brand", "our answer", parent="at://r1")},
                ],
            },
            {"$type": "app.bsky.feed.defs#blockedPost", "uri": "at://blocked"},
        ],
    }
    found = {s.uri: s for s in seen.replies_in_thread(thread, own_id="brand")}
    assert set(found) == {"at://r1", "at://r2"}
    assert found["at://r2"].parent_uri == "at://r1" and found["at://r2"].root_uri == "at://root"
    assert seen.counters(thread["post"]) == {"like": 3, "repost": 0, "reply": 0, "quote": 0}  # type: ignore[arg-type]


def test_only_mention_notifications_are_mentions() -> None:
    notes = [
        {"reason": "mention", **_post("at://m1", "carol", "hey @brand.test")},
        {"reason": "like", **_post("at://l1", "dave", "")},
    ]
    (mention,) = seen.mentions_in(notes)
    assert mention.kind == "mention" and mention.root_uri == "at://m1" and mention.parent_uri is None


def test_listener_queries_are_normalised_and_checked() -> None:
    import pytest

    from parley.listening.listeners import query_for
    from parley.shared.errors import ValidationFailed

    assert query_for("hashtag", "launch") == query_for("hashtag", "#launch") == "#launch"
    assert query_for("keyword", " parley ") == "parley" and query_for("mentions", None) is None
    for kind, value in (("hashtag", "two words"), ("keyword", ""), ("weather", "x")):
        with pytest.raises(ValidationFailed):
            query_for(kind, value)


def test_search_matches_skip_our_own_posts() -> None:
    posts = [_post("at://theirs", "carol", "#launch is great"), _post("at://ours", "brand", "#launch today")]
    assert [m.uri for m in seen.matches_in(posts, own_id="brand")] == ["at://theirs"]
