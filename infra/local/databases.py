"""The Postgres and Redis that the local Bluesky network's AppView needs, started for it on loopback and
ended with it, plus the small process helpers the local services share.

Postgres refuses to run as root: when we are root it runs as the `postgres` user, on folders that user
owns, in a fresh temporary folder (the work dir may not be reachable for it). Its password is random and
its data is thrown away at stop; fsync is off (test data).
"""

from __future__ import annotations

import contextlib
import glob
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import IO

LOOPBACK = "127.0.0.1"
_LOG_TAIL_CHARS = 4000


class LocalServiceError(RuntimeError):
    """A local service could not be started (or answered wrong)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def tail(path: Path, chars: int = _LOG_TAIL_CHARS) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return "(no output)"
    return data[-chars:].decode("utf-8", "replace") or "(no output)"


def kill_group(proc: subprocess.Popen[bytes], grace: float) -> None:
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


def wait_tcp(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False


def postgres_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found

    def version(p: str) -> tuple[int, ...]:
        digits = Path(p).parts[-3]
        return tuple(int(x) for x in digits.split(".") if x.isdigit())

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version)
    if not candidates:
        raise LocalServiceError(f"{name} not found: run scripts/install-bluesky.sh (installs postgresql)")
    return candidates[-1]


class LocalPostgres:
    """One Postgres server on a free loopback port; `url` once started. Logs go to `work_dir/postgres.log`."""

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.dir: Path | None = None  # data, socket and log of this server
        self.url: str | None = None
        self._started = False

    def start(self, deadline: float) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="parley-bluesky-pg-", dir="/tmp"))
        data, sock = self.dir / "data", self.dir / "sock"
        sock.mkdir()
        password = secrets.token_urlsafe(18)
        pwfile = self.dir / "pwfile"
        pwfile.write_text(password + "\n")
        if os.geteuid() == 0:
            for path in (self.dir, sock, pwfile):
                shutil.chown(path, "postgres", "postgres")
        pg_log = self.work_dir / "postgres.log"
        port = free_port()
        with pg_log.open("ab") as log:
            self._run_logged(
                [
                    *_as_postgres(),
                    postgres_bin("initdb"),
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
            self._started = True
            self._run_logged(
                [
                    *_as_postgres(),
                    postgres_bin("pg_ctl"),
                    "start",
                    "-w",
                    "-t",
                    str(max(5, int(deadline - time.monotonic()))),
                    "-D",
                    str(data),
                    "-l",
                    str(self.dir / "server.log"),
                    "-o",
                    options,
                ],
                log,
                pg_log,
                deadline,
            )
        if not wait_tcp(port, deadline):
            raise LocalServiceError(f"Postgres did not listen on {LOOPBACK}:{port}\n{self._server_log()}")
        self.url = f"postgresql://postgres:{password}@{LOOPBACK}:{port}/postgres"

    def pid(self) -> int | None:
        """The postmaster's pid (pg_ctl starts it in a session of its own: its process group is its pid)."""
        if self.dir is None:
            return None
        try:
            return int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        """Stop the server, keep its log in the work dir, remove its data. Safe to call more than once."""
        if self._started and self.dir is not None:
            self._started = False
            data = self.dir / "data"
            server_log = self.dir / "server.log"
            pid = self.pid()
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                subprocess.run(
                    [*_as_postgres(), postgres_bin("pg_ctl"), "stop", "-D", str(data), "-m", "fast"],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=30,
                )
            if pid is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
            if server_log.exists():
                with contextlib.suppress(OSError), (self.work_dir / "postgres.log").open("ab") as log:
                    log.write(server_log.read_bytes())
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        self.url = None

    def _run_logged(self, cmd: list[str], log: IO[bytes], log_path: Path, deadline: float) -> None:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            kill_group(proc, grace=2)
            raise LocalServiceError(f"timed out: {cmd[-1]}\n{tail(log_path)}") from None
        if rc != 0:
            log.flush()
            raise LocalServiceError(f"{' '.join(cmd[:6])}... exited {rc}\n{tail(log_path)}\n{self._server_log()}")

    def _server_log(self) -> str:
        return tail(self.dir / "server.log") if self.dir else ""


class LocalRedis:
    """One redis-server on a free loopback port, nothing saved; `host` (`127.0.0.1:PORT`) once started."""

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir
        self.host: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, deadline: float, data_dir: Path) -> None:
        redis = shutil.which("redis-server")
        if redis is None:
            raise LocalServiceError("redis-server not found: run scripts/install-bluesky.sh")
        port = free_port()
        log_path = self.work_dir / "redis.log"
        cmd = [redis, "--bind", LOOPBACK, "--port", str(port), "--save", "", "--appendonly", "no"]
        cmd += ["--dir", str(data_dir)]
        with log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise LocalServiceError(f"redis-server exited {self._proc.returncode}\n{tail(log_path)}")
            with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    self.host = f"{LOOPBACK}:{port}"
                    return
            time.sleep(0.05)
        raise LocalServiceError(f"redis-server did not answer on {LOOPBACK}:{port}\n{tail(log_path)}")

    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def stop(self) -> None:
        if self._proc is not None:
            kill_group(self._proc, grace=5)
            self._proc = None
        self.host = None


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
