"""`parley posts import FILE.csv` against the API function behind the local HTTP front (moto underneath): parts
of the file per request, lines reported as the file numbers them, all or nothing across parts, idempotent reruns."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from functions.api.handler import lambda_handler
from infra.local.functions import FunctionRegistry
from infra.local.http_front import HttpFront
from parley.cli import main
from parley.publishing import imports, posts
from parley.shared import clock
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.shared.names import Function
from tests.integration.test_api_import import HEADER, deliveries, good_rows, later
from tests.integration.test_api_posts import Workspace, count_posts, make_workspace


@pytest.fixture
def ws(aws: str) -> Workspace:
    return make_workspace()


@pytest.fixture
def api_url(aws: str) -> Iterator[str]:
    functions = FunctionRegistry(functions_dir=None)
    functions.register(Function.API, lambda_handler)
    server = HttpFront(functions, clock.get_clock()).start()
    yield server.url
    server.stop()


def run(ws: Workspace, api_url: str, path: Path, *args: str) -> Result:
    env = {"PARLEY_URL": api_url, "PARLEY_TOKEN": str(ws.editor.token)}
    return CliRunner().invoke(main, ["posts", "import", str(path), *args], env=env)


def live_posts(ws: Workspace) -> int:
    return len({d.post_id for d in deliveries(ws) if d.state == "scheduled"})


def test_a_dry_run_reports_each_refused_line_as_the_file_numbers_it(
    ws: Workspace, api_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "week.csv"
    quoted = f'"Two\nlines",{ws.channel_id},{later()},\n'  # a row over lines 3-4
    path.write_text(HEADER + good_rows(ws, 1) + quoted + f"Late,{ws.channel_id},2001-01-01T09:00:00Z,\n")
    result = run(ws, api_url, path, "--dry-run", "--part-size", "2")
    assert result.exit_code == 1, result.output
    assert "2 of 3 rows would be imported" in result.output
    (line,) = [row for row in result.output.splitlines() if "in the past" in row]
    assert line.split()[:2] == ["5", "publish_at"]  # line 5 of the file, though line 3 of its second part
    assert count_posts(ws) == 0


def test_an_import_goes_in_parts_and_running_it_again_creates_nothing_twice(
    ws: Workspace, api_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "week.csv"
    path.write_text(HEADER + good_rows(ws, 5))
    first = run(ws, api_url, path, "--part-size", "2")
    assert first.exit_code == 0, first.output
    assert "Imported 5 of 5 rows." in first.output and count_posts(ws) == 5
    again = run(ws, api_url, path, "--part-size", "2")
    assert again.exit_code == 0 and count_posts(ws) == 5  # each part's key is derived from the file


def test_a_part_refused_while_writing_cancels_the_parts_before_it(
    ws: Workspace, api_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = posts.create_post
    calls = {"n": 0}

    def fifth_fails(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == 5:
            raise ValidationFailed(FieldProblem("publish_at", "the channel's daily quota is full"))
        return real(*args, **kwargs)

    monkeypatch.setattr(posts, "create_post", fifth_fails)
    path = tmp_path / "week.csv"
    path.write_text(HEADER + good_rows(ws, 6))
    result = run(ws, api_url, path, "--part-size", "2")
    assert result.exit_code == 1, result.output
    assert "Nothing was imported: 4 post(s) written before the refusal were cancelled." in result.output
    assert live_posts(ws) == 0


def test_a_part_too_slow_for_one_request_is_sent_again_in_halves(
    ws: Workspace, api_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A request that has written one row has no time for another: a part of 2 rows answers 413.
    monkeypatch.setattr(imports, "_reserve", lambda started, written, partial: 1e9 if written else 0.0)
    path = tmp_path / "week.csv"
    path.write_text(HEADER + good_rows(ws, 3))
    result = run(ws, api_url, path, "--part-size", "2")
    assert result.exit_code == 0, result.output
    assert live_posts(ws) == 3
