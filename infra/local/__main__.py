"""`python -m infra.local` (what `scripts/run` starts): the whole of parley on this machine.

Embedded AWS (moto, state kept in the state dir), the firer, the HTTP API, a real local Bluesky network
(Bluesky's own dev-env: PLC + PDS + AppView) with demo accounts, a demo workspace, its admin token and
a connected demo channel. Ctrl-C stops everything and saves the state.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

from parley.networks.base import Credential
from parley.shared.clock import SystemClock

# Fixed ports, so that the walkthrough's URLs work as written (the dev-env's own defaults).
BLUESKY_PORTS = {"plc_port": 2582, "pds_port": 2583, "appview_port": 2584}
DEMO_ACCOUNTS = [("demobrand.test", "demobrand-pass"), ("alice.test", "alice-demo-pass"), ("bob.test", "bob-demo-pass")]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="scripts/run", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(env("PARLEY_STATE_DIR", ".parley/local")),
        help="where the embedded AWS state and the demo token are kept (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(env("PARLEY_PORT", "8080")),
        help="the API's port on 127.0.0.1 (default: %(default)s)",
    )
    parser.add_argument(
        "--late-window",
        type=float,
        default=float(env("PARLEY_LATE_WINDOW", "0")),
        help="fire schedules 0..N s late, as Scheduler may (default: %(default)s)",
    )
    parser.add_argument(
        "--duplicates",
        type=float,
        default=float(env("PARLEY_DUPLICATES", "0")),
        help="share of schedule events delivered twice (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=int(env("PARLEY_SEED", "0")))
    parser.add_argument(
        "--bluesky-service",
        default=env("PARLEY_BLUESKY_SERVICE"),
        help="a real PDS (e.g. https://bsky.social) instead of the local network",
    )
    parser.add_argument("--bluesky-identifier", default=env("PARLEY_BLUESKY_IDENTIFIER"))
    parser.add_argument("--bluesky-app-password", default=env("PARLEY_BLUESKY_APP_PASSWORD"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # The functions' JSON logs and EMF metrics go to CloudWatch on AWS; here they would drown the console.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    state_dir: Path = args.state_dir.resolve()

    from infra.local.bluesky_net import BlueskyNetwork, ensure_installed
    from infra.local.demo import ensure_demo
    from infra.local.runtime import LocalRuntime, allow_outbound

    network = None
    if args.bluesky_service and args.bluesky_identifier and args.bluesky_app_password:
        credential = Credential(args.bluesky_identifier, args.bluesky_app_password, args.bluesky_service)
    else:
        say("starting the local Bluesky network (PLC, PDS, AppView, Postgres, Redis) ...")
        ensure_installed("full")
        network = BlueskyNetwork("full", state_dir / "bluesky", DEMO_ACCOUNTS, **BLUESKY_PORTS)
        network.start(timeout=180)
        allow_outbound(network.pds_url, network.appview_url or "")  # on loopback: allowed by name, here only
        brand = network.account("demobrand.test")
        credential = Credential(brand.handle, brand.password, network.pds_url)

    runtime = LocalRuntime(
        state_dir,
        SystemClock(),
        api_port=args.port,
        firer_thread=True,
        late_window_seconds=args.late_window,
        duplicate_rate=args.duplicates,
        seed=args.seed,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        say("starting the embedded AWS, the firer and the API ...")
        runtime.start()
        demo = ensure_demo(state_dir, credential)
        write_environment(state_dir, runtime.endpoint_url, os.environ.get("PARLEY_PUBLIC_BASE_URL") or runtime.api_url)
        print_banner(runtime.api_url, demo.token, demo.channel_id, network, state_dir)
        while not stopping.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        say("stopping (saving the state) ...")
        runtime.stop()
        if network is not None:
            network.stop()
    return 0


def write_environment(state_dir: Path, endpoint_url: str, api_url: str = "") -> None:
    """So that `parley admin` (via `python -m infra.local.env`) can reach this runtime's tables (and print sign-in
    links to its web app: `parley admin login-link`)."""
    from infra.local.env import ENV_FILE
    from infra.local.runtime import function_environment
    from parley.shared.names import Env

    path = state_dir / ENV_FILE
    env = function_environment(endpoint_url) | ({Env.PUBLIC_BASE_URL.value: api_url} if api_url else {})
    path.write_text(json.dumps(env, indent=2))
    os.chmod(path, 0o600)


def say(message: str) -> None:
    print(f"parley: {message}", file=sys.stderr, flush=True)


def print_banner(api_url: str, token: str, channel_id: str | None, network: object, state_dir: Path) -> None:
    lines = [
        "",
        "parley is running on this machine.",
        f"  API          {api_url}",
        f"  API docs     {api_url}/docs   (OpenAPI: {api_url}/openapi.json)",
        f"  web app      {api_url}/   (sign in with the admin token below)",
        f"  admin token  {token}",
        f"  channel      {channel_id}",
        f"  state        {state_dir}",
    ]
    from infra.local.bluesky_net import BlueskyNetwork

    if isinstance(network, BlueskyNetwork):
        lines += [
            f"  Bluesky PDS  {network.pds_url}   AppView {network.appview_url}",
            "  accounts     " + ", ".join(f"{a.handle} / {a.password}" for a in network.accounts),
        ]
    lines += [
        "",
        "Try it (the README's walkthrough has more):",
        f"  export PARLEY={api_url} TOKEN={token} CHANNEL={channel_id}",
        "  curl -s -X POST $PARLEY/posts -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\",
        '    -d \'{"text": "Hello @alice.test, see https://example.com #launch", "channels": ["\'$CHANNEL\'"], '
        "\"publish_at\": \"'$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)'\"}'",
        "",
        "Ctrl-C stops everything; the state is kept for the next run.",
    ]
    print("\n".join(lines), flush=True)


if __name__ == "__main__":
    sys.exit(main())
