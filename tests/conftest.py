"""Fixtures shared by every test layer live in tests/support/ and are plugged in here."""

pytest_plugins = [
    "tests.support.aws",
    "tests.support.short_links",
    "tests.support.bluesky",
    "tests.support.peers",
    "tests.support.webhook",
]

from hypothesis import settings  # noqa: E402

# No test asserts on time: Hypothesis' default 200 ms deadline per example is such an assertion, and it failed a
# property test on a loaded machine. Each example may take as long as it takes.
settings.register_profile("parley", deadline=None)
settings.load_profile("parley")
