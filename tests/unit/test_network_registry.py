"""The registry knows each network's queue-time text rules and builds its adapter."""

from __future__ import annotations

import pytest

from parley.connect.adapters import default_factory
from parley.networks.base import Credential
from parley.networks.bluesky import BlueskyAdapter
from parley.networks.mastodon import MastodonAdapter, MastodonLimits
from parley.networks.registry import check_text
from parley.networks.x import XAdapter


class NoSessions:
    def load(self) -> dict[str, str] | None:
        return None

    def save(self, session: dict[str, str]) -> None:
        return None


def test_each_network_refuses_by_its_own_rule() -> None:
    text = "a" * 301

    assert [bool(check_text(network, text)) for network in ("bluesky", "mastodon", "x")] == [True, False, True]


def test_mastodon_uses_the_instance_limits_when_given_and_500_otherwise() -> None:
    assert check_text("mastodon", "a" * 501) != []
    assert check_text("mastodon", "a" * 501, mastodon_limits=MastodonLimits(max_characters=1000)) == []


def test_an_unknown_network_is_named() -> None:
    assert check_text("myspace", "hi")[0].reason == "network 'myspace' is not supported"


def test_the_default_factory_builds_each_networks_adapter(monkeypatch: pytest.MonkeyPatch) -> None:
    credential = Credential("me", "secret", "http://127.0.0.1:9")
    monkeypatch.setattr("parley.connect.x_app.load_app", lambda prefix: None)  # parley's X app lives in SSM

    built = [type(default_factory(n, credential, NoSessions())) for n in ("bluesky", "mastodon", "x")]

    assert built == [BlueskyAdapter, MastodonAdapter, XAdapter]
