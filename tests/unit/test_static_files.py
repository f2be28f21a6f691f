"""The local runtime's static files (infra/local/static_files.py): the web app's files with their content types,
nothing outside web/static, no folders, no unknown types, GET and HEAD only."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local import static_files


@pytest.fixture
def root(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "vendor").mkdir(parents=True)
    (static / "app.css").write_text("body{}")
    (static / "vendor" / "lib-1.0.js").write_text("x()")
    (static / "notes.txt").write_text("private")
    (tmp_path / "secret.css").write_text("outside")
    (static / "link.css").symlink_to(tmp_path / "secret.css")
    return static


def test_files_are_served_with_their_content_type(root: Path) -> None:
    status, headers, body = static_files.serve("GET", "/static/app.css?v=1", root)
    assert (status, body) == (200, b"body{}")
    assert ("Content-Type", "text/css; charset=utf-8") in headers and ("X-Content-Type-Options", "nosniff") in headers
    status, headers, _ = static_files.serve("GET", "/static/vendor/lib-1.0.js", root)
    assert status == 200 and ("Content-Type", "text/javascript; charset=utf-8") in headers


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.css",
        "/static/%2e%2e/secret.css",
        "/static/vendor/../../secret.css",
        "/static/link.css",  # a symlink out of the folder
        "/static/vendor",
        "/static/vendor/",
        "/static/",
        "/static/notes.txt",  # a type not served
        "/static/missing.css",
        "/static//etc/passwd",
        "/static/vendor%5c..%5c..%5csecret.css",
    ],
)
def test_nothing_outside_the_folder_no_folder_and_no_unknown_type_is_served(root: Path, path: str) -> None:
    status, _, body = static_files.serve("GET", path, root)
    assert status == 404 and body == b"Not Found"


def test_only_get_and_head(root: Path) -> None:
    assert static_files.serve("POST", "/static/app.css", root)[0] == 405


def test_the_repository_has_the_apps_files() -> None:
    assert static_files.resolve("/static/app.css") is not None
    assert static_files.resolve("/static/vendor/htmx-2.0.11.min.js") is not None
