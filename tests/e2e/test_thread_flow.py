"""A thread with a first comment, end to end on the real local Bluesky network (docs/threads.md): queued
through the API, published by the runtime's firer; a crash-like failure right after part 3 reached the PDS
(before parley recorded it) is resumed by the retry: 5 parts and the comment, each once, chained by their
strong refs."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from infra.local.bluesky_net import BlueskyNetwork
from parley.publishing import deliveries
from tests.e2e.test_publish_flow import Runtime, run_to_publish_time, runtime_with_channel

pytestmark = pytest.mark.bluesky


@pytest.fixture
def rt(bluesky: BlueskyNetwork, tmp_path: Path) -> Iterator[Runtime]:
    env = runtime_with_channel(bluesky, tmp_path / "state", "thread")
    yield env
    env.runtime.stop()


def test_a_five_part_thread_and_its_first_comment_survive_a_crash_after_part_3(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_note = deliveries.note_part
    crashed: list[int] = []

    def crash_after_part_3(record: Any, part: dict[str, Any]) -> Any:
        if part["index"] == 2 and not crashed:  # part 3 is on the PDS; the process dies before recording it
            crashed.append(2)
            raise RuntimeError("the function died")
        return real_note(record, part)

    monkeypatch.setattr(deliveries, "note_part", crash_after_part_3)
    texts = [f"Launch thread, part {i} of 5" for i in range(1, 6)]
    body = {
        "text": texts[0],
        "channels": [rt.channel_id],
        "publish_at": (rt.clock.now() + timedelta(minutes=10)).isoformat(),
        "thread": [{"text": t} for t in texts[1:]],
        "first_comment": {"text": "Release notes: https://example.com/notes"},
    }
    answer = rt.call("POST", "/posts", body)
    assert answer.status_code == 201, answer.text
    post_id = answer.json()["id"]

    run_to_publish_time(rt)
    assert crashed == [2]
    for _ in range(20):  # the retry, after its backoff
        if rt.post(post_id)["deliveries"][0]["state"] == "published":
            break
        rt.advance(15)
    (delivery,) = rt.post(post_id)["deliveries"]
    assert delivery["state"] == "published", delivery
    assert [p["state"] for p in delivery["parts"]] == ["published"] * 5
    assert delivery["first_comment"]["state"] == "published"

    records = {r["value"]["text"]: r for r in rt.records()}
    assert len(rt.records()) == 6  # 5 parts and the comment, none twice
    parts = [records[t] for t in texts]
    root = parts[0]
    assert "reply" not in root["value"] and root["uri"] == delivery["remote_id"]
    for before, this in itertools.pairwise(parts):
        reply = this["value"]["reply"]
        assert reply["parent"] == {"uri": before["uri"], "cid": before["cid"]}
        assert reply["root"] == {"uri": root["uri"], "cid": root["cid"]}
    comment = records["Release notes: https://example.com/notes"]["value"]["reply"]
    assert comment["parent"]["uri"] == root["uri"] and comment["root"]["uri"] == root["uri"]
    assert [p["remote_id"] for p in delivery["parts"]] == [p["uri"] for p in parts]
