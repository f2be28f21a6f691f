"""The web app's static files (`web/static/` at the repository root) at `/static/<path>`, as the asset bucket
behind CloudFront serves them on AWS: GET and HEAD only, a content type by the file's extension (unknown
extensions are not served), nothing outside that folder (no `..`, no symlink out of it, no directory listing)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

STATIC_DIR = Path(__file__).resolve().parents[2] / "web" / "static"
PREFIX = "/static/"
TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".json": "application/json",
}
HEADERS = [("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-cache")]

Answer = tuple[int, list[tuple[str, str]], bytes]


def is_static(raw_path: str) -> bool:
    return urlsplit(raw_path).path.startswith(PREFIX)


def serve(method: str, raw_path: str, root: Path = STATIC_DIR) -> Answer:
    if method not in ("GET", "HEAD"):
        return 405, [("Allow", "GET, HEAD"), ("Content-Type", "text/plain; charset=utf-8")], b"Method Not Allowed"
    found = resolve(raw_path, root)
    if found is None:
        return 404, [("Content-Type", "text/plain; charset=utf-8"), *HEADERS], b"Not Found"
    return 200, [("Content-Type", TYPES[found.suffix.lower()]), *HEADERS], found.read_bytes()


def resolve(raw_path: str, root: Path = STATIC_DIR) -> Path | None:
    """The file a request path names under `root`, or None (missing, a folder, an unknown type, or outside)."""
    relative = unquote(urlsplit(raw_path).path)[len(PREFIX) :]
    parts = relative.split("/")
    if not relative or any(p in ("", ".", "..") or "\\" in p or "\x00" in p for p in parts):
        return None
    base = root.resolve()
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file() or candidate.suffix.lower() not in TYPES:
        return None
    return candidate
