"""The rules of docs/architecture.md that import-linter cannot see (it knows imports, not calls or sizes):
the domain package's top level stays small, no module grows into two concerns, only `scheduling` talks to
Scheduler and only `http` and `web` (with their handlers) know HTTP requests."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "layers" / "core" / "python" / "parley"
LOCAL_RUNTIME = REPO / "infra" / "local"
MAX_TOP_LEVEL = 16  # 15, and the web app's room (issue 18)
MAX_LINES = 550


def _modules(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_domain_package_has_at_most_sixteen_entries_at_its_top() -> None:
    entries = [p.name for p in PACKAGE.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()]

    assert len(entries) <= MAX_TOP_LEVEL, sorted(entries)


def test_no_module_of_the_layer_or_the_local_runtime_is_two_concerns() -> None:
    long = {
        str(p.relative_to(REPO)): n
        for p in _modules(PACKAGE) + _modules(LOCAL_RUNTIME)
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }

    assert long == {}


def test_only_the_scheduling_room_talks_to_scheduler() -> None:
    calls = ("create_schedule(", "update_schedule(", "delete_schedule(", 'client("scheduler")')
    outside = [
        str(p.relative_to(PACKAGE))
        for p in _modules(PACKAGE)
        if p.parent.name != "scheduling" and any(call in p.read_text() for call in calls)
    ]

    assert outside == []


def test_only_the_http_and_web_rooms_and_their_handlers_know_http_requests() -> None:
    knowing = sorted(
        str(p.relative_to(REPO))
        for p in _modules(PACKAGE) + _modules(REPO / "functions")
        if any(name.startswith("aws_lambda_powertools.event_handler") for name in _imported(p))
    )

    assert knowing
    rooms = ("layers/core/python/parley/http/", "layers/core/python/parley/web/", "functions/api/", "functions/web/")
    assert all(path.startswith(rooms) for path in knowing), knowing
