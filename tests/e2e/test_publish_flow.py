"""End to end, as a marketer drives it: the local runtime over HTTP (embedded AWS, the firer, the API)
and a real local Bluesky network, with the runtime's clock advanced by the test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.bluesky_net import Account, BlueskyNetwork
from infra.local.runtime import LocalRuntime
from parley import store
from parley.shared import clock
from parley.shared.names import PUBLISH_VISIBILITY_SECONDS, SCHEDULE_LEAD_SECONDS
from parley.team import tokens

pytestmark = pytest.mark.bluesky


@dataclass
class Runtime:
    runtime: LocalRuntime
    clock: clock.ManualClock
    token: str
    account: Account
    network: BlueskyNetwork
    channel_id: str = ""

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token}", **headers}
        return requests.request(method, self.runtime.api_url + path, json=body, headers=headers, timeout=30)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.runtime.firer.run_due()

    def records(self) -> list[dict[str, Any]]:
        """Every post in the account's repo, straight from the PDS."""
        answer = requests.get(
            f"{self.network.pds_url}/xrpc/com.atproto.repo.listRecords",
            params={"repo": self.account.did, "collection": "app.bsky.feed.post", "limit": "100"},
            timeout=10,
        )
        answer.raise_for_status()
        return list(answer.json()["records"])

    def queue(self, text: str, minutes: float = 10) -> dict[str, Any]:
        publish_at = (self.clock.now() + timedelta(minutes=minutes)).isoformat()
        body = {"text": text, "channels": [self.channel_id], "publish_at": publish_at}
        answer = self.call("POST", "/posts", body, **{"Idempotency-Key": uuid.uuid4().hex})
        assert answer.status_code == 201, answer.text
        return dict(answer.json())

    def post(self, post_id: str) -> dict[str, Any]:
        answer = self.call("GET", f"/posts/{post_id}")
        assert answer.status_code == 200, answer.text
        return dict(answer.json())


def start_runtime(state_dir: Path, manual: clock.ManualClock, **chaos: Any) -> LocalRuntime:
    return LocalRuntime(state_dir, manual, firer_thread=False, **chaos).start()


def runtime_with_channel(network: BlueskyNetwork, state_dir: Path, prefix: str, **chaos: Any) -> Runtime:
    """A started runtime on a ManualClock, a workspace, and a new account on `network` connected to it."""
    manual = clock.ManualClock(datetime.now(UTC).replace(microsecond=0))
    runtime = start_runtime(state_dir, manual, **chaos)
    account = network.create_account(f"{prefix}{uuid.uuid4().hex[:8]}.test", f"{prefix}-password")
    issued = tokens.create_workspace(prefix.title(), "Ada")
    env = Runtime(runtime, manual, issued.token, account, network)
    connected = env.call(
        "POST",
        "/channels",
        {"identifier": account.handle, "app_password": account.password, "service_url": network.pds_url},
    )
    assert connected.status_code == 201, connected.text
    env.channel_id = connected.json()["id"]
    return env


@pytest.fixture
def rt(bluesky: BlueskyNetwork, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Runtime]:
    env = runtime_with_channel(bluesky, tmp_path / "state", "e2e", **getattr(request, "param", {}))
    yield env
    env.runtime.stop()


def run_to_publish_time(env: Runtime, minutes: float = 10) -> None:
    env.advance(minutes * 60 - SCHEDULE_LEAD_SECONDS)  # the schedule fires, 90 s early
    env.advance(SCHEDULE_LEAD_SECONDS)  # the delayed message becomes visible at the second


def test_a_queued_post_is_published_once_at_its_time_with_rich_text(rt: Runtime) -> None:
    post = rt.queue(f"Hello @{rt.network.accounts[0].handle}, see https://example.com/launch #launch")
    rt.advance(10 * 60 - SCHEDULE_LEAD_SECONDS - 1)
    assert rt.records() == [] and rt.post(post["id"])["status"] == "scheduled"  # never early

    rt.advance(1)  # the schedule fires, 90 s early; the message waits in the queue
    rt.advance(SCHEDULE_LEAD_SECONDS - 2)
    assert rt.records() == []  # two seconds before its time: still nothing
    rt.advance(1)  # the message is visible a second early; the function waits out that second, then posts
    done = rt.post(post["id"])
    (delivery,) = done["deliveries"]
    assert delivery["state"] == "published", delivery
    published_at, publish_at = (datetime.fromisoformat(t) for t in (delivery["published_at"], post["publish_at"]))
    assert published_at >= publish_at  # at its second, never before
    assert delivery["url"].startswith("https://bsky.app/profile/") and delivery["lag_ms"] >= 0
    (record,) = rt.records()
    assert record["uri"] == delivery["remote_id"]
    kinds = {f["features"][0]["$type"] for f in record["value"]["facets"]}
    assert kinds == {"app.bsky.richtext.facet#mention", "app.bsky.richtext.facet#link", "app.bsky.richtext.facet#tag"}


@pytest.mark.parametrize("rt", [{"duplicate_rate": 1.0, "seed": 7}], indirect=True)
def test_a_schedule_fired_twice_still_makes_one_record(rt: Runtime) -> None:
    post = rt.queue("Twice fired, once posted")
    run_to_publish_time(rt)
    rt.advance(PUBLISH_VISIBILITY_SECONDS + 1)  # the duplicate comes back after the lease holder is done
    assert rt.post(post["id"])["status"] == "published"
    assert len(rt.records()) == 1


def test_a_cancelled_post_is_never_posted(rt: Runtime) -> None:
    post = rt.queue("Never to be seen")
    assert rt.call("DELETE", f"/posts/{post['id']}").status_code == 200
    run_to_publish_time(rt)
    rt.advance(3600)
    assert rt.post(post["id"])["status"] == "cancelled"
    assert rt.records() == []


def test_an_idle_hour_runs_no_handler_and_leaves_no_schedule(rt: Runtime) -> None:
    """Nothing runs between events (issue 16 item 5): with a channel connected and nothing queued (the one
    post was cancelled), watched or expiring, an hour passes without one invocation or schedule."""
    post = rt.queue("Queued, then cancelled", minutes=30)
    assert rt.call("DELETE", f"/posts/{post['id']}").status_code == 200
    rt.runtime.firer.run_due()
    before = rt.runtime.functions.invocations()

    for _ in range(60):
        rt.advance(60)

    assert rt.runtime.functions.invocations() == before
    scheduler = rt.runtime.aws.client("scheduler")
    groups = [g["Name"] for g in scheduler.list_schedule_groups()["ScheduleGroups"]]
    assert {g: scheduler.list_schedules(GroupName=g)["Schedules"] for g in groups} == {g: [] for g in groups}


def test_a_crash_after_the_network_call_ends_published_with_one_record(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from parley.publishing import deliveries
    from parley.publishing import publish as publishing

    real = deliveries.mark_published
    crashes: list[int] = []

    def crash_once(*args: Any, **kwargs: Any) -> Any:
        if not crashes:
            crashes.append(1)
            raise RuntimeError("the function died before recording the outcome")
        return real(*args, **kwargs)

    monkeypatch.setattr(publishing.deliveries, "mark_published", crash_once)
    post = rt.queue("Published, then the function crashed")
    run_to_publish_time(rt)
    assert crashes and rt.post(post["id"])["status"] == "publishing"
    assert len(rt.records()) == 1

    rt.advance(PUBLISH_VISIBILITY_SECONDS + 1)  # the message returns; the lease has expired: take over, look
    done = rt.post(post["id"])
    assert done["status"] == "published", done
    assert done["deliveries"][0]["attempts"] == 2
    assert len(rt.records()) == 1


def test_posts_still_queued_go_out_once_after_a_restart(rt: Runtime, tmp_path: Path) -> None:
    posts = [rt.queue(f"Queued before the restart #{i}", minutes=10 + i) for i in range(3)]
    rt.runtime.stop()
    rt.runtime = start_runtime(tmp_path / "state", rt.clock)
    store.bind()
    run_to_publish_time(rt, minutes=13)
    assert [rt.post(p["id"])["status"] for p in posts] == ["published"] * 3
    assert len(rt.records()) == 3


def test_wrong_bluesky_credentials_are_refused_and_nothing_is_stored(rt: Runtime) -> None:
    before = rt.call("GET", "/channels").json()["items"]
    answer = rt.call(
        "POST",
        "/channels",
        {"identifier": rt.account.handle, "app_password": "wrong", "service_url": rt.network.pds_url},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "app_password"
    assert "wrong" not in answer.text
    assert rt.call("GET", "/channels").json()["items"] == before


def test_a_channel_whose_credentials_were_refused_is_reconnected_by_connecting_it_again(rt: Runtime) -> None:
    from parley.connect import channels

    channels.mark_needs_reauth(tokens.authenticate(f"Bearer {rt.token}").workspace_id, rt.channel_id, "revoked")
    body = {"text": "x", "channels": [rt.channel_id], "publish_at": rt.clock.now().isoformat()}
    refused = rt.call("POST", "/posts", body)
    assert refused.status_code == 422 and "reconnect" in refused.text

    again = rt.call(
        "POST",
        "/channels",
        {"identifier": rt.account.handle, "app_password": rt.account.password, "service_url": rt.network.pds_url},
    )
    assert again.status_code == 200 and again.json()["id"] == rt.channel_id and again.json()["status"] == "active"
    post = rt.queue("Back in business", minutes=10)
    run_to_publish_time(rt)
    assert rt.post(post["id"])["status"] == "published"
