"""End to end: a post published on the local Bluesky network tells the workspace's webhook, signed, and a
real local receiver verifies it (the local runtime over HTTP: embedded AWS, the firer, the functions)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from infra.local.bluesky_net import BlueskyNetwork
from parley.shared.names import Env
from tests.e2e.test_publish_flow import Runtime, run_to_publish_time, runtime_with_channel
from tests.support.receiver import Receiver, webhook_receiver

pytestmark = pytest.mark.bluesky


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as r:
        yield r


@pytest.fixture
def rt(bluesky: BlueskyNetwork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    monkeypatch.setenv(Env.OUTBOUND_ALLOWED_HOSTS.value, "127.0.0.1")  # the receiver is on loopback
    env = runtime_with_channel(bluesky, tmp_path / "state", "hooks")
    yield env
    env.runtime.stop()


def test_a_published_post_sends_a_signed_post_published_that_the_receiver_verifies(
    rt: Runtime, receiver: Receiver
) -> None:
    created = rt.call("POST", "/webhooks", {"url": receiver.url, "events": ["post.published", "post.failed"]})
    assert created.status_code == 201, created.text
    hook = created.json()
    # two minutes ahead: the runtime's clock signs, the receiver checks on the wall clock (5 minutes' tolerance)
    post = rt.queue("Told by webhook", minutes=2)
    run_to_publish_time(rt, minutes=2)
    rt.runtime.firer.run_due()
    (delivery,) = rt.post(post["id"])["deliveries"]
    assert delivery["state"] == "published"
    assert rt.call("GET", f"/channels/{rt.channel_id}").json()["health"]["last_published_at"] is not None

    (payload,) = receiver.verified(hook["secret"])
    assert payload["type"] == "post.published"
    data = payload["data"]
    assert data["post_id"] == post["id"] and data["channel_id"] == rt.channel_id and data["network"] == "bluesky"
    assert data["remote_id"] == delivery["remote_id"] and data["url"] == delivery["url"]
    with pytest.raises(WebhookVerificationError):  # a receiver with another secret refuses it
        other = Webhook("whsec_" + "QnVuY2hvZnNlY3JldGJ5dGVzaGVyZQ==")
        other.verify(receiver.received[0].body, receiver.received[0].headers)

    log = rt.call("GET", f"/webhooks/{hook['id']}/deliveries").json()["items"]
    assert [(d["event_type"], d["status"], d["attempts"]) for d in log] == [("post.published", "delivered", 1)]
