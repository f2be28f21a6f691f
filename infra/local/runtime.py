"""The local runtime's AWS side: embedded AWS + snapshot + firer + HTTP front, on one clock.

    runtime = LocalRuntime(state_dir, clock, firer_thread=False).start()
    ...  # requests to runtime.api_url; clock.advance(...); runtime.firer.run_due()
    runtime.stop()  # saves the snapshot; a new LocalRuntime on the same state_dir brings it all back

A crash loses nothing acknowledged either: every write the embedded AWS or the firer answers for is in the
journal first (`journal`, `journaling`), and a start replays the journal over the last snapshot.

`start()` sets the process's clock (`parley.shared.clock.set_clock`) and the functions' environment
(`os.environ`); `stop()` puts both back. One runtime per process at a time (moto's state is global).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from parley.shared import clock as parley_clock
from parley.shared.clock import Clock
from parley.shared.names import METRICS_NAMESPACE, Env, local_names

from . import aws, journaling, snapshot
from .firer import Firer
from .functions import FunctionRegistry
from .http_front import HttpFront
from .journal import Journal, read_entries

log = logging.getLogger("parley.local.runtime")

_UNSET = object()


def function_environment(endpoint_url: str, *, account: str = aws.ACCOUNT, region: str = aws.REGION) -> dict[str, str]:
    """What the functions find in their environment here (on AWS the CDK app sets the same names)."""
    env = local_names(endpoint_url=endpoint_url, account=account, region=region)
    env |= {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": aws.ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": aws.SECRET_KEY,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "POWERTOOLS_SERVICE_NAME": "parley",
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
    }
    return env


def allow_outbound(*urls: str) -> str | None:
    """Let parley's outbound fetcher reach these local peers (the local Bluesky network, a Mastodon mock),
    although they are on loopback: their `host:port` join PARLEY_OUTBOUND_ALLOWED_HOSTS in this process's
    environment (that port only, not the rest of loopback). Returns the setting as it was (None: unset),
    for `outbound_allowed` to put back."""
    from urllib3.util import parse_url

    from parley.shared.config import get_settings

    name = Env.OUTBOUND_ALLOWED_HOSTS.value
    before = os.environ.get(name)
    listed = [h.strip() for h in (before or "").split(",") if h.strip()]
    hosts = [_endpoint(parse_url(url)) for url in urls if url]  # that port only: not all of loopback
    os.environ[name] = ",".join(dict.fromkeys(listed + hosts))
    get_settings.cache_clear()
    return before


def _endpoint(url: Any) -> str:
    port = url.port or (443 if url.scheme == "https" else 80)
    host = str(url.host)
    return f"[{host.strip('[]')}]:{port}" if ":" in host else f"{host}:{port}"


@contextmanager
def outbound_allowed(*urls: str) -> Iterator[None]:
    """`allow_outbound` for a while (a test session's peers): the setting is put back after."""
    from parley.shared.config import get_settings

    before = allow_outbound(*urls)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(Env.OUTBOUND_ALLOWED_HOSTS.value, None)
        else:
            os.environ[Env.OUTBOUND_ALLOWED_HOSTS.value] = before
        get_settings.cache_clear()


class LocalRuntime:
    def __init__(
        self,
        state_dir: Path,
        clock: Clock,
        *,
        api_port: int = 0,
        firer_thread: bool,
        late_window_seconds: float = 0,
        duplicate_rate: float = 0,
        seed: int = 0,
        functions: FunctionRegistry | None = None,
        snapshot_interval_seconds: float = 2.0,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.clock = clock
        self.functions = functions if functions is not None else FunctionRegistry()
        self.aws = aws.EmbeddedAws()
        self.firer = Firer(clock, self.functions, seed, late_window_seconds, duplicate_rate, tick_seconds=0.05)
        self.front = HttpFront(self.functions, clock, port=api_port)
        self._firer_thread = firer_thread
        self._snapshot_interval = snapshot_interval_seconds
        self._saved_marks: tuple[int, int] | None = None
        self._save_lock = threading.Lock()
        self._stop_saver = threading.Event()
        self._saver: threading.Thread | None = None
        self.journal: Journal | None = None
        self._previous_env: dict[str, Any] = {}
        self._previous_clock: Clock | None = None
        self._started = False

    @property
    def snapshot_path(self) -> Path:
        return self.state_dir / snapshot.SNAPSHOT_FILE

    @property
    def endpoint_url(self) -> str:
        return self.aws.endpoint_url

    @property
    def api_url(self) -> str:
        return self.front.url

    def start(self) -> LocalRuntime:
        snapshot.ensure_private_dir(self.state_dir)
        saved = snapshot.read_snapshot(self.snapshot_path)  # fail before starting anything
        since = snapshot.journal_from(saved)
        journaled = read_entries(self.state_dir, since)
        self._previous_clock = parley_clock.get_clock()
        parley_clock.set_clock(self.clock)
        self.aws.start()
        try:
            self._set_environment(function_environment(self.aws.endpoint_url, region=self.aws.region))
            self.firer.endpoint_url = self.aws.endpoint_url
            self.aws.create_resources()
            if saved is not None:
                self.firer.restore_state(snapshot.restore(self.aws, saved))
                log.info("restored the snapshot %s", self.snapshot_path)
            if journaled:
                outcome = journaling.replay(
                    journaled, self.aws.endpoint_url, self.aws.account, self.aws.region, self.firer
                )
                log.info("replayed the journal over it: %s", outcome)
            self.journal = Journal.after(self.state_dir, since)
            self.aws.attach_journal(self.journal)
            self.firer.journal = self.journal
            self.front.start()
            # The X connect callback and short links (/l/{code}) are built on it (only now is the front's
            # port known), unless the user chose a base.
            chosen = self._previous_env.get(Env.PUBLIC_BASE_URL.value)
            base = chosen if isinstance(chosen, str) and chosen else self.front.url
            self._set_environment({Env.PUBLIC_BASE_URL.value: base})
            if self._firer_thread:
                self.firer.start()
            self._started = True
            self._saver = threading.Thread(target=self._save_periodically, name="parley-snapshot", daemon=True)
            self._saver.start()
        except BaseException:
            self._shutdown(save=False)
            raise
        return self

    def stop(self, *, save: bool = True) -> None:
        """Stop everything, saving the snapshot first (after the firer and the API are quiet).
        `save=False` leaves the disk as a crash would (tests): the last snapshot and the journal."""
        self._shutdown(save=save and self._started)

    def save_snapshot(self) -> Path:
        """Save now (the runtime also saves every few seconds when something changed, and on stop).

        The DynamoDB tables are read and the journal rotated with the journaled writes held (~0.1 s for
        3,000 items): the snapshot's tables are exactly the journal's earlier generations, and a write
        that is not idempotent (an ADD to a counter) is never applied twice. The rest is read after,
        while writes go on into the new generation; replaying those over it again changes nothing."""
        with self._save_lock:
            marks = (self.aws.changes, self.firer.version)
            journal = self.journal
            if journal is None:
                data = snapshot.capture(self.aws, self.firer.export_state())
            else:
                with journal.writes_held():
                    tables = snapshot.capture_tables(self.aws)
                    generation = journal.rotate()
                data = snapshot.capture(self.aws, self.firer.export_state(), tables=tables, journal_from=generation)
            snapshot.write_atomically(self.snapshot_path, data)
            if journal is not None:
                journal.remove_before(generation)
            self._saved_marks = marks
        return self.snapshot_path

    def _save_periodically(self) -> None:
        while not self._stop_saver.wait(self._snapshot_interval):
            if self._saved_marks == (self.aws.changes, self.firer.version):
                continue
            try:
                self.save_snapshot()
            except Exception:
                log.exception("saving the snapshot failed")

    def _shutdown(self, *, save: bool) -> None:
        self._stop_saver.set()
        if self._saver is not None:
            self._saver.join(timeout=30)
            self._saver = None
        self.firer.stop()
        self.front.stop()
        try:
            if save:
                self.save_snapshot()
        finally:
            self._started = False
            self.aws.attach_journal(None)
            self.firer.journal = None
            if self.journal is not None:
                self.journal.close()
                self.journal = None
            self.aws.stop()
            self._restore_environment()
            if self._previous_clock is not None:
                parley_clock.set_clock(self._previous_clock)
                self._previous_clock = None

    def _set_environment(self, env: dict[str, str]) -> None:
        for name in [*env, "AWS_SESSION_TOKEN", "AWS_PROFILE"]:
            self._previous_env.setdefault(name, os.environ.get(name, _UNSET))
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)
        os.environ.update(env)
        _clear_settings_cache()

    def _restore_environment(self) -> None:
        for name, value in self._previous_env.items():
            if value is _UNSET:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._previous_env = {}
        _clear_settings_cache()

    def __enter__(self) -> LocalRuntime:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _clear_settings_cache() -> None:
    """Settings, cached clients, the cursor key and PynamoDB connections were made for the previous
    environment."""
    import boto3

    from parley.shared.config import get_settings
    from parley.shared.pagination import forget_cursor_key

    get_settings.cache_clear()
    forget_cursor_key()
    boto3.DEFAULT_SESSION = None  # it caches the credentials it first found
    try:
        from parley.shared import aws as parley_aws

        parley_aws.reset()
    except ImportError:
        pass
    try:
        from parley.store import bind
    except ImportError:
        return
    bind()
