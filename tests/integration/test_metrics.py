"""Short links, the redirect and the metrics API against moto's server, with the API and redirect
functions called in-process (the e2e test drives the same through the local runtime and Bluesky)."""

from __future__ import annotations

import threading
from datetime import timedelta, timezone
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from functions.redirect.handler import lambda_handler as redirect
from parley.links import clicks, short_links
from parley.metrics import snapshots, views
from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.names import Table
from parley.store import DeliveryRecord, LinkRecord
from parley.store.keys import click_tally_key, post_key
from tests.integration.test_api_posts import Workspace, draft, in_minutes, make_workspace
from tests.support.short_links import BASE


@pytest.fixture
def ws(aws: str) -> Workspace:
    return make_workspace()


BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


def click(code: str, user_agent: str = BROWSER, ip: str = "203.0.113.7") -> dict[str, Any]:
    """API Gateway's event for `GET /l/{code}` from `ip` (its requestContext says where it came from)."""
    event = {
        "path": f"/l/{code}",
        "pathParameters": {"code": code},
        "headers": {"User-Agent": user_agent},
        "requestContext": {"identity": {"sourceIp": ip, "userAgent": user_agent}},
    }
    return redirect(event, None)


def codes_in(text: str) -> list[str]:
    return [word.rsplit("/l/", 1)[1].rstrip(".,") for word in text.split() if "/l/" in word]


def test_without_a_public_base_url_links_are_left_as_they_are_and_the_answer_says_so(ws: Workspace) -> None:
    answer = ws.editor.call("POST", "/posts", draft(ws, text="Read https://example.com/launch now"))
    assert answer.status == 201
    assert answer.body["deliveries"][0]["text"] == "Read https://example.com/launch now"
    assert answer.body["short_links"] == "off" and "PARLEY_PUBLIC_BASE_URL" in answer.body["short_links_reason"]


def test_links_become_short_links_with_utm_tags_and_the_preset_of_the_campaign(
    ws: Workspace, short_links_on: None
) -> None:
    preset = ws.editor.call("PUT", "/campaigns/launch", {"utm": {"utm_content": "hero"}})
    assert preset.status == 200, preset.body
    text = "New: https://www.example.com/blog/2026/launch-of-the-new-thing?ref=a and example.org."
    answer = ws.editor.call("POST", "/posts", draft(ws, text=text, campaign="launch"))
    assert answer.status == 201, answer.body
    assert answer.body["short_links"] == "on"
    delivered = answer.body["deliveries"][0]["text"]
    first, second = codes_in(delivered)
    assert delivered == f"New: {BASE}/l/{first} and {BASE}/l/{second}."
    target = LinkRecord.get(first).target
    assert target is not None and target.startswith("https://www.example.com/blog/2026/launch-of-the-new-thing?")
    assert parse_qs(urlsplit(target).query) == {
        "ref": ["a"],
        "utm_source": ["bluesky"],
        "utm_medium": ["social"],
        "utm_campaign": ["launch"],
        "utm_content": ["hero"],
    }
    # Bluesky shows the original, shortened, and the facet points at the short link.
    shown, spans = short_links.for_publish("bluesky", delivered)
    assert shown == "New: example.com/blog/2026/launch-\u2026 and example.org."
    assert [shown[s:e] for s, e, _ in spans] == ["example.com/blog/2026/launch-\u2026", "example.org"]
    assert [uri for _, _, uri in spans] == [f"{BASE}/l/{first}", f"{BASE}/l/{second}"]
    from parley.networks import richtext

    facets = richtext.build_facets(shown, lambda handle: None, links=spans)
    assert [f["features"][0]["uri"] for f in facets] == [f"{BASE}/l/{first}", f"{BASE}/l/{second}"]


def test_length_is_checked_on_what_the_network_will_count(ws: Workspace, short_links_on: None) -> None:
    long_url = "https://example.com/" + "a" * 400
    fits = ws.editor.call("POST", "/posts", draft(ws, text="See " + long_url))
    assert fits.status == 201, fits.body  # Bluesky counts the shown text (30 characters), not the URL
    too_long = ws.editor.call("POST", "/posts", draft(ws, text="x" * 290 + " " + long_url))
    assert too_long.status == 422


def test_an_edit_rewrites_the_links_again(ws: Workspace, short_links_on: None) -> None:
    created = ws.editor.call("POST", "/posts", draft(ws, text="One https://example.com/a")).body
    (old,) = codes_in(created["deliveries"][0]["text"])
    edited = ws.editor.call("PATCH", f"/posts/{created['id']}", {"text": "Two https://example.com/b"})
    assert edited.status == 200, edited.body
    (new,) = codes_in(edited.body["post"]["deliveries"][0]["text"])
    assert new != old and (LinkRecord.get(new).target or "").startswith("https://example.com/b?")


def test_the_redirect_counts_people_and_crawlers_apart_and_404s_what_it_did_not_write(
    ws: Workspace, short_links_on: None
) -> None:
    created = ws.editor.call("POST", "/posts", draft(ws, text="Go https://example.com/x")).body
    (code,) = codes_in(created["deliveries"][0]["text"])
    answer = click(code)
    assert answer["statusCode"] == 302 and answer["headers"]["Location"] == LinkRecord.get(code).target
    assert click(code, "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)")["statusCode"] == 302
    assert click(code, "Twitterbot/1.0")["statusCode"] == 302
    record = LinkRecord.get(code)
    assert (record.clicks, record.previews) == (1, 2)
    for bad in ("AAAAAAAAAAAA", "short", "../../etc", "", f"{code}@2026-01-01T00", "https:%2F%2Fevil.test"):
        gone = click(bad)
        assert gone["statusCode"] == 404 and "Link not found" in gone["body"]
        assert "Location" not in gone["headers"]


def test_a_cancelled_posts_short_links_stop_redirecting_and_keep_their_clicks(
    ws: Workspace, short_links_on: None
) -> None:
    kept = ws.editor.call("POST", "/posts", draft(ws, text="Stays https://example.com/kept")).body
    (kept_code,) = codes_in(kept["deliveries"][0]["text"])
    created = ws.editor.call("POST", "/posts", draft(ws, text="Go https://example.com/gone")).body
    (code,) = codes_in(created["deliveries"][0]["text"])
    assert click(code)["statusCode"] == 302
    assert ws.editor.call("DELETE", f"/posts/{created['id']}").status == 200
    gone = click(code)
    assert gone["statusCode"] == 404 and "Location" not in gone["headers"]
    assert LinkRecord.get(code).clicks == 1 and LinkRecord.get(code).retired_at is not None
    assert click(kept_code)["statusCode"] == 302  # another post's link is left alone


class CountingClient:
    """The real boto3 client, counting the calls a click makes."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.exceptions = real.exceptions
        self.calls = 0

    def update_item(self, **kwargs: Any) -> Any:
        self.calls += 1
        return self.real.update_item(**kwargs)


def test_no_click_is_lost_or_counted_twice_under_concurrent_clicks_and_each_costs_four_calls(
    ws: Workspace, short_links_on: None, frozen: clock.ManualClock
) -> None:
    import boto3

    created = ws.editor.call("POST", "/posts", draft(ws, text="Go https://example.com/busy")).body
    (code,) = codes_in(created["deliveries"][0]["text"])
    threads, per_thread = 8, 25
    # moto (not DynamoDB) creates an item non-atomically: two UpdateItems racing on an item that does not
    # exist yet both put a fresh one and one ADD is lost. So one click makes the hour's item (the hour's
    # visitor key and the delivery's tally) before the race; every click after it races on items that exist,
    # as the busy hour of a real link does.
    assert clicks.follow(code, "Mozilla/5.0", "10.0.0.1") is not None
    counting = CountingClient(boto3.client("dynamodb"))
    start = threading.Barrier(threads)

    def clicker(n: int) -> None:
        start.wait()
        for i in range(per_thread):  # each click a visitor of its own
            assert clicks.follow(code, "Mozilla/5.0", f"10.1.{n}.{i}", dynamodb=counting) is not None

    workers = [threading.Thread(target=clicker, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    clicked = 1 + threads * per_thread
    assert LinkRecord.get(code).clicks == clicked
    assert counting.calls == 4 * threads * per_thread  # the visitor's marker, the count, the tally, the hour
    hour = clock.now().strftime("%Y-%m-%dT%H")
    assert LinkRecord.get(f"{code}@{hour}").clicks == clicked
    tally = click_tally_key(post_key(ws.id, created["id"]), ws.channel_id)
    assert LinkRecord.get(tally).clicks == clicked
    repeat = CountingClient(boto3.client("dynamodb"))
    assert clicks.follow(code, "Mozilla/5.0", "10.1.0.0", dynamodb=repeat) is not None and repeat.calls == 2
    assert LinkRecord.get(code).clicks == clicked and LinkRecord.get(tally).clicks == clicked
    unknown = CountingClient(boto3.client("dynamodb"))
    assert clicks.follow("A" * 12, None, dynamodb=unknown) is None and unknown.calls == 2
    assert clicks.follow("../x", None, dynamodb=unknown) is None and unknown.calls == 2


# ---- one visitor, one click an hour (issue 15 item 10) -------------------------------------------


@pytest.fixture
def at_ten_past(frozen: clock.ManualClock) -> clock.ManualClock:
    """The clock at ten past an hour: forty minutes later is still the same hour."""
    frozen.set(frozen.now().replace(minute=10, second=0, microsecond=0))
    return frozen


def link_of_a_post(ws: Workspace) -> tuple[str, str]:
    created = ws.editor.call("POST", "/posts", draft(ws, text="Go https://example.com/once")).body
    (code,) = codes_in(created["deliveries"][0]["text"])
    return created["id"], code


def test_a_visitor_counts_once_an_hour_however_often_they_click(
    ws: Workspace, short_links_on: None, at_ten_past: clock.ManualClock
) -> None:
    _, code = link_of_a_post(ws)
    first_hour = clock.now().strftime("%Y-%m-%dT%H")

    for _ in range(3):
        assert click(code, ip="203.0.113.7")["statusCode"] == 302  # every click is still redirected
    at_ten_past.advance(40 * 60)
    assert click(code, ip="203.0.113.7")["statusCode"] == 302
    assert LinkRecord.get(code).clicks == 1

    click(code, ip="198.51.100.2")  # another address
    click(
        code, "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1", ip="203.0.113.7"
    )  # another device
    assert LinkRecord.get(code).clicks == 3

    at_ten_past.advance(3600)  # the next hour
    click(code, ip="203.0.113.7")
    assert LinkRecord.get(code).clicks == 4
    next_hour = clock.now().strftime("%Y-%m-%dT%H")
    assert (LinkRecord.get(f"{code}@{first_hour}").clicks, LinkRecord.get(f"{code}@{next_hour}").clicks) == (3, 1)


def links_table_items() -> list[dict[str, Any]]:
    import boto3

    table = get_settings().tables[Table.LINKS]
    return list(boto3.client("dynamodb").scan(TableName=table)["Items"])  # the test reads all; parley never scans


def test_visitor_markers_hold_no_address_and_no_listing_of_the_posts_links_sees_them(
    ws: Workspace, short_links_on: None, at_ten_past: clock.ManualClock
) -> None:
    post_id, code = link_of_a_post(ws)

    click(code, ip="203.0.113.77")
    click(code, ip="203.0.113.77")
    click(code, ip="198.51.100.22")

    markers = [i for i in links_table_items() if i["code"]["S"].startswith(f"{code}@") and "#" in i["code"]["S"]]
    assert len(markers) == 2  # one per visitor of the hour
    assert all(set(m) == {"code", "expires_at"} for m in markers)  # no post, no target: a TTL only
    assert "203.0.113.77" not in str(links_table_items()) and "198.51.100.22" not in str(links_table_items())
    counts = views.link_counts(ws.id, post_id)
    assert [link["code"] for link in counts.links] == [code]
    assert counts.clicks[ws.channel_id] == 2 and [h["clicks"] for h in counts.hours[ws.channel_id]] == [2]
    (delivery,) = ws.viewer.call("GET", f"/posts/{post_id}/metrics").body["deliveries"]
    assert [link["code"] for link in delivery["links"]] == [code] and delivery["latest"]["clicks"] == 2


def test_an_hours_visitor_key_is_wiped_once_the_next_hour_has_its_own(
    ws: Workspace, short_links_on: None, at_ten_past: clock.ManualClock
) -> None:
    _, code = link_of_a_post(ws)
    click(code)
    first_hour = clock.now().strftime("%Y-%m-%dT%H")

    at_ten_past.advance(3600)
    click(code)

    keys = {i["code"]["S"]: i for i in links_table_items() if i["code"]["S"].startswith("visitor-key@")}
    assert "key" not in keys[f"visitor-key@{first_hour}"]  # its hashes can no longer be traced back
    assert "key" in keys[f"visitor-key@{clock.now().strftime('%Y-%m-%dT%H')}"]


def publish(ws: Workspace, post_id: str, hours_ago: float) -> None:
    """Marks the delivery published (the e2e test publishes for real on Bluesky)."""
    (record,) = DeliveryRecord.query(post_id)
    record.update(
        actions=[
            DeliveryRecord.state.set("published"),
            DeliveryRecord.published_at.set(clock.now() - timedelta(hours=hours_ago)),
        ]
    )


def poll(ws: Workspace, post_id: str, **counters: int) -> None:
    watch = SimpleNamespace(workspace_id=ws.id, post_id=post_id, channel_id=ws.channel_id)
    snapshots.record(watch, "bluesky", counters)


def test_a_posts_metrics_give_its_curve_clicks_and_rates_and_another_workspace_gets_404(
    ws: Workspace, short_links_on: None, frozen: clock.ManualClock
) -> None:
    post = ws.editor.call("POST", "/posts", draft(ws, text="Go https://example.com/curve")).body
    publish(ws, post["id"], 1)
    poll(ws, post["id"], like=1, repost=0, reply=0, quote=0)
    frozen.advance(120)  # the next poll, two minutes later
    poll(ws, post["id"], like=3, repost=1, reply=1, quote=0, impression=100)
    (code,) = codes_in(post["deliveries"][0]["text"])
    click(code, ip="203.0.113.7")
    click(code, ip="198.51.100.2")  # two people

    answer = ws.viewer.call("GET", f"/posts/{post['id']}/metrics")
    assert answer.status == 200, answer.body
    (delivery,) = answer.body["deliveries"]
    assert [p["engagement"] for p in delivery["points"]] == [1, 5]
    assert delivery["latest"]["likes"] == 3 and delivery["latest"]["clicks"] == 2
    assert delivery["latest"]["engagement_rate"] == 0.05 and delivery["latest"]["click_through_rate"] == 0.02
    assert sum(h["clicks"] for h in delivery["clicks_by_hour"]) == 2

    other = make_workspace("Other")
    assert other.viewer.call("GET", f"/posts/{post['id']}/metrics").status == 404
    assert ws.viewer.call("GET", "/posts/p_nope/metrics").status == 404


def test_the_summary_and_its_csv_agree_and_bad_ranges_are_422(ws: Workspace, short_links_on: None) -> None:
    ids = []
    for n, hours_ago in enumerate((2, 30)):
        post = ws.editor.call("POST", "/posts", draft(ws, text=f"Post {n} https://example.com/{n}")).body
        publish(ws, post["id"], hours_ago)
        poll(ws, post["id"], like=n + 1, repost=n)
        click(codes_in(post["deliveries"][0]["text"])[0])
        ids.append(post["id"])
    now = clock.now()
    window = {"from": (now - timedelta(days=3)).isoformat(), "to": (now + timedelta(days=1)).isoformat()}
    query = "&".join(f"{k}={v.replace('+', '%2B')}" for k, v in window.items())
    summary = ws.viewer.call("GET", f"/metrics/summary?{query}")
    assert summary.status == 200, summary.body
    totals = summary.body["totals"]
    assert totals["posts"] == 2 and totals["likes"] == 3 and totals["reposts"] == 1 and totals["clicks"] == 2
    assert summary.body["top_posts"][0]["post_id"] == ids[1]
    assert summary.body["top_posts"][0]["text"] == "Post 1 https://example.com/1"  # as written, not shortened
    assert {(c["weekday"], c["hour"]) for c in summary.body["best_hours"]}

    as_csv = ws.viewer.call("GET", f"/metrics/summary?{query}", headers={"Accept": "text/csv"})
    assert as_csv.status == 200 and as_csv.headers["Content-Type"].startswith("text/csv")
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(as_csv.body)))
    for name in ("likes", "reposts", "engagement", "clicks"):
        assert sum(int(r[name]) for r in rows) == totals[name]
    assert ws.viewer.call("GET", f"/metrics/summary?{query}&format=csv").body == as_csv.body

    def fields(path: str) -> set[str]:
        answer = ws.viewer.call("GET", path)
        assert answer.status == 422, answer.body
        return {e["field"] for e in answer.body["errors"]}

    assert fields("/metrics/summary?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z") == {"from"}
    assert fields("/metrics/summary?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z") == {"to"}
    assert fields("/metrics/summary?from=yesterday") == {"from"}
    assert fields("/metrics/summary?format=xml") == {"format"}
    other = make_workspace("Elsewhere")
    assert other.viewer.call("GET", f"/metrics/summary?{query}").body["totals"]["posts"] == 0


def test_the_summary_reads_a_period_with_an_offset_as_the_instants_it_names(ws: Workspace) -> None:
    # issue 15 item 11: `from` in +05:00 was compared with the UTC keys as written, five hours later
    soon, later = (ws.editor.call("POST", "/posts", draft(ws, publish_at=in_minutes(m))).body["id"] for m in (30, 300))
    for post_id in (soon, later):
        publish(ws, post_id, 1)
    start = (clock.now() + timedelta(hours=2)).astimezone(timezone(timedelta(hours=5))).isoformat()
    end = (clock.now() + timedelta(days=1)).isoformat()
    answer = ws.viewer.call("GET", f"/metrics/summary?from={start.replace('+', '%2B')}&to={end.replace('+', '%2B')}")
    assert answer.status == 200, answer.body
    assert [row["post_id"] for row in answer.body["deliveries"]] == [later]
