"""Local stand-ins for Mastodon and X, one of each per test session, on free loopback ports.

- ``mastodon_mock``: the `mastodon_mock` package (PyPI; a mock of Mastodon's REST API written by others,
  FastAPI + in-memory SQLite), not a Mastodon server: none can be installed here (LOCAL-PEERS.md). It
  honours `Idempotency-Key`, serves `/api/v2/instance`, and can be told to fail (`/api/v1/_mock/faults`).
- ``prism_x``: Prism (`@stoplight/prism-cli`, pinned in tests/peers/prism) serving X's own OpenAPI
  description (../shared/peers/x-openapi.json) as a validating mock: it checks each request against the
  spec (auth, parameters, body shape) and answers with placeholder examples. It keeps no state, so the
  X adapter's behaviour is tested on recorded responses (tests/unit/test_x_adapter.py) and Prism proves
  the request shapes. `PrismSession` records every violation Prism reports about a request.

Tests using them are marked ``@pytest.mark.peers``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.runtime import outbound_allowed

ROOT = Path(__file__).resolve().parents[2]
PRISM_DIR = ROOT / "tests" / "peers" / "prism"
PRISM_CLI = PRISM_DIR / "node_modules" / ".bin" / "prism"
INSTALL_PRISM = ROOT / "scripts" / "install-prism.sh"
START_TIMEOUT = 60


def x_spec_path() -> Path:
    """X's OpenAPI description: shared/ lies beside the checkout (../shared), here and on CI."""
    override = os.environ.get("PARLEY_X_OPENAPI")
    return Path(override) if override else ROOT.parent / "shared" / "peers" / "x-openapi.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float) -> float:
    """Poll `url` until it answers (any status); returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise RuntimeError(
                f"{url} exited with {process.returncode} before it was ready:\n{log.read_text()[-3000:]}"
            )
        try:
            requests.get(url, timeout=1)
        except requests.RequestException:
            time.sleep(0.1)
            continue
        return time.monotonic() - started
    process.terminate()
    raise RuntimeError(f"{url} was not ready after {timeout} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# -- Mastodon ----------------------------------------------------------------------------------------------


@dataclass
class MastodonMock:
    """A running `mastodon_mock` (a mock written by others) and helpers of its own control plane."""

    base_url: str
    started_in: float

    def new_account(self, username: str) -> str:
        """Create a local account; returns its access token (the mock's `/_mock/dev_user`)."""
        response = requests.post(f"{self.base_url}/api/v1/_mock/dev_user", json={"username": username}, timeout=5)
        response.raise_for_status()
        return str(response.json()["access_token"])

    def add_fault(self, rule: dict[str, Any]) -> None:
        """Make the mock fail matching requests (`/api/v1/_mock/faults`, see its spec/fault_injection.md)."""
        requests.post(f"{self.base_url}/api/v1/_mock/faults", json=rule, timeout=5).raise_for_status()

    def clear_faults(self) -> None:
        requests.delete(f"{self.base_url}/api/v1/_mock/faults", timeout=5).raise_for_status()

    def statuses_of(self, token: str) -> list[dict[str, Any]]:
        """The account's statuses, newest first, read with its own token."""
        me = requests.get(
            f"{self.base_url}/api/v1/accounts/verify_credentials",
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        ).json()
        response = requests.get(
            f"{self.base_url}/api/v1/accounts/{me['id']}/statuses",
            params={"limit": "40"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=5,
        )
        response.raise_for_status()
        return list(response.json())


@pytest.fixture(scope="session")
def mastodon_mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MastodonMock]:
    """`mastodon_mock serve --in-memory` on a free loopback port (~2 s to start), once per session."""
    workdir = tmp_path_factory.mktemp("mastodon-mock")  # it reads .mastodon_mock.toml from its cwd: none here
    log = workdir / "server.log"
    port = _free_port()
    command = [sys.executable, "-m", "mastodon_mock", "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--in-memory", "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=workdir, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        started_in = _wait_until_ready(process, f"{base_url}/api/v2/instance", log, START_TIMEOUT)
        with outbound_allowed(base_url):  # a channel's instance is reached through parley's outbound fetcher
            yield MastodonMock(base_url, started_in)
    finally:
        _stop(process)


# -- X -------------------------------------------------------------------------------------------------------


@dataclass
class PrismX:
    """A running Prism serving X's OpenAPI description."""

    base_url: str
    started_in: float


class PrismSession(requests.Session):
    """A requests session that keeps every request violation Prism reports (`sl-violations` header).
    Violations about Prism's own placeholder responses (location "response") are not ours and are left out."""

    def __init__(self) -> None:
        super().__init__()
        self.violations: list[tuple[str, str, Any]] = []
        self.calls: list[tuple[str, str, int]] = []

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        self.calls.append((str(method), str(response.request.url), response.status_code))
        raw = response.headers.get("sl-violations")
        if raw:
            for violation in json.loads(raw):
                if (violation.get("location") or [""])[0] == "request":
                    self.violations.append((str(method), str(url), violation))
        return response


@pytest.fixture(scope="session")
def prism_x(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrismX]:
    """`prism mock` of ../shared/peers/x-openapi.json on a free loopback port, once per session. Installs
    Prism first when it is missing (scripts/install-prism.sh: idempotent, ~10 s the first time)."""
    spec = x_spec_path()
    if not spec.is_file():
        pytest.fail(f"X's OpenAPI description is missing: {spec} (shared/ must lie beside the checkout)")
    if not PRISM_CLI.exists():
        subprocess.run([str(INSTALL_PRISM)], check=True, stdin=subprocess.DEVNULL)
    workdir = tmp_path_factory.mktemp("prism-x")
    log = workdir / "prism.log"
    port = _free_port()
    command = [str(PRISM_CLI), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=PRISM_DIR, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        started_in = _wait_until_ready(process, f"{base_url}/2/users/me", log, START_TIMEOUT)
        yield PrismX(base_url, started_in)
    finally:
        _stop(process)
