"""A weekly series end to end (issue 19 item 4): the local runtime over HTTP (embedded AWS, the firer, the API)
and a real local Bluesky network, the runtime's manual clock advanced across New York's March DST change.
Three occurrences go out at 09:00 local each, once each, as three records; only the next is ever armed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from parley.shared.config import get_settings
from tests.e2e.test_publish_flow import Runtime, rt
from tests.e2e.test_queue_flow import run_to

pytestmark = pytest.mark.bluesky
__all__ = ["rt"]  # the runtime fixture, shared with the publish flow

NEW_YORK = ZoneInfo("America/New_York")


def test_three_weekly_occurrences_across_the_dst_change_go_out_once_each_at_nine_local(rt: Runtime) -> None:
    body: dict[str, Any] = {
        "text": "Tuesday tips 1: queue posts",
        "channels": [rt.channel_id],
        "publish_at": "2027-03-09T09:00:00",  # New York moves its clocks on 14 March
        "time_zone": "America/New_York",
        "repeat": {"rrule": "FREQ=WEEKLY;COUNT=3", "variants": ["Tuesday tips 2: slots", "Tuesday tips 3: series"]},
    }
    answer = rt.call("POST", "/posts", body, **{"Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code == 201, answer.text
    series_id = answer.json()["series"]["id"]

    published = []
    for n in (1, 2, 3):
        post = rt.post(f"{series_id}-{n}")
        scheduler = rt.runtime.aws.client("scheduler")
        listed = scheduler.list_schedules(GroupName=get_settings().schedule_group)["Schedules"]
        names = [s["Name"] for s in listed]
        assert any(name.startswith(f"d-{series_id}-{n}-") for name in names), names  # the live one is armed
        assert not any(name.startswith(f"d-{series_id}-{n + 1}-") for name in names)  # ... and only it
        at = datetime.fromisoformat(post["publish_at"])
        assert at.astimezone(NEW_YORK).hour == 9
        run_to(rt, at)
        (delivery,) = rt.post(f"{series_id}-{n}")["deliveries"]
        assert delivery["state"] == "published", delivery
        published.append(delivery)

    assert [datetime.fromisoformat(d["publish_at"]).hour for d in published] == [14, 13, 13]  # UTC: EST, then EDT
    records = rt.records()
    assert sorted(r["uri"] for r in records) == sorted(d["remote_id"] for d in published)  # one each, no duplicate
    assert sorted(r["value"]["text"] for r in records) == [body["text"], *body["repeat"]["variants"]]
    assert rt.call("GET", f"/series/{series_id}").json()["status"] == "ended"
