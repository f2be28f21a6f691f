"""Short links on (a public base URL set) and the parley clock held still: the metrics tests' fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.names import Env

BASE = "https://go.example.test"


@pytest.fixture
def short_links_on(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv(Env.PUBLIC_BASE_URL.value, BASE)
    get_settings.cache_clear()
    yield
    monkeypatch.delenv(Env.PUBLIC_BASE_URL.value)
    get_settings.cache_clear()


@pytest.fixture
def frozen() -> Iterator[clock.ManualClock]:
    """The parley clock held still: every click falls in one hour, whatever the wall clock does."""
    manual = clock.ManualClock(clock.now())
    previous = clock.get_clock()
    clock.set_clock(manual)
    yield manual
    clock.set_clock(previous)
