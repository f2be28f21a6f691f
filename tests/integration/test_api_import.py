"""`POST /posts/import` against the moto endpoint, through the API function: dry runs store nothing, imports
are all or nothing (or partial), idempotent per file, and take 1,000 rows (docs/import.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from parley.publishing import imports, posts
from parley.scheduling.wiring import arming
from parley.shared import clock
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.store import DeliveryRecord, MediaRecord, PostRecord
from parley.team import members, tokens
from tests.integration.test_api_posts import Workspace, count_posts, make_workspace, schedules
from tests.support.api import Answer, ApiClient
from tests.support.images import png
from tests.support.loopback import allow_loopback, serving

CSV = {"Content-Type": "text/csv"}
HEADER = "text,channels,publish_at,time_zone\n"


@pytest.fixture
def ws(aws: str) -> Workspace:
    return make_workspace()


def later(minutes: int = 60) -> str:
    return (clock.now() + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def good_rows(ws: Workspace, n: int, start: int = 0) -> str:
    return "".join(f"Post number {start + i},{ws.channel_id},{later(60 + i)},\n" for i in range(n))


def send(ws: Workspace, body: str | bytes, query: str = "", headers: dict[str, str] | None = None) -> Answer:
    return ws.editor.call("POST", f"/posts/import{query}", body, CSV | (headers or {}))


def deliveries(ws: Workspace) -> list[DeliveryRecord]:
    return [d for d in DeliveryRecord.scan() if d.workspace_id == ws.id]


def media_count(ws: Workspace) -> int:
    return sum(1 for m in MediaRecord.scan() if m.workspace_id == ws.id)


def test_a_dry_run_answers_per_line_and_column_and_stores_nothing(ws: Workspace) -> None:
    body = HEADER + good_rows(ws, 1) + f"Too late,{ws.channel_id},2001-01-01T09:00:00Z,\n" + "No channel,,,\n"
    before = schedules()
    answer = send(ws, body, "?dry_run=true")
    assert answer.status == 200, answer.body
    assert answer.body["valid_lines"] == [2] and answer.body["rows"] == 3
    errors = {(e["line"], e["column"]) for e in answer.body["errors"]}
    assert (3, "publish_at") in errors  # the same check as POST /posts: in the past
    assert (4, "channels") in errors and (4, "publish_at") not in errors  # no time: a draft, once it has a channel
    assert count_posts(ws) == 0 and schedules() == before and deliveries(ws) == []


def test_handles_excel_serials_and_semicolons_import_as_posts_would(ws: Workspace) -> None:
    day = (clock.now() + timedelta(days=30)).date()
    serial = (day - date(1899, 12, 30)).days + 0.375  # 09:00 that day, as Excel stores it
    body = "Text;Channels;Publish At;Time Zone\r\n"
    body += f"Hello;@acme.test;{later()};\r\nSerial;acme.test;{serial};Europe/Paris\r\n"
    answer = send(ws, body.encode("utf-8-sig"))
    assert answer.status == 201, answer.body
    second = ws.editor.call("GET", f"/posts/{answer.body['created'][1]['post_id']}").body
    paris = datetime.combine(day, time(9), ZoneInfo("Europe/Paris"))
    assert datetime.fromisoformat(second["publish_at"]) == paris
    assert second["deliveries"][0]["channel_id"] == ws.channel_id


def test_a_row_without_a_time_is_a_draft_checked_for_its_text_and_channels(ws: Workspace) -> None:
    body = HEADER + f"Someday,{ws.channel_id},,\n" + f"   ,{ws.channel_id},,\n"
    refused = send(ws, body, "?dry_run=true")
    assert {(e["line"], e["column"]) for e in refused.body["errors"]} == {(3, "text")}
    before = schedules()
    answer = send(ws, HEADER + f"Someday,{ws.channel_id},,\n")
    assert answer.status == 201, answer.body
    post = ws.editor.call("GET", f"/posts/{answer.body['created'][0]['post_id']}").body
    assert post["status"] == "draft" and post["publish_at"] is None
    assert schedules() == before  # a draft is never armed


def test_all_or_nothing_refuses_the_file_for_one_bad_row_and_writes_nothing(ws: Workspace) -> None:
    body = HEADER + good_rows(ws, 3) + f"{'x' * 400},{ws.channel_id},{later()},\n"
    before = schedules()
    answer = send(ws, body)
    assert answer.status == 422, answer.body
    (error,) = answer.body["errors"]
    assert error["line"] == 5 and error["column"] == "text" and "Bluesky" in error["reason"]
    assert count_posts(ws) == 0 and schedules() == before


def test_partial_keeps_the_good_rows_and_reports_the_rest(ws: Workspace) -> None:
    body = HEADER + good_rows(ws, 2) + "Nowhere,ch_nope,2030-01-01T09:00:00Z,\n"
    answer = send(ws, body, "?partial=true")
    assert answer.status == 201, answer.body
    assert [c["line"] for c in answer.body["created"]] == [2, 3]
    assert answer.body["errors"] == [
        {"line": 4, "column": "channels", "reason": "no channel ch_nope (an id or a handle)"}
    ]
    assert count_posts(ws) == 2
    for created in answer.body["created"]:
        assert PostRecord.get(ws.id, created["post_id"]).text.startswith("Post number")


def test_the_same_idempotency_key_twice_creates_once(ws: Workspace) -> None:
    body = HEADER + good_rows(ws, 3)
    first = send(ws, body, headers={"Idempotency-Key": "file-1"})
    again = send(ws, body, headers={"Idempotency-Key": "file-1"})
    assert first.status == again.status == 201
    assert again.body == first.body and count_posts(ws) == 3
    other = send(ws, HEADER + good_rows(ws, 1, start=9), headers={"Idempotency-Key": "file-1"})
    assert other.status == 422 and other.body["errors"][0]["field"] == "Idempotency-Key"


def nth_write_fails(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """The import's `n`th post is refused while writing (as a quota the file's earlier rows filled would)."""
    real, calls = posts.create_post, {"n": 0}

    def fails(*args: Any, **kwargs: Any) -> dict[str, Any]:
        calls["n"] += 1
        if calls["n"] == n:
            raise ValidationFailed(FieldProblem("publish_at", "the channel's daily quota is full"))
        return real(*args, **kwargs)

    monkeypatch.setattr(posts, "create_post", fails)


def test_a_row_failing_while_writing_cancels_what_the_file_wrote(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    nth_write_fails(monkeypatch, 3)
    answer = send(ws, HEADER + good_rows(ws, 4))
    assert answer.status == 422, answer.body
    assert answer.body["errors"] == [
        {"field": "publish_at", "line": 4, "column": "publish_at", "reason": "the channel's daily quota is full"}
    ]
    assert len(answer.body["cancelled"]) == 2
    assert {d.state for d in deliveries(ws)} == {"cancelled"}
    assert not [name for name in schedules() for post_id in answer.body["cancelled"] if post_id in name]


def test_a_thousand_rows_fit_in_one_request(ws: Workspace) -> None:
    body = HEADER + good_rows(ws, 1000)
    assert len(body.encode()) < 6 * 1024 * 1024  # Lambda's synchronous payload (API Gateway's is 10 MB)
    answer = send(ws, body, "?dry_run=true")
    assert answer.status == 200 and len(answer.body["valid_lines"]) == 1000
    too_many = send(ws, body + good_rows(ws, 1), "?dry_run=true")
    assert too_many.status == 422 and "more than 1000 rows" in too_many.body["errors"][0]["reason"]


def test_the_body_must_be_utf8_csv(ws: Workspace) -> None:
    assert ws.editor.call("POST", "/posts/import", {"text": "hi"}).status == 415
    assert send(ws, b"text,channels\n" + b"caf\xe9,x\n").status == 400
    header = send(ws, "text,chanels,when\nHi,x,y\n")
    assert header.status == 422
    assert {e["field"] for e in header.body["errors"]} == {"header"}
    assert "chanels" in header.body["errors"][0]["reason"]
    assert ws.viewer.call("POST", "/posts/import", HEADER + good_rows(ws, 1), CSV).status == 403


def test_a_contributors_rows_wait_for_approval_and_an_all_or_nothing_failure_cancels_them(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    contributor = ApiClient(tokens.add_member(ws.id, "Cy", members.Role.CONTRIBUTOR).token)
    body = HEADER + good_rows(ws, 2) + f"A draft,{ws.channel_id},,\n"

    answer = contributor.call("POST", "/posts/import", body, CSV)

    assert answer.status == 201, answer.body
    created = [contributor.call("GET", f"/posts/{c['post_id']}").body for c in answer.body["created"]]
    assert [p["status"] for p in created] == ["pending_approval", "pending_approval", "draft"]
    assert created[0]["history"][0]["action"] == "submitted"
    assert ws.editor.call("POST", f"/posts/{created[0]['id']}/approve").status == 200
    assert contributor.call("POST", f"/posts/{created[1]['id']}/approve").status == 403  # not their own either
    # all or nothing: a row failing while writing cancels the contributor's waiting rows (theirs to cancel)
    nth_write_fails(monkeypatch, 2)
    refused = contributor.call("POST", "/posts/import", HEADER + good_rows(ws, 2, start=5), CSV)
    assert refused.status == 422, refused.body
    (cancelled,) = refused.body["cancelled"]
    assert contributor.call("GET", f"/posts/{cancelled}").body["status"] == "cancelled"


def test_with_approval_off_a_contributors_rows_are_scheduled(ws: Workspace) -> None:
    contributor = ApiClient(tokens.add_member(ws.id, "Cy", members.Role.CONTRIBUTOR).token)
    assert ws.admin.call("PUT", "/workspace/approval", {"required": False}).status == 200
    answer = contributor.call("POST", "/posts/import", HEADER + good_rows(ws, 1), CSV)
    assert answer.status == 201, answer.body
    assert contributor.call("GET", f"/posts/{answer.body['created'][0]['post_id']}").body["status"] == "scheduled"


class _Images(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body, kind = (png(), "image/png") if self.path == "/a.png" else (b"<html></html>", "text/html")
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def images(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    allow_loopback(monkeypatch)
    with serving(_Images) as base:
        yield base


def test_media_urls_are_fetched_checked_and_stored_as_uploaded_media(ws: Workspace, images: str) -> None:
    body = "text,channels,publish_at,media_urls,alt_texts\n"
    body += f"With an image,{ws.channel_id},{later()},{images}/a.png,A red square\n"
    body += f"Not an image,{ws.channel_id},{later()},{images}/page,\n"
    dry = send(ws, body, "?dry_run=true")
    assert dry.status == 200 and dry.body["valid_lines"] == [2]
    assert dry.body["errors"][0]["line"] == 3 and dry.body["errors"][0]["column"] == "media_urls"
    assert media_count(ws) == 0

    answer = send(ws, body, "?partial=true")
    assert answer.status == 201, answer.body
    post = ws.editor.call("GET", f"/posts/{answer.body['created'][0]['post_id']}").body
    (media_id,) = post["media"]
    media = ws.editor.call("GET", f"/media/{media_id}").body
    assert media["status"] == "ready" and media["alt"] == "A red square" and media["content_type"] == "image/png"


def test_a_media_url_on_a_private_address_is_refused(ws: Workspace) -> None:
    body = f"text,channels,publish_at,media_urls\nHi,{ws.channel_id},{later()},http://169.254.169.254/latest\n"
    answer = send(ws, body, "?dry_run=true")
    (error,) = answer.body["errors"]
    assert error["column"] == "media_urls" and "not fetched" in error["reason"]


def ticking(seconds: list[float]) -> Callable[[], float]:
    """A request's remaining time that the test sets: each call reads the next value."""
    return lambda: seconds.pop(0) if len(seconds) > 1 else seconds[0]


def test_all_or_nothing_out_of_time_cancels_what_it_wrote_and_says_how_big_a_part_fits(ws: Workspace) -> None:
    editor = tokens.authenticate(f"Bearer {ws.editor.token}")
    data = (HEADER + good_rows(ws, 5)).encode()
    with pytest.raises(imports.ImportTooLarge) as caught:
        imports.import_csv(editor, arming(), data, time_left=ticking([20.0, 20.0, 1.0]))
    assert caught.value.written == 2 and len(caught.value.cancelled) == 2
    assert {d.state for d in deliveries(ws)} == {"cancelled"}


def test_partial_out_of_time_reports_the_lines_it_did_not_write(ws: Workspace) -> None:
    editor = tokens.authenticate(f"Bearer {ws.editor.token}")
    data = (HEADER + good_rows(ws, 4)).encode()
    answer = imports.import_csv(editor, arming(), data, partial=True, time_left=ticking([20.0, 1.0]))
    assert [c["line"] for c in answer["created"]] == [2]
    assert [(e["line"], e["column"]) for e in answer["errors"]] == [(3, None), (4, None), (5, None)]
    assert "time ran out" in answer["errors"][0]["reason"] and count_posts(ws) == 1
