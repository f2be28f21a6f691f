"""The journal: what the embedded AWS and the firer have answered for since the last snapshot, on disk.

One JSON object a line in `<state_dir>/aws-journal.<generation>.jsonl` (mode 0600 in the 0700 state folder:
it holds what the snapshot holds, secrets included). A line is written and flushed to the disk (fsync)
before the answer it stands for goes out (`append` under `writes_held`, then `sync`); a crash loses at
most what was never answered.

Generations make the snapshot and the journal one consistent state: the snapshot records the generation
from which to replay (`journal_from`); `rotate`, taken with the writes held, starts the next generation, and
`remove_before` drops the ones a written snapshot holds. A start replays every generation from the
snapshot's, then writes into a new one (never after a line a crash may have cut short).

Writers are serialized (`writes_held`) so that the order of the lines is the order in which the writes were
applied; the fsync is taken outside that lock, and one fsync covers every line written before it (group
commit), so writers that arrive together wait for one disk flush, not one each.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("parley.local.journal")

_NAME = re.compile(r"^aws-journal\.(\d+)\.jsonl$")


class JournalError(RuntimeError):
    pass


# --- JSON with bytes and datetimes (the snapshot's and the journal's) -------------------------------


def to_jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"$b64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    return value


def from_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(next(iter(value.values())), str):
            if "$b64" in value:
                return base64.b64decode(value["$b64"])
            if "$dt" in value:
                return datetime.fromisoformat(value["$dt"])
        return {k: from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_jsonable(v) for v in value]
    return value


# --- the files --------------------------------------------------------------------------------------


def journal_path(state_dir: Path, generation: int) -> Path:
    return state_dir / f"aws-journal.{generation}.jsonl"


def generations(state_dir: Path) -> list[int]:
    """The generations on disk, oldest first."""
    if not state_dir.is_dir():
        return []
    found = (_NAME.match(p.name) for p in state_dir.iterdir())
    return sorted(int(m.group(1)) for m in found if m)


def read_entries(state_dir: Path, since: int) -> list[dict[str, Any]]:
    """Every entry of the generations from `since` on, in the order written. A last line cut short by a
    crash (no newline, or not JSON) is skipped: its write was never answered. A bad line before the last
    is damage, not a crash: refuse (starting without it would lose what it stood for)."""
    entries: list[dict[str, Any]] = []
    for generation in generations(state_dir):
        if generation < since:
            continue
        path = journal_path(state_dir, generation)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise JournalError(f"cannot read the journal {path}: {exc}") from exc
        lines = data.split(b"\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                if number == len(lines) or (number == len(lines) - 1 and not lines[-1]):
                    log.warning("%s: skipping its last line, cut short by a crash", path.name)
                    continue
                raise JournalError(f"{path} line {number} is damaged ({exc}); move the file away to start") from exc
            entries.append(entry)
    return entries


def fsync_dir(path: Path) -> None:
    """Make a created, renamed or removed name in `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Journal:
    """Appends to the current generation; the file is created at the first line (a runtime that wrote
    nothing since its last snapshot leaves no journal behind)."""

    def __init__(self, state_dir: Path, generation: int) -> None:
        self.state_dir = Path(state_dir)
        self._generation = generation
        self._writes = threading.RLock()  # held while a write is applied and its line appended
        self._sync_lock = threading.Lock()  # held while a file descriptor is flushed or switched
        self._fd: int | None = None
        self._written = 0  # lines appended (a sequence number)
        self._synced = 0  # lines known to be on disk
        self._closed = False
        self._torn = False

    @classmethod
    def after(cls, state_dir: Path, since: int) -> Journal:
        """A journal writing into a generation after every one on disk (and not before `since`)."""
        return cls(state_dir, max([since - 1, *generations(state_dir)]) + 1)

    @property
    def generation(self) -> int:
        return self._generation

    @contextlib.contextmanager
    def writes_held(self) -> Iterator[None]:
        """No other journaled write runs meanwhile (and a snapshot taken inside sees none half-done)."""
        with self._writes:
            yield

    def append(self, entry: dict[str, Any]) -> int:
        """Write one line (call with `writes_held`); returns its sequence number for `sync`."""
        line = json.dumps(entry, separators=(",", ":"), sort_keys=True).encode("utf-8") + b"\n"
        with self._writes:
            if self._closed:
                raise JournalError("the journal is closed")
            if self._torn:
                # The last write failed part-way (a full disk): leave its part last in its file, where a
                # start skips it as cut short, and go on in the next generation.
                with self._sync_lock:
                    self._close_file()
                    self._generation += 1
                    self._torn = False
            fd = self._fd if self._fd is not None else self._create()
            view = memoryview(line)
            try:
                while view:
                    view = view[os.write(fd, view) :]
            except OSError:
                self._torn = True
                raise
            self._written += 1
            return self._written

    def sync(self, seq: int) -> None:
        """Return once line `seq` is on disk (one fsync serves every line written before it)."""
        with self._sync_lock:
            if self._synced >= seq:
                return
            written = self._written
            if self._fd is not None:
                os.fsync(self._fd)
            self._synced = max(self._synced, written)

    def record(self, entry: dict[str, Any]) -> None:
        """Append and sync: for a line that stands for no request (the firer's)."""
        self.sync(self.append(entry))

    def rotate(self) -> int:
        """Start the next generation (call with `writes_held`); returns it: a snapshot taken meanwhile
        holds everything of the generations before."""
        with self._writes, self._sync_lock:
            self._close_file()
            self._generation += 1
            self._torn = False
            return self._generation

    def remove_before(self, generation: int) -> None:
        """Drop the generations a written snapshot holds."""
        removed = False
        for old in generations(self.state_dir):
            if old < generation:
                with contextlib.suppress(FileNotFoundError):
                    journal_path(self.state_dir, old).unlink()
                removed = True
        if removed:
            fsync_dir(self.state_dir)

    def close(self) -> None:
        with self._writes, self._sync_lock:
            self._close_file()
            self._closed = True

    def _close_file(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None
        self._synced = self._written

    def _create(self) -> int:
        path = journal_path(self.state_dir, self._generation)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        os.fchmod(fd, 0o600)
        fsync_dir(self.state_dir)
        self._fd = fd
        return fd
