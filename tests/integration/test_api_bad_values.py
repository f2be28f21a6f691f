"""Values that once reached the code behind the schema and answered 500 (issue 15 item 14), through the API
handler over moto: each is a 422 naming its field, whichever layer refuses it (the schema's fields, the
one rule for zones and the one for the years a time may have, in shared/timeparse.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.test_api_posts import Workspace, count_posts, draft, fields, make_workspace

FOLDER_ZONES = ["America", "Etc", "x" * 300]  # IsADirectoryError (Python < 3.13), OSError: name too long
EDGE_TIMES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"]  # OverflowError converting to UTC


@pytest.fixture
def ws(aws: str) -> Workspace:
    return make_workspace()


def refused(answer: Any, field: str) -> None:
    assert answer.status == 422, answer.body
    assert answer.headers.get("Content-Type") == "application/problem+json"
    assert field in fields(answer), answer.body


@pytest.mark.parametrize(
    ("body", "field"),
    [
        *(({"publish_at": "2030-01-01T10:00:00", "time_zone": name}, "time_zone") for name in FOLDER_ZONES),
        *(({"publish_at": f"2030-01-01T10:00:00[{name}]"}, "publish_at") for name in FOLDER_ZONES[:2]),
        *(({"publish_at": at}, "publish_at") for at in EDGE_TIMES),
        ({"publish_at": "0001-01-01T00:00:00", "time_zone": "Asia/Tokyo"}, "publish_at"),
        ({"media": [""]}, "media.0"),
    ],
)
def test_a_post_with_such_a_value_is_422_and_writes_nothing(ws: Workspace, body: dict[str, Any], field: str) -> None:
    refused(ws.editor.call("POST", "/posts", draft(ws, **body)), field)
    assert count_posts(ws) == 0


@pytest.mark.parametrize("at", EDGE_TIMES)
def test_an_edit_to_a_time_at_the_edges_of_time_is_422(ws: Workspace, at: str) -> None:
    post_id = ws.editor.call("POST", "/posts", draft(ws)).body["id"]
    refused(ws.editor.call("PATCH", f"/posts/{post_id}", {"publish_at": at}), "publish_at")


@pytest.mark.parametrize("name", FOLDER_ZONES)
def test_a_channel_with_such_a_zone_is_422(ws: Workspace, name: str) -> None:
    body = {"network": "bluesky", "identifier": "acme.test", "app_password": "abcd-efgh-ijkl-mnop", "time_zone": name}
    refused(ws.admin.call("POST", "/channels", body), "time_zone")
    refused(ws.admin.call("PATCH", f"/channels/{ws.channel_id}", {"time_zone": name}), "time_zone")


@pytest.mark.parametrize("name", FOLDER_ZONES)
@pytest.mark.parametrize("network", ["x", "linkedin"])
def test_connecting_with_such_a_zone_is_422(ws: Workspace, network: str, name: str) -> None:
    refused(ws.editor.call("GET", f"/channels/{network}/connect?time_zone={name}"), "time_zone")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("to=0001-01-01T00:00:00Z", "to"),
        ("to=9999-12-31T23:59:59-05:00", "to"),
        ("from=0001-01-01T00:00:00%2B01:00", "from"),
        ("from=9998-12-30T00:00:00Z&to=9999-01-01T00:00:00-05:00", "to"),
    ],
)
def test_a_summary_period_at_the_edges_of_time_is_422(ws: Workspace, query: str, field: str) -> None:
    refused(ws.viewer.call("GET", f"/metrics/summary?{query}"), field)


@pytest.mark.parametrize(
    ("query", "field"),
    [("since=0001-01-01T00:00:00%2B01:00", "since"), ("until=9999-12-31T23:59:59-05:00", "until")],
)
def test_a_posts_filter_at_the_edges_of_time_is_422(ws: Workspace, query: str, field: str) -> None:
    refused(ws.viewer.call("GET", f"/posts?{query}"), field)


def test_a_listener_on_an_empty_channel_id_is_422(ws: Workspace) -> None:
    refused(ws.editor.call("POST", "/listeners", {"channel_id": "", "kind": "mentions"}), "channel_id")


def test_a_lone_surrogate_in_a_campaigns_utm_value_is_422(ws: Workspace) -> None:
    # json.dumps writes it as the escape "\ud800": valid JSON, but no UTF-8 can hold it (UnicodeEncodeError)
    refused(ws.editor.call("PUT", "/campaigns/spring", {"utm": {"utm_content": "sale\ud800"}}), "utm.utm_content")
    assert ws.viewer.call("GET", "/campaigns").body["items"] == []
