"""Fixtures shared by every test layer live in tests/support/ and are plugged in here."""

pytest_plugins = [
    "tests.support.aws",
    "tests.support.short_links",
    "tests.support.bluesky",
    "tests.support.peers",
    "tests.support.webhook",
]
