"""The OpenAPI document as a contract: schemathesis (pinned in pyproject) drives the running local runtime with
every check, positive and negative data, and stateful sequences that follow the document's links.

The runtime is the real one (embedded AWS, the HTTP front, the API function) on the system clock, with a
Bluesky channel on the local network, so that posts can be queued, read, edited and cancelled for real.
Where the API refuses a request the schema allows for a reason no schema can say (the clock, a network's
rules, a peer's answer), hooks.py names the operation and why.

Reproduce a run outside pytest: `scripts/test tests/contract -s` prints the command line and every
failure's curl line; PARLEY_CONTRACT_EXAMPLES changes the cases per operation (default below).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from infra.local.bluesky_net import BlueskyNetwork
from infra.local.runtime import LocalRuntime
from parley.shared import clock
from parley.team import tokens

pytestmark = pytest.mark.bluesky

HERE = Path(__file__).parent
SEED = 20261203
EXAMPLES = int(os.environ.get("PARLEY_CONTRACT_EXAMPLES", "10"))


@pytest.fixture(scope="module")
def loopback_only() -> Iterator[None]:
    """Network tests talk to 127.0.0.1 only: a generated service_url naming any other host fails to resolve
    before any lookup leaves the machine, as an unknown host would (the outside world's stand-in)."""
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            local = ipaddress.ip_address(name).is_loopback
        except ValueError:
            local = name == "localhost"
        if not local:
            raise socket.gaierror(socket.EAI_NONAME, f"{name}: not a loopback address (contract tests stay local)")
        return real(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", resolve)
        yield


@pytest.fixture(scope="module")
def api(
    loopback_only: None, bluesky: BlueskyNetwork, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The runtime's URL and an admin token of a workspace with one connected Bluesky channel."""
    runtime = LocalRuntime(tmp_path_factory.mktemp("contract-state"), clock.SystemClock(), firer_thread=False).start()
    try:
        issued = tokens.create_workspace("Contract", "Ada")
        account = bluesky.create_account(f"c{uuid.uuid4().hex[:8]}.test", "contract-password")
        connected = requests.post(
            runtime.api_url + "/channels",
            json={"identifier": account.handle, "app_password": account.password, "service_url": bluesky.pds_url},
            headers={"Authorization": f"Bearer {issued.token}"},
            timeout=30,
        )
        assert connected.status_code == 201, connected.text
        yield runtime.api_url, issued.token
    finally:
        runtime.stop()


@pytest.mark.timeout(900)
def test_the_api_keeps_its_openapi_contract(api: tuple[str, str], tmp_path: Path) -> None:
    url, token = api
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "2",
        "--no-color",
        "-H",
        f"Authorization: Bearer {token}",
    ]
    env = os.environ | {"SCHEMATHESIS_HOOKS": "tests.contract.hooks", "PYTHONPATH": str(HERE.parents[1])}
    print(" ".join(command[:-1]), "'Authorization: Bearer ...'")
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)
    print(done.stdout[-20000:], done.stderr[-5000:], sep="\n")
    cases = sum(int(n) for n in re.findall(r"(\d+) generated", done.stdout))
    assert done.returncode == 0, "schemathesis found failures: the curl lines above reproduce each"
    assert cases >= 1000 or EXAMPLES < 10, f"only {cases} cases ran"
