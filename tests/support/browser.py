"""A browser over the in-process API (tests.support.api): it keeps the cookies answers set (RFC 6265: by name
and path, Max-Age=0 removes one) and sends back those whose path matches the request's, as a browser does.
It follows no redirects: a test reads `Location` and decides where the browser goes next."""

from __future__ import annotations

from urllib.parse import urlsplit

from tests.support.api import Answer, ApiClient


class Browser:
    def __init__(self, token: str | None = None) -> None:
        self.api = ApiClient(token)
        self.jar: dict[tuple[str, str], str] = {}  # (path, name) -> value

    def call(self, method: str, url: str, headers: dict[str, str] | None = None) -> Answer:
        path = urlsplit(url).path
        sent = [f"{name}={value}" for (scope, name), value in self.jar.items() if _within(path, scope)]
        all_headers = dict(headers or {})
        if sent:
            all_headers["Cookie"] = "; ".join(sent)
        answer = self.api.call(method, url, headers=all_headers)
        for line in answer.set_cookies:
            self.keep(line, path)
        return answer

    def keep(self, line: str, request_path: str) -> None:
        name, _, rest = line.partition("=")
        value, *attributes = [part.strip() for part in rest.split(";")]
        found = {k.lower(): v for k, _, v in (a.partition("=") for a in attributes)}
        scope = found.get("path") or request_path.rsplit("/", 1)[0] or "/"
        if found.get("max-age") == "0":
            self.jar.pop((scope, name), None)
        else:
            self.jar[(scope, name)] = value

    def cookie(self, name: str) -> str | None:
        return next((v for (_, n), v in self.jar.items() if n == name), None)


def _within(path: str, scope: str) -> bool:
    return path == scope or path.startswith(scope.rstrip("/") + "/")
