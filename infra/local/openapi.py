"""Write the API's OpenAPI document to docs/openapi.json, as the API serves it at /openapi.json.

    .venv/bin/python -m infra.local.openapi        # after a change to a route or a schema

tests/unit/test_openapi_document.py fails when the checked-in document and the code differ.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def current() -> dict[str, Any]:
    """The document the code describes (no AWS call: the API function is imported, not run)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from parley.http.app import app

    document: dict[str, Any] = json.loads(app.get_openapi_json_schema())
    return document


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    DOCUMENT.write_text(render(current()), encoding="utf-8")
    print(f"wrote {DOCUMENT}")


if __name__ == "__main__":
    main()
