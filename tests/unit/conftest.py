"""Unit tests are pure: no sockets."""

import socket

import pytest


@pytest.fixture(autouse=True)
def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unit tests do not open sockets; use an integration test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
