"""A stand-in for X's API v2 on a loopback port, for end-to-end tests: written for these tests (no X server
exists to run locally), stateful where Prism is not, and checked by Prism on every request.

Each request parley makes is first sent, as it came (method, path, query, body, Authorization), to Prism
serving X's own OpenAPI description (`prism_x`); the violations Prism reports are kept in `violations`,
so a test asserts that X would have accepted every request. The answer then comes from this stand-in's
state, in the shapes of tests/support/x_recorded.py (each shaped after X's documentation): posts are
kept in memory with their author, conversation and the post they reply to; people other than the
account are added with `reply_as`. Only what parley calls is served: `GET /2/users/me`, `POST /2/tweets`,
`GET /2/tweets/:id`, `GET /2/users/:id/tweets`, `GET /2/users/:id/mentions`, `GET /2/tweets/search/recent`
(`conversation_id:<id>` and plain words).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlparse

import requests

ACCOUNT_ID = "2244994945"  # X's documentation's example user (XDevelopers)
ACCOUNT_USERNAME = "XDevelopers"
FIRST_POST_ID = 1460323737035677698  # ids grow like X's snowflakes: newer is larger


@dataclass
class XPost:
    id: str
    text: str
    author_id: str
    conversation_id: str
    replied_to: str | None = None

    def view(self, fields: set[str]) -> dict[str, Any]:
        shown: dict[str, Any] = {"id": self.id, "text": self.text, "author_id": self.author_id}
        if "conversation_id" in fields:
            shown["conversation_id"] = self.conversation_id
        if self.replied_to:
            shown["referenced_posts"] = [{"type": "replied_to", "id": self.replied_to}]
        return shown


@dataclass
class XStandIn:
    prism_url: str
    base_url: str = ""
    posts: list[XPost] = field(default_factory=list)
    users: dict[str, str] = field(default_factory=lambda: {ACCOUNT_ID: ACCOUNT_USERNAME})
    requests_seen: list[tuple[str, str]] = field(default_factory=list)
    violations: list[tuple[str, str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def creates(self) -> list[XPost]:
        """Posts the account created through `POST /2/tweets` (the create calls that succeeded)."""
        return [p for p in self.posts if p.author_id == ACCOUNT_ID]

    def reply_as(self, user_id: str, username: str, text: str, in_reply_to: str) -> XPost:
        with self._lock:
            self.users[user_id] = username
            return self._add(text, user_id, in_reply_to)

    def _add(self, text: str, author_id: str, replied_to: str | None) -> XPost:
        post_id = str(FIRST_POST_ID + len(self.posts) + 1)
        parent = next((p for p in self.posts if p.id == replied_to), None)
        post = XPost(post_id, text, author_id, parent.conversation_id if parent else post_id, replied_to)
        self.posts.append(post)
        return post

    # -- what the HTTP handler calls -------------------------------------------------------------------

    def check_with_prism(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> None:
        response = requests.request(method, f"{self.prism_url}{path}", data=body, headers=headers, timeout=10)
        for violation in json.loads(response.headers.get("sl-violations") or "[]"):
            if (violation.get("location") or [""])[0] == "request":
                self.violations.append((method, path, violation))

    def answer(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        url = urlparse(path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        fields = set((query.get("post.fields") or "").split(","))
        parts = url.path.strip("/").split("/")
        with self._lock:
            self.requests_seen.append((method, url.path))
            if method == "POST" and url.path == "/2/oauth2/token":
                # Not in X's OpenAPI description: answered as X's docs show it (tests/support/x_recorded.py).
                from tests.support.x_recorded import AUTHORIZATION_CODE_TOKEN_200

                return 200, AUTHORIZATION_CODE_TOKEN_200
            if method == "GET" and url.path == "/2/users/me":
                return 200, {"data": {"id": ACCOUNT_ID, "name": "X Dev", "username": ACCOUNT_USERNAME}}
            if method == "POST" and url.path == "/2/tweets":
                replied_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
                post = self._add(str(body.get("text") or ""), ACCOUNT_ID, replied_to)
                return 201, {"data": {"id": post.id, "text": post.text}}
            if method == "GET" and url.path == "/2/tweets/search/recent":
                words = query.get("query", "").replace("-is:retweet", "").strip()
                if words.startswith("conversation_id:"):
                    root = words.split(":", 1)[1]
                    found = [p for p in self.posts if p.conversation_id == root and p.id != root]
                else:
                    found = [p for p in self.posts if words.lower() in p.text.lower()]
                return 200, self._page(found, query, fields)
            if method == "GET" and len(parts) == 3 and parts[:2] == ["2", "tweets"]:
                looked_up = next((p for p in self.posts if p.id == parts[2]), None)
                if looked_up is None:
                    return 200, {"errors": [{"detail": f"Could not find tweet with id: [{parts[2]}]."}]}
                replies = sum(1 for p in self.posts if p.replied_to == looked_up.id)
                metrics = {"repost_count": 0, "reply_count": replies, "like_count": 0, "quote_count": 0}
                return 200, {"data": {**looked_up.view(fields), "public_metrics": metrics}}
            if method == "GET" and len(parts) == 4 and parts[:2] == ["2", "users"] and parts[3] == "tweets":
                return 200, self._page([p for p in self.posts if p.author_id == parts[2]], query, fields)
            if method == "GET" and len(parts) == 4 and parts[:2] == ["2", "users"] and parts[3] == "mentions":
                handle = f"@{self.users.get(parts[2], '')}".lower()
                found = [p for p in self.posts if handle in p.text.lower() and p.author_id != parts[2]]
                return 200, self._page(found, query, fields)
        return 404, {"title": "Not Found Error", "detail": f"this stand-in does not serve {method} {url.path}"}

    def _page(self, posts: list[XPost], query: dict[str, str], fields: set[str]) -> dict[str, Any]:
        since = int(query.get("since_id") or 0)
        chosen = sorted((p for p in posts if int(p.id) > since), key=lambda p: int(p.id), reverse=True)
        if not chosen:
            return {"meta": {"result_count": 0}}
        authors = sorted({p.author_id for p in chosen})
        return {
            "data": [p.view(fields) for p in chosen],
            "includes": {
                "users": [{"id": a, "name": self.users.get(a, a), "username": self.users.get(a, a)} for a in authors]
            },
            "meta": {"result_count": len(chosen), "newest_id": chosen[0].id, "oldest_id": chosen[-1].id},
        }


def serve(stand_in: XStandIn) -> ThreadingHTTPServer:
    """Start the stand-in on a free loopback port (sets `base_url`); `shutdown()` the server to stop it."""

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else None
            forwarded = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
            form = "x-www-form-urlencoded" in (self.headers.get("Content-Type") or "")
            if not self.path.startswith("/2/oauth2/"):  # X's description has no OAuth endpoints
                stand_in.check_with_prism(self.command, self.path, forwarded, raw)
            parsed = dict(parse_qsl(raw.decode())) if form and raw else json.loads(raw) if raw else {}
            status, body = stand_in.answer(self.command, self.path, parsed)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _handle
        do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    stand_in.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
