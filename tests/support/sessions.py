"""A SessionStore kept in memory, for adapter tests: what an adapter loads and saves, and how often."""

from __future__ import annotations


class MemoryStore:
    def __init__(self, session: dict[str, str] | None = None) -> None:
        self.session = session
        self.loads = 0
        self.saved: list[dict[str, str]] = []

    def load(self) -> dict[str, str] | None:
        self.loads += 1
        return dict(self.session) if self.session else None

    def save(self, session: dict[str, str]) -> None:
        self.saved.append(dict(session))
        self.session = dict(session)
