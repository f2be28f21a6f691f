"""The OpenAPI document as a contract: schemathesis (pinned in pyproject) drives the running local runtime with
every check, positive and negative data, and stateful sequences that follow the document's links.

The runtime is the real one (embedded AWS, the HTTP front, the API function) on the system clock, with a
Bluesky channel on the local network, so that posts can be queued, read, edited and cancelled for real.
Where the API refuses a request the schema allows for a reason no schema can say (the clock, a network's
rules, a peer's answer), hooks.py names the operation and why.

Two runs: every operation in every phase (about 6,300 cases), then stateful chains over real resources
(posts on the run's channel, a second account connected and disconnected) following the document's links.
Reproduce a run outside pytest: `scripts/test tests/contract -s` prints each command line and every
failure's curl line; PARLEY_CONTRACT_EXAMPLES changes the cases per operation of the first (default below).
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
from dataclasses import dataclass
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
SEED = 20261206
DEFAULT_EXAMPLES = 6
EXAMPLES = int(os.environ.get("PARLEY_CONTRACT_EXAMPLES", str(DEFAULT_EXAMPLES)))
CHAIN_EXAMPLES = 100  # stateful scenarios over the posts' operations


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


@dataclass(frozen=True)
class Api:
    url: str
    token: str  # an admin's
    workspace_id: str
    channel_id: str  # a Bluesky account on the local network


@pytest.fixture(scope="module")
def api(loopback_only: None, bluesky: BlueskyNetwork, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """The runtime's URL, an admin token of a workspace and its one connected Bluesky channel."""
    # No periodic snapshot: this run does not restart, and capturing every post each 2 s would slow it down
    state = tmp_path_factory.mktemp("contract-state")
    runtime = LocalRuntime(state, clock.SystemClock(), firer_thread=False, snapshot_interval_seconds=3600).start()
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
        yield Api(runtime.api_url, issued.token, issued.workspace_id, connected.json()["id"])
    finally:
        runtime.stop()


def st_run(api: Api, *options: str, hooks_env: dict[str, str] | None = None) -> tuple[str, int]:
    """One `st run` against the runtime with every check in both modes; (its output, the cases it ran)."""
    command = [
        str(Path(sys.executable).with_name("st")),
        "run",
        f"{api.url}/openapi.json",
        "--checks",
        "all",
        "--mode",
        "all",
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--workers",
        "2",
        "--no-color",
        *options,
        "-H",
        f"Authorization: Bearer {api.token}",
    ]
    env = os.environ | {"SCHEMATHESIS_HOOKS": "tests.contract.hooks", "PYTHONPATH": str(HERE.parents[1])}
    print(" ".join(command[:-1]), "'Authorization: Bearer ...'")
    done = subprocess.run(
        command, capture_output=True, text=True, env=env | (hooks_env or {}), timeout=600, check=False
    )
    print(done.stdout[-20000:], done.stderr[-5000:], sep="\n")
    assert done.returncode == 0, "schemathesis found failures: the curl lines above reproduce each"
    return done.stdout, sum(int(n) for n in re.findall(r"(\d+) generated", done.stdout))


@pytest.mark.timeout(900)
def test_the_api_keeps_its_openapi_contract(api: Api) -> None:
    """Every operation, every phase, positive and negative data."""
    _, cases = st_run(api, "--phases", "examples,coverage,fuzzing,stateful", "--max-examples", str(EXAMPLES))
    assert cases >= 1000 or EXAMPLES < DEFAULT_EXAMPLES, f"only {cases} cases ran"


@pytest.mark.timeout(600)
def test_posts_and_channels_keep_the_contract_along_the_documents_links(
    api: Api, bluesky: BlueskyNetwork, tmp_path: Path
) -> None:
    """Stateful chains over real resources (hooks.before_call): posts created on the run's channel, then read,
    edited, published now or cancelled; a second account connected, read, changed and disconnected; each
    through the links the document declares."""
    second = bluesky.create_account(f"d{uuid.uuid4().hex[:8]}.test", "contract-password-2")
    calls = tmp_path / "calls.txt"
    st_run(
        api,
        "--phases",
        "stateful",
        "--include-path-regex",
        "^/(posts|channels)(/[{](post_id|channel_id)[}])?(/(publish-now|deliveries))?$",  # the chains, not the queue
        "--max-examples",
        str(CHAIN_EXAMPLES),
        hooks_env={
            "PARLEY_CONTRACT_CHANNEL": api.channel_id,
            "PARLEY_CONTRACT_ACCOUNT": f"{second.handle} {second.password} {bluesky.pds_url}",
            "PARLEY_CONTRACT_CALLS": str(calls),
        },
    )
    made = set(calls.read_text().splitlines())
    for step in (
        "POST /posts 201",
        "GET /posts/{post_id} 200",
        "PATCH /posts/{post_id} 200",
        "DELETE /posts/{post_id} 200",
        "POST /channels 201",
        "GET /channels/{channel_id} 200",
        "DELETE /channels/{channel_id} 200",
    ):
        assert step in made, f"the chains never made {step}"
