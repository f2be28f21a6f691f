"""Metrics end to end on the local runtime and a real local Bluesky network (with its AppView): a post
with a link goes out with a short link behind readable text, a second account's like and repost show in
the next snapshots, clicks through the local HTTP front are counted, the summary and its CSV agree, and
the HTML report is written with its charts."""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import imagesize
import pytest
import requests

from infra.local import audience, report
from infra.local.bluesky_net import BlueskyNetwork
from tests.e2e.test_publish_flow import Runtime, run_to_publish_time, runtime_with_channel

pytestmark = pytest.mark.bluesky


@pytest.fixture
def mt(bluesky_full: BlueskyNetwork, tmp_path: Path) -> Iterator[Runtime]:
    env = runtime_with_channel(bluesky_full, tmp_path / "state", "metrics")
    yield env
    env.runtime.stop()


def _until(check: Callable[[], bool], what: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"the AppView did not show {what} in {timeout} s")


def _counts(env: Runtime, uri: str) -> dict[str, Any]:
    answer = requests.get(f"{env.network.appview_url}/xrpc/app.bsky.feed.getPosts", params={"uris": [uri]}, timeout=10)
    posts = answer.json().get("posts", []) if answer.ok else []
    return dict(posts[0]) if posts else {}


def test_a_linked_post_is_measured_from_short_link_to_report(mt: Runtime, tmp_path: Path) -> None:
    body = {
        "text": "Launch notes: https://example.com/blog/launch-notes-for-november #launch",
        "channels": [mt.channel_id],
        "publish_at": (mt.clock.now() + timedelta(minutes=10)).isoformat(),
        "campaign": "november",
    }
    created = mt.call("POST", "/posts", body, **{"Idempotency-Key": uuid.uuid4().hex})
    assert created.status_code == 201, created.text
    post = created.json()
    assert post["short_links"] == "on"
    short_url = post["deliveries"][0]["text"].split()[2]
    assert short_url.startswith(mt.runtime.api_url + "/l/")
    run_to_publish_time(mt)

    # Out on Bluesky: readable text, the facet points at the short link.
    (record,) = mt.records()
    text = record["value"]["text"]
    shown = "example.com/blog/launch-notes\u2026"  # 29 characters of host and path, then an ellipsis
    assert text == f"Launch notes: {shown} #launch"
    (link,) = [f for f in record["value"]["facets"] if f["features"][0]["$type"].endswith("#link")]
    assert link["features"][0]["uri"] == short_url
    raw = text.encode()
    assert raw[link["index"]["byteStart"] : link["index"]["byteEnd"]].decode() == shown

    uri = mt.post(post["id"])["deliveries"][0]["remote_id"]
    _until(lambda: bool(_counts(mt, uri)), "the post", timeout=30)
    mt.advance(2 * 60)  # the first poll: a point with nothing yet
    root = audience.post_ref(mt.network.pds_url, uri)
    fan = mt.network.create_account(f"fan{uuid.uuid4().hex[:8]}.test", "fan-password")
    person = audience.Person(mt.network.pds_url, fan.handle, fan.password)
    person.like(root)
    person.repost(root)
    liked = {"likeCount": 1, "repostCount": 1}
    _until(lambda: {k: _counts(mt, uri).get(k) for k in liked} == liked, "the like and repost", timeout=30)
    mt.advance(2 * 60)  # the next poll sees them

    # Clicks through the local HTTP front (as API Gateway's public /l/{code} route): three people (all on
    # 127.0.0.1 here, told apart by their browsers), then the first again: a visitor counts once an hour.
    browsers = [
        "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
        " Version/18.0 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0"
        " Mobile Safari/537.36",
    ]
    people = [
        requests.get(short_url, headers={"User-Agent": agent}, allow_redirects=False, timeout=10)
        for agent in [*browsers, browsers[0]]
    ]
    assert {answer.status_code for answer in people} == {302}
    target = people[0].headers["Location"]
    assert target.startswith("https://example.com/blog/launch-notes-for-november?")
    assert parse_qs(urlsplit(target).query) == {
        "utm_source": ["bluesky"],
        "utm_medium": ["social"],
        "utm_campaign": ["november"],
    }
    preview = requests.get(short_url, headers={"User-Agent": "Twitterbot/1.0"}, allow_redirects=False, timeout=10)
    assert preview.status_code == 302
    missing = requests.get(mt.runtime.api_url + "/l/AAAAAAAAAAAA", allow_redirects=False, timeout=10)
    assert missing.status_code == 404 and "text/html" in missing.headers["Content-Type"]

    metrics = mt.call("GET", f"/posts/{post['id']}/metrics").json()
    (delivery,) = metrics["deliveries"]
    assert len(delivery["points"]) == 2
    assert delivery["points"][0]["counters"]["likes"] == 0
    assert delivery["points"][-1]["counters"] | {} == {"likes": 1, "reposts": 1, "replies": 0, "quotes": 0}
    assert delivery["latest"]["clicks"] == 3 and delivery["latest"]["previews"] == 1

    summary = mt.call("GET", "/metrics/summary").json()
    assert summary["totals"]["likes"] == 1 and summary["totals"]["clicks"] == 3
    as_csv = mt.call("GET", "/metrics/summary?format=csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    for name in ("likes", "reposts", "engagement", "clicks", "previews"):
        assert sum(int(row[name]) for row in rows) == summary["totals"][name]

    out = report.write_report(tmp_path / "report.html", report.api_fetcher(mt.runtime.api_url, mt.token))
    page = out.read_text()
    for chart in report.CHART_IDS:
        assert f'id="{chart}"' in page
    assert page.count("Plotly.newPlot") == 3
    assert "<script src=" not in page and "<link " not in page  # plotly.js is inline: no network needed

    # The charts as a browser draws them: a blank page would compress to a few kilobytes.
    picture = report.screenshot(out, tmp_path / "report.png", width=1280, height=2400)
    assert imagesize.get(picture) == (1280, 2400)
    assert picture.stat().st_size > 30_000
