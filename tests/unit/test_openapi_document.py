"""The checked-in OpenAPI document (docs/openapi.json) is the one the code describes, and its version is the
package's."""

from __future__ import annotations

import tomllib
from pathlib import Path

import parley
from infra.local import openapi

ROOT = Path(__file__).resolve().parents[2]


def test_the_checked_in_document_is_the_codes() -> None:
    written = openapi.DOCUMENT.read_text(encoding="utf-8")
    assert written == openapi.render(openapi.current()), (
        "docs/openapi.json drifted from the code: run `.venv/bin/python -m infra.local.openapi` and commit it"
    )


def test_the_api_version_is_the_packages() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert parley.__version__ == project["version"] == openapi.current()["info"]["version"]


def test_every_operation_has_a_tag_and_every_tag_a_description() -> None:
    document = openapi.current()
    described = {tag["name"] for tag in document["tags"] if tag.get("description")}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if path in ("/openapi.json", "/docs"):
                continue
            assert set(operation.get("tags", [])) <= described and operation.get("tags"), (method, path)
