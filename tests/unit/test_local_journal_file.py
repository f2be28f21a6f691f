"""The journal's files (infra/local/journal.py): lines in order across generations, a line cut short
skipped where a crash leaves it, a damaged one refused, and a failed write never followed in its file."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from infra.local import journal
from infra.local.journal import Journal, JournalError, generations, journal_path, read_entries


def test_lines_come_back_in_order_across_generations_from_the_one_asked(tmp_path: Path) -> None:
    written = Journal(tmp_path, 0)
    written.record({"n": 1})
    assert written.rotate() == 1
    written.record({"n": 2})
    written.record({"n": 3})
    written.close()

    assert generations(tmp_path) == [0, 1]
    assert read_entries(tmp_path, 0) == [{"n": 1}, {"n": 2}, {"n": 3}]
    assert read_entries(tmp_path, 1) == [{"n": 2}, {"n": 3}]
    assert stat.S_IMODE(journal_path(tmp_path, 1).stat().st_mode) == 0o600
    assert Journal.after(tmp_path, 0).generation == 2  # never after a line a crash may have cut short
    assert Journal.after(tmp_path, 5).generation == 5


def test_a_generation_is_created_at_its_first_line_and_dropped_once_a_snapshot_holds_it(tmp_path: Path) -> None:
    written = Journal(tmp_path, 3)
    assert generations(tmp_path) == []
    written.record({"n": 1})
    written.rotate()
    written.remove_before(4)
    assert generations(tmp_path) == []


def test_only_a_cut_last_line_is_skipped(tmp_path: Path) -> None:
    journal_path(tmp_path, 0).write_bytes(b'{"n":1}\n{"n":2}\n{"n":')
    assert read_entries(tmp_path, 0) == [{"n": 1}, {"n": 2}]

    journal_path(tmp_path, 0).write_bytes(b'{"n":1}\n{"n"\n{"n":3}\n')
    with pytest.raises(JournalError):
        read_entries(tmp_path, 0)


def test_after_a_failed_write_the_next_line_goes_to_a_new_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = Journal(tmp_path, 0)
    written.record({"n": 1})
    real_write = os.write

    def half_then_full(fd: int, data: Any) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(journal.os, "write", half_then_full)
    with pytest.raises(OSError):
        written.record({"n": 2, "padding": "x" * 40})
    monkeypatch.setattr(journal.os, "write", real_write)
    written.record({"n": 3})
    written.close()

    assert generations(tmp_path) == [0, 1]
    assert read_entries(tmp_path, 0) == [{"n": 1}, {"n": 3}]
