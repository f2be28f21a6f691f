"""parley: queue posts, publish them on time exactly once, listen to what comes back."""

__version__ = "0.1.0"  # pyproject.toml's version (tests/unit/test_version.py holds them equal); the API's too
