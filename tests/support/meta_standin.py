"""A stand-in for Instagram's Graph API or the Threads API on a loopback port: written for these tests (no
Meta server exists to run locally), stateful, answering in the shapes of tests/support/instagram_recorded.py
and threads_recorded.py (each shaped after Meta's documentation).

It keeps containers, published posts and comments; it fetches every `image_url` it is given (as Meta
does), so a presigned S3 URL is proven to work; `not_ready` makes the next status reads say IN_PROGRESS;
`fail` queues error answers for a method and an edge (e.g. ("POST", "media_publish")).
Only what parley calls is served.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass, field
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

import requests

from parley.shared import clock
from tests.support import instagram_recorded as ig
from tests.support import threads_recorded as th


@dataclass
class Failure:
    method: str
    edge: str
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class MetaStandIn:
    network: str  # instagram | threads
    base_url: str = ""
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (method, edge or "object")
    fetched: list[tuple[str, int, int]] = field(default_factory=list)  # (url, status, bytes)
    failures: list[Failure] = field(default_factory=list)
    not_ready: int = 0
    quota_total: int | None = None  # the account's publishing limit, when a test sets its own
    tokens_seen: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(17900000000000001))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def version(self) -> str:
        return "v23.0" if self.network == "instagram" else "v1.0"

    @property
    def user_id(self) -> str:
        return ig.USER_ID if self.network == "instagram" else th.USER_ID

    @property
    def username(self) -> str:
        return ig.USERNAME if self.network == "instagram" else th.USERNAME

    def count(self, method: str, edge: str) -> int:
        return sum(1 for call in self.calls if call == (method, edge))

    def posts(self) -> list[dict[str, Any]]:
        return [o for o in self.objects.values() if o["kind"] == "post"]

    def fail(self, method: str, edge: str, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        self.failures.append(Failure(method, edge, status, body, headers or {}))

    def comment(self, post_id: str, username: str, text: str, parent: str | None = None) -> str:
        """Someone else comments (Instagram) or replies (Threads) under a post."""
        with self._lock:
            comment_id = str(next(self._ids))
            self.objects[comment_id] = {
                "kind": "comment",
                "id": comment_id,
                "post": post_id,
                "parent": parent or post_id,
                "username": username,
                "user_id": "178414" + comment_id[-6:],
                "text": text,
                "timestamp": _now(),
            }
        return comment_id

    # -- dispatch ---------------------------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> tuple[int, Any, dict]:
        parts = path.strip("/").split("/")
        if not parts or parts[0] != self.version:
            return 404, {"error": {"message": "Unknown path", "code": 803}}, {}
        rest = parts[1:]
        edge = rest[1] if len(rest) == 2 else "object"
        with self._lock:
            self.calls.append((method, edge))
            for failure in self.failures:
                if failure.method == method and failure.edge == edge:
                    self.failures.remove(failure)
                    return failure.status, failure.body, failure.headers
        if len(rest) == 1 and method == "GET":
            return self._object(rest[0], query)
        if len(rest) == 2:
            handler = getattr(self, f"_{method.lower()}_{edge}", None)
            if handler is not None:
                return handler(rest[0], query, form)
        return 400, {"error": {"message": f"Unsupported {method} request", "code": 100}}, {}

    def _object(self, object_id: str, query: dict[str, str]) -> tuple[int, Any, dict]:
        if object_id in (self.user_id, "me"):
            return 200, {"id": self.user_id, "username": self.username}, {}
        found = self.objects.get(object_id)
        if found is None:
            message = f"Unsupported get request. Object with ID '{object_id}' does not exist"
            return (
                400,
                {"error": {"message": message, "type": "GraphMethodException", "code": 100, "error_subcode": 33}},
                {},
            )
        if found["kind"] == "container":
            status = found["status"]
            if status == "FINISHED" and self.not_ready > 0:
                self.not_ready -= 1
                status = "IN_PROGRESS"
            if self.network == "instagram":
                return 200, ig.container_status(object_id, status), {}
            return 200, th.container_status(object_id, status), {}
        if found["kind"] == "post":
            comments = [o for o in self.objects.values() if o["kind"] == "comment" and o["post"] == object_id]
            view = {"id": object_id, "permalink": found["permalink"], "timestamp": found["timestamp"]}
            view |= {"like_count": ig.MEDIA_COUNTERS["like_count"], "comments_count": len(comments)}
            return 200, view, {}
        return 200, {"id": object_id}, {}

    # Instagram: POST /{ig-user-id}/media, media_publish; GET media, content_publishing_limit, comments,
    # insights, replies; POST /{comment}/replies.  Threads: POST threads, threads_publish; GET threads,
    # threads_publishing_limit, conversation, insights, mentions, replies.

    def _post_media(self, user: str, query: dict[str, str], form: dict[str, str]) -> tuple[int, Any, dict]:
        return self._create(form)

    def _post_threads(self, user: str, query: dict[str, str], form: dict[str, str]) -> tuple[int, Any, dict]:
        return self._create(form)

    def _create(self, form: dict[str, str]) -> tuple[int, Any, dict]:
        image_url = form.get("image_url")
        if image_url:  # Meta fetches the image from the address it was given
            try:
                fetched = requests.get(image_url, timeout=5)
                self.fetched.append((image_url, fetched.status_code, len(fetched.content)))
                ok = fetched.ok and fetched.content
            except requests.RequestException:
                self.fetched.append((image_url, 0, 0))
                ok = False
            if not ok:
                body = {"error": {"message": "Media download has failed.", "code": 9004, "error_subcode": 2207052}}
                return 400, body, {}
        with self._lock:
            container_id = str(next(self._ids))
            self.objects[container_id] = {
                "kind": "container",
                "id": container_id,
                "form": dict(form),
                "status": "FINISHED",
            }
        return 200, {"id": container_id}, {}

    def _post_media_publish(self, user: str, query: dict[str, str], form: dict[str, str]) -> tuple[int, Any, dict]:
        return self._publish(form)

    def _post_threads_publish(self, user: str, query: dict[str, str], form: dict[str, str]) -> tuple[int, Any, dict]:
        return self._publish(form)

    def _publish(self, form: dict[str, str]) -> tuple[int, Any, dict]:
        container = self.objects.get(form.get("creation_id", ""))
        if container is None or container["kind"] != "container":
            return 400, {"error": {"message": "Invalid parameter", "code": 100}}, {}
        if container["status"] == "PUBLISHED":
            return 400, {"error": {"message": "The container was already published", "code": 100}}, {}
        with self._lock:
            post_id = str(next(self._ids))
            container["status"] = "PUBLISHED"
            text = container["form"].get("caption", container["form"].get("text", ""))
            site = "https://www.instagram.com/p/" if self.network == "instagram" else "https://www.threads.net/@x/post/"
            self.objects[post_id] = {
                "kind": "post",
                "id": post_id,
                "text": text,
                "timestamp": _now(),
                "permalink": f"{site}{post_id}/",
                "form": container["form"],
                "reply_to": container["form"].get("reply_to_id"),
            }
        return 200, {"id": post_id}, {}

    def _own_posts(self, replies: bool) -> list[dict[str, Any]]:
        posts = [p for p in self.posts() if bool(p["reply_to"]) == replies]
        return sorted(posts, key=lambda p: p["id"], reverse=True)

    def _get_media(self, user: str, query: dict[str, str], form: dict[str, str]) -> tuple[int, Any, dict]:
        items = [
            {"id": p["id"], "caption": p["text"], "timestamp": p["timestamp"], "permalink": p["permalink"]}
            for p in self._own_posts(False)
        ]
        return 200, ig.media_list(items), {}

    def _get_threads(self, user: str, query: dict[str, str], form: dict[str, str]) -> tuple[int, Any, dict]:
        items = [
            {"id": p["id"], "text": p["text"], "timestamp": p["timestamp"], "permalink": p["permalink"]}
            for p in self._own_posts(False)
        ]
        return 200, th.threads_list(items), {}

    def _get_content_publishing_limit(self, user: str, query: dict[str, str], form: dict[str, str]):
        return 200, self._limit(ig.CONTENT_PUBLISHING_LIMIT), {}

    def _get_threads_publishing_limit(self, user: str, query: dict[str, str], form: dict[str, str]):
        return 200, self._limit(th.PUBLISHING_LIMIT), {}

    def _limit(self, recorded: dict[str, Any]) -> dict[str, Any]:
        if self.quota_total is None:
            return recorded
        entry = recorded["data"][0]
        return {"data": [entry | {"config": entry["config"] | {"quota_total": self.quota_total}}]}

    def _get_insights(self, post_id: str, query: dict[str, str], form: dict[str, str]):
        return 200, ig.MEDIA_INSIGHTS if self.network == "instagram" else th.INSIGHTS, {}

    def _comments_of(self, parent: str) -> list[dict[str, Any]]:
        return [o for o in self.objects.values() if o["kind"] == "comment" and o["parent"] == parent]

    def _get_comments(self, post_id: str, query: dict[str, str], form: dict[str, str]):
        data = [
            {
                "id": c["id"],
                "text": c["text"],
                "timestamp": c["timestamp"],
                "username": c["username"],
                "from": {"id": c["user_id"], "username": c["username"]},
            }
            for c in self._comments_of(post_id)
        ]
        return 200, {"data": data}, {}

    def _get_conversation(self, post_id: str, query: dict[str, str], form: dict[str, str]):
        data = [
            {
                "id": c["id"],
                "text": c["text"],
                "username": c["username"],
                "timestamp": c["timestamp"],
                "permalink": f"https://www.threads.net/@{c['username']}/post/{c['id']}",
                "root_post": {"id": c["post"]},
                "replied_to": {"id": c["parent"]},
            }
            for c in self.objects.values()
            if c["kind"] == "comment" and c["post"] == post_id
        ]
        return 200, {"data": data}, {}

    def _get_mentions(self, user: str, query: dict[str, str], form: dict[str, str]):
        return 200, th.MENTIONS, {}

    def _post_comments(self, media_id: str, query: dict[str, str], form: dict[str, str]):
        """Instagram: our own comment on our media (`POST /{ig-media-id}/comments`, `message`: its id)."""
        if media_id not in self.objects:
            return 400, {"error": {"message": "Invalid parameter", "code": 100}}, {}
        with self._lock:
            comment_id = str(next(self._ids))
            self.objects[comment_id] = {
                "kind": "comment",
                "id": comment_id,
                "post": media_id,
                "parent": media_id,
                "username": self.username,
                "user_id": self.user_id,
                "text": form.get("message", ""),
                "timestamp": _now(),
            }
        return 200, {"id": comment_id}, {}

    def _post_replies(self, comment_id: str, query: dict[str, str], form: dict[str, str]):
        """Instagram: our reply to a comment."""
        if comment_id not in self.objects:
            return 400, {"error": {"message": "Invalid parameter", "code": 100}}, {}
        with self._lock:
            reply_id = str(next(self._ids))
            self.objects[reply_id] = {
                "kind": "comment",
                "id": reply_id,
                "post": self.objects[comment_id].get("post", comment_id),
                "parent": comment_id,
                "username": self.username,
                "user_id": self.user_id,
                "text": form.get("message", ""),
                "timestamp": _now(),
            }
        return 200, {"id": reply_id}, {}

    def _get_replies(self, object_id: str, query: dict[str, str], form: dict[str, str]):
        if self.network == "threads" and object_id in (self.user_id, "me"):  # the user's own replies
            data = [
                {
                    "id": p["id"],
                    "text": p["text"],
                    "timestamp": p["timestamp"],
                    "permalink": p["permalink"],
                    "replied_to": {"id": p["reply_to"]},
                }
                for p in self._own_posts(True)
            ]
            return 200, {"data": data}, {}
        data = [
            {"id": c["id"], "text": c["text"], "timestamp": c["timestamp"], "username": c["username"]}
            for c in self._comments_of(object_id)
        ]
        return 200, {"data": data}, {}


def _now() -> str:
    return clock.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def serve(stand_in: MetaStandIn) -> tuple[ThreadingHTTPServer, threading.Thread]:
    """Start the stand-in on a free loopback port; `stand_in.base_url` is set."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def _handle(self, method: str) -> None:
            url = urlparse(self.path)
            query = dict(parse_qsl(url.query))
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = dict(parse_qsl(raw))
            stand_in.tokens_seen.append((self.headers.get("Authorization") or "").removeprefix("Bearer "))
            status, body, headers = stand_in.answer(method, url.path, query, form)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stand_in.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    return server, thread
