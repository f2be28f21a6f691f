"""Approval end to end (issue 17 item 3): the local runtime over HTTP and a real local Bluesky network. A
contributor's post waits; approved, it goes out once at its time; not approved in time, it is never posted."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import requests

from parley.team import members, tokens
from tests.e2e.test_publish_flow import Runtime, rt, run_to_publish_time

pytestmark = pytest.mark.bluesky
__all__ = ["rt"]  # the runtime fixture, shared with the publish flow


def contributor(env: Runtime) -> str:
    """A contributor of the runtime's workspace: their token."""
    me = env.call("GET", "/me").json()
    return tokens.add_member(me["workspace"]["id"], "Cy", members.Role.CONTRIBUTOR).token


def submit(env: Runtime, token: str, text: str, minutes: float = 10) -> dict[str, Any]:
    publish_at = (env.clock.now() + timedelta(minutes=minutes)).isoformat()
    answer = requests.post(
        env.runtime.api_url + "/posts",
        json={"text": text, "channels": [env.channel_id], "publish_at": publish_at},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    assert answer.status_code == 201, answer.text
    post = dict(answer.json())
    assert post["status"] == "pending_approval"
    return post


def test_an_approved_contributors_post_goes_out_once_at_its_time(rt: Runtime) -> None:
    post = submit(rt, contributor(rt), "Approved, then posted")
    rt.advance(60)
    approved = rt.call("POST", f"/posts/{post['id']}/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "scheduled", approved.text
    run_to_publish_time(rt, minutes=10 - 1)
    done = rt.post(post["id"])
    assert done["status"] == "published", done
    assert [h["action"] for h in done["history"]] == ["submitted", "approved"]
    (record,) = rt.records()
    assert record["uri"] == done["deliveries"][0]["remote_id"]


def test_a_post_still_waiting_at_its_time_is_never_posted_and_says_missed_approval(rt: Runtime) -> None:
    post = submit(rt, contributor(rt), "Nobody approved me")
    run_to_publish_time(rt)
    rt.advance(3600)
    seen = rt.post(post["id"])
    assert seen["status"] == "missed_approval", seen
    assert seen["deliveries"][0]["failure_reason"] == "missed_approval"
    assert rt.records() == []
    late = rt.call("POST", f"/posts/{post['id']}/approve")
    assert late.status_code == 409 and "missed_approval" in late.json()["detail"]
