"""The weekly queue end to end (issue 17 item 2): the local runtime over HTTP and a real local Bluesky network.
Posts added to the queue at the same moment take distinct slots, and each goes out once, at its slot."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from parley.shared.names import SCHEDULE_LEAD_SECONDS
from tests.e2e.test_publish_flow import Runtime, rt

pytestmark = pytest.mark.bluesky
__all__ = ["rt"]  # the runtime fixture, shared with the publish flow

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def add_to_queue(env: Runtime, text: str) -> dict[str, Any]:
    answer = requests.post(
        env.runtime.api_url + "/posts",
        json={"text": text, "channels": [env.channel_id], "publish_at": "next_slot"},
        headers={"Authorization": f"Bearer {env.token}", "Idempotency-Key": uuid.uuid4().hex},
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def _time(post: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(post["deliveries"][0]["publish_at"])


def run_to(env: Runtime, at: datetime) -> None:
    """The clock to `at`, as Scheduler would see it: the schedule fires early, the message is due at the second."""
    env.advance((at - env.clock.now()).total_seconds() - SCHEDULE_LEAD_SECONDS)
    env.advance(SCHEDULE_LEAD_SECONDS)


def test_posts_added_at_once_take_distinct_slots_and_each_goes_out_once_at_its_own(rt: Runtime) -> None:
    now = rt.clock.now().astimezone(UTC)
    first = (now + timedelta(minutes=11)).replace(second=0, microsecond=0)
    slots = [first + timedelta(minutes=10 * n) for n in range(3)]  # every day: three slots, ten minutes apart
    times = {"time_zone": "UTC", "times": [{"days": DAYS, "at": [s.strftime("%H:%M") for s in slots]}]}
    assert rt.call("PUT", f"/channels/{rt.channel_id}/slots", times).status_code == 200

    with ThreadPoolExecutor(max_workers=6) as pool:  # six adds at the same moment
        added = list(pool.map(lambda n: add_to_queue(rt, f"Queued post {n}"), range(6)))
    taken = sorted(_time(p) for p in added)
    assert taken == sorted([*slots, *(s + timedelta(days=1) for s in slots)])  # six distinct slots, none skipped

    queue = rt.call("GET", f"/channels/{rt.channel_id}/queue?limit=6").json()
    assert [item["post"]["id"] for item in queue["items"]] == [p["id"] for p in sorted(added, key=_time)]

    by_time = {_time(p): p["id"] for p in added}
    for slot in slots:
        run_to(rt, slot)
        assert rt.post(by_time[slot])["status"] == "published"
    rt.advance(60)
    records = rt.records()
    assert len(records) == 3  # today's three, each once; tomorrow's still wait
    published = {rt.post(by_time[s])["deliveries"][0]["remote_id"] for s in slots}
    assert {r["uri"] for r in records} == published
    tomorrow = [rt.post(by_time[s + timedelta(days=1)])["status"] for s in slots]
    assert tomorrow == ["scheduled"] * 3
