"""A thread's replies built each network's way, through parley's own listeners on stand-ins that answer
at the level of the networks' HTTP calls: Mastodon (`in_reply_to_id`, an `Idempotency-Key` per part, which
the instance honours) and X (`reply.in_reply_to_tweet_id`, no key: a part is looked for before it is posted
again), each with a failure right after part 3 reached the network, before parley recorded it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from parley.connect import adapters
from parley.networks.base import Account, Credential, Published, PublishRequest, SessionStore
from parley.networks.mastodon import idempotency_key
from parley.publishing import deliveries, posts
from parley.publishing import publish as publishing
from parley.publishing.deliveries import State
from parley.scheduling import PublishMessage
from parley.scheduling.wiring import arming
from parley.shared import clock
from parley.shared.errors import FieldProblem
from parley.store.keys import DeliveryKey
from tests.integration.test_thread_publishing import START, keys, state, thread_delivery


@dataclass
class Server:
    """What the network holds: posts by id, each with the text, what it answers and the key it came with."""

    network: str
    posts: list[dict[str, Any]] = field(default_factory=list)
    creates: int = 0

    def adapter(self, network: str, credential: Credential, sessions: SessionStore) -> Server:
        return self

    def check_text(self, text: str) -> list[FieldProblem]:
        return []

    def verify(self, credential: Credential) -> Account:
        raise NotImplementedError

    def _new(self, text: str, parent: str | None, key: str | None) -> dict[str, Any]:
        if key is not None:  # Mastodon: the same Idempotency-Key answers the first status
            for post in self.posts:
                if post["key"] == key:
                    return post
        self.creates += 1
        post = {"id": str(1000 + len(self.posts)), "text": text, "parent": parent, "key": key}
        self.posts.append(post)
        return post

    # the first part, as the adapters publish a single post (their own tests cover this path)
    def publish(self, request: PublishRequest) -> Published:
        found = self.find(request) if request.look_first else None
        if found is not None:
            return found
        post = self._new(request.text, None, idempotency_key(request.delivery_id))
        return Published(post["id"], f"https://net/{post['id']}", clock.now())

    def find(self, request: PublishRequest) -> Published | None:
        for post in self.posts:
            if post["parent"] is None and post["text"] == request.text:
                return Published(post["id"], f"https://net/{post['id']}", clock.now(), already_there=True)
        return None

    # what the listeners call
    def account_id(self) -> str:
        return "acct_1"

    def user_id(self) -> str:
        return "user_1"

    def get_json(self, path: str, params: dict[str, str] | None = None, doing: str = "") -> Any:
        if self.network == "mastodon":  # the account's statuses, newest first
            return [
                {"id": p["id"], "content": f"<p>{p['text']}</p>", "in_reply_to_id": p["parent"], "url": "u"}
                for p in reversed(self.posts)
            ]
        data = [
            {"id": p["id"], "text": p["text"], "referenced_posts": [{"type": "replied_to", "id": p["parent"]}]}
            for p in reversed(self.posts)
            if p["parent"]
        ]
        return {"data": data}

    def post_json(self, path: str, body: dict[str, Any], doing: str = "", headers: dict[str, str] | None = None) -> Any:
        if self.network == "mastodon":
            key = (headers or {}).get("Idempotency-Key")
            post = self._new(body["status"], body.get("in_reply_to_id"), key)
            return {"id": post["id"], "url": f"https://net/{post['id']}"}
        post = self._new(body["text"], body["reply"]["in_reply_to_tweet_id"], None)
        return {"data": {"id": post["id"]}}


@pytest.fixture(params=["mastodon", "x"])
def server(aws: str, request: pytest.FixtureRequest) -> Iterator[Server]:
    clock.set_clock(clock.ManualClock(START))
    fake = Server(request.param)
    adapters.set_factory(fake.adapter)  # type: ignore[arg-type]
    yield fake
    adapters.set_factory(None)
    clock.set_clock(clock.SystemClock())


def test_parts_reply_each_to_the_one_before_and_a_failure_after_part_3_posts_nothing_twice(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    key: DeliveryKey = thread_delivery(5, network=server.network)
    real_note = deliveries.note_part
    failed: list[int] = []

    def fail_after_part_3(record: Any, part: dict[str, Any]) -> Any:
        if part["index"] == 2 and not failed:  # part 3 is on the network; parley dies before recording it
            failed.append(2)
            raise RuntimeError("the function died")
        return real_note(record, part)

    monkeypatch.setattr(deliveries, "note_part", fail_after_part_3)
    assert publishing.handle_due(PublishMessage(key, START), arming()).state == State.RETRYING.value
    clock.get_clock().sleep(120)  # type: ignore[attr-defined]
    assert publishing.handle_due(PublishMessage(key, state(key).due_at), arming()).state == State.PUBLISHED.value

    assert server.creates == 5  # each part once: part 3 found again (Mastodon: by its key; X: by looking)
    assert [p["text"] for p in server.posts] == [f"part {i}" for i in range(1, 6)]
    assert [p["parent"] for p in server.posts] == [None, *(p["id"] for p in server.posts[:-1])]
    if server.network == "mastodon":  # an Idempotency-Key of its own per part
        assert [p["key"] for p in server.posts] == [idempotency_key(k) for k in keys(key, 5)]
    shown = posts.delivery_view(state(key))["parts"]
    assert [p["remote_id"] for p in shown] == [p["id"] for p in server.posts]
