"""What the adapters of OAuth networks (LinkedIn, Facebook, Instagram, Threads) share: the channel's
credential, its sessions, the clock and one HTTP session, and the token to send: the one token upkeep
renewed (kept in the channel's SessionStore as `access_token`, as for X) before the credential's own."""

from __future__ import annotations

import requests

from parley.networks.base import Credential, SessionStore
from parley.shared.clock import Clock, get_clock


class TokenAdapter:
    TIMEOUT = 10.0  # seconds per call, unless a network needs longer

    def __init__(
        self,
        credential: Credential,
        sessions: SessionStore | None = None,
        clock: Clock | None = None,
        http: requests.Session | None = None,
        timeout: float | None = None,
    ) -> None:
        self._credential = credential
        self._sessions = sessions
        self._clock = clock or get_clock()
        self._http = http or requests.Session()
        self._timeout = timeout if timeout is not None else self.TIMEOUT
        self._session_token: str | None = None

    def _token(self) -> str:
        if self._session_token is None:
            stored = self._sessions.load() if self._sessions is not None else None
            self._session_token = str((stored or {}).get("access_token") or "")
        return self._session_token or self._credential.secret
