"""One post to Bluesky and Mastodon at once, through the local runtime: a real local Bluesky network and
`mastodon_mock` (a mock written by others; no Mastodon server can be installed here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.local.bluesky_net import BlueskyNetwork
from tests.e2e.test_publish_flow import Runtime, runtime_with_channel
from tests.support.peers import MastodonMock

pytestmark = [pytest.mark.bluesky, pytest.mark.peers]


@pytest.fixture
def both(
    bluesky: BlueskyNetwork, mastodon_mock: MastodonMock, tmp_path: Path
) -> Iterator[tuple[Runtime, str, str, str]]:
    env = runtime_with_channel(bluesky, tmp_path / "state", "multi")
    token = mastodon_mock.new_account(f"brand{uuid.uuid4().hex[:6]}")
    mastodon_channel = env.call(
        "POST", "/channels", {"network": "mastodon", "access_token": token, "service_url": mastodon_mock.base_url}
    )
    assert mastodon_channel.status_code == 201, mastodon_channel.text
    yield env, env.channel_id, mastodon_channel.json()["id"], token
    env.runtime.stop()


def test_one_post_goes_out_once_on_each_network(
    both: tuple[Runtime, str, str, str], mastodon_mock: MastodonMock
) -> None:
    env, bluesky_channel, mastodon_channel, token = both
    body = {
        "text": "Launch day, everywhere at once",
        "overrides": {"mastodon": {"text": "Launch day, everywhere at once (and here, with more to say)"}},
        "channels": [bluesky_channel, mastodon_channel],
        "publish_at": env.clock.now().isoformat(),
    }
    answer = env.call("POST", "/posts", body, **{"Idempotency-Key": "multi-1"})
    assert answer.status_code == 201, answer.text
    env.advance(1)  # due now: handed to the queue with a second's delay
    env.advance(1)

    deliveries = {d["network"]: d for d in env.post(answer.json()["id"])["deliveries"]}
    assert {n: d["state"] for n, d in deliveries.items()} == {"bluesky": "published", "mastodon": "published"}
    (record,) = env.records()
    assert record["value"]["text"] == "Launch day, everywhere at once"
    (status,) = mastodon_mock.statuses_of(token)
    assert status["id"] == deliveries["mastodon"]["remote_id"] and "with more to say" in str(status["content"])


def test_a_wrong_mastodon_token_is_refused_naming_the_field(
    both: tuple[Runtime, str, str, str], mastodon_mock: MastodonMock
) -> None:
    env, _, _, _ = both
    answer = env.call(
        "POST", "/channels", {"network": "mastodon", "access_token": "nope", "service_url": mastodon_mock.base_url}
    )
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "access_token"
    missing = env.call("POST", "/channels", {"network": "mastodon", "service_url": mastodon_mock.base_url})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "access_token"


def test_text_over_the_instances_limit_is_refused_at_queue_time_naming_mastodon(
    both: tuple[Runtime, str, str, str],
) -> None:
    env, _, mastodon_channel, _ = both
    publish_at = env.clock.now().isoformat()
    body = {"text": "x" * 501, "channels": [mastodon_channel], "publish_at": publish_at}
    answer = env.call("POST", "/posts", body)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["reason"].startswith("Mastodon: ")
