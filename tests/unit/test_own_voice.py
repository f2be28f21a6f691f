"""Our own voice is not an inbox item: what any channel of the workspace wrote is recognised, on every
network, by the rule of listening/own_voice.py (pure: plain stand-ins for channels, no store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from parley.listening.own_voice import accounts
from parley.networks.base import Seen

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@dataclass
class Channel:
    network: str
    handle: str
    remote_id: str


def _seen(author_id: str, author_handle: str, kind: str = "mention") -> Seen:
    return Seen(kind, "uri", "", author_id, author_handle, "Thanks @bob.test!", NOW, "root", "", None)


BRAND = Channel("bluesky", "brand.test", "did:plc:brand")
SUPPORT = Channel("bluesky", "support.brand.test", "did:plc:support")


def test_an_answer_by_another_channel_of_the_workspace_is_ours() -> None:
    own = accounts([BRAND, SUPPORT], SUPPORT)
    assert own.wrote(_seen("did:plc:brand", "brand.test"))
    assert own.wrote(_seen("did:plc:support", "support.brand.test", kind="reply"))
    assert not own.wrote(_seen("did:plc:bob", "bob.test"))


def test_the_reading_channel_counts_even_when_the_list_misses_it() -> None:
    assert accounts([], BRAND).wrote(_seen("did:plc:brand", ""))


def test_handles_are_compared_without_case_or_a_leading_at() -> None:
    own = accounts([Channel("x", "BrandCo", "111")], Channel("x", "brandco_help", "222"))
    assert own.wrote(_seen("", "@brandco"))
    assert own.wrote(_seen("222", "renamed"))
    assert not own.wrote(_seen("333", "brandco2"))


def test_channels_on_other_networks_do_not_count() -> None:
    own = accounts([Channel("x", "brand.test", "did:plc:brand"), BRAND], Channel("mastodon", "brand@m.test", "9"))
    assert not own.wrote(_seen("did:plc:brand", "brand.test"))
    assert not accounts([Channel("x", "bob", "1")], BRAND).wrote(_seen("1", "bob"))


def test_mastodon_ids_count_only_on_the_instance_that_gave_them_and_bare_accts_are_local() -> None:
    social = Channel("mastodon", "brand@mastodon.social", "109")
    other = Channel("mastodon", "brand@fosstodon.org", "42")
    own = accounts([social, other], social)
    assert own.wrote(_seen("109", "brand"))  # the reading account, local: acct is bare
    assert own.wrote(_seen("7777", "brand@fosstodon.org"))  # the other instance's account, by acct
    assert not own.wrote(_seen("42", "someone"))  # 42 on mastodon.social is somebody else
    assert not own.wrote(_seen("5", "brand@elsewhere.example"))


@pytest.mark.parametrize("network", ["facebook", "linkedin"])
def test_where_a_handle_is_a_display_name_only_ids_count(network: str) -> None:
    own = accounts([Channel(network, "Acme", "page-1")], Channel(network, "Acme Support", "page-2"))
    assert own.wrote(_seen("page-1", "Someone"))
    assert not own.wrote(_seen("person-9", "Acme"))  # a person named like the brand is not the brand


def test_threads_and_instagram_name_authors_by_username() -> None:
    own = accounts([Channel("threads", "acme", "1789")], Channel("threads", "acme.help", "1790"))
    assert own.wrote(_seen("acme", "acme"))  # Threads gives replies' authors by username only
    assert not own.wrote(_seen("bob", "bob"))
