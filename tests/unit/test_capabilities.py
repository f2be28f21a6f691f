"""What GET /channels says a channel provides agrees with what parley actually reads and offers."""

from __future__ import annotations

from parley.listening.listeners import KEYWORDS_UNSEARCHABLE, NO_LISTENERS
from parley.metrics.views import COUNTERS
from parley.networks.capabilities import CAPABILITIES
from parley.networks.registry import NETWORKS


def test_every_network_has_an_entry_and_its_counters_use_the_metrics_names() -> None:
    assert set(CAPABILITIES) == set(NETWORKS)
    for network, entry in CAPABILITIES.items():
        assert set(entry["counters"]) <= set(COUNTERS), network


def test_a_network_said_to_be_searchable_takes_listeners_and_one_said_not_refuses_them() -> None:
    for network, entry in CAPABILITIES.items():
        assert entry["search"] == (network not in NO_LISTENERS), network
    assert set(KEYWORDS_UNSEARCHABLE) <= {n for n, e in CAPABILITIES.items() if e["search"]}


def test_a_network_said_to_thread_by_replies_or_to_take_comments_has_a_listener_that_answers() -> None:
    # a thread's later parts and its comments go out through the network's own answer path
    for network, entry in CAPABILITIES.items():
        assert entry["thread"] in ("replies", None), network
        if entry["thread"] == "replies" or entry["comments"]:
            assert entry["answers"], network
