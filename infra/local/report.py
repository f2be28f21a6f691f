"""The HTML report: engagement curves, clicks per post and the best posting hours, drawn by plotly into
one self-contained file (plotly.js inline: it opens in any browser with no network).

It reads parley's own API (the local runtime's, or a deployed one), so it sees exactly what
`GET /metrics/summary` and `GET /posts/{id}/metrics` answer:

    export PARLEY=http://127.0.0.1:8080 TOKEN=pk_...
    .venv/bin/python -m infra.local.report --out out/report.html [--from 2026-11-01T00:00:00Z] [--to ...]
        [--screenshot out/report.png]   # the report as headless Chromium draws it

plotly is a dev dependency, not in the Lambda layer: the report is drawn on the marketer's machine.
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import requests

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MAX_CURVES = 20  # posts whose curves are drawn (the top posts of the period)
CHART_IDS = ("chart-engagement", "chart-clicks", "chart-hours")

Fetch = Callable[[str, dict[str, str] | None], Any]


def api_fetcher(base_url: str, token: str) -> Fetch:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"

    def fetch(path: str, params: dict[str, str] | None = None) -> Any:
        answer = session.get(base_url.rstrip("/") + path, params=params, timeout=60)
        if not answer.ok:
            raise SystemExit(f"{path}: {answer.status_code} {answer.text[:500]}")
        return answer.json()

    return fetch


def collect(fetch: Fetch, since: str | None, until: str | None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    params = {k: v for k, v in {"from": since, "to": until}.items() if v}
    summary = fetch("/metrics/summary", params or None)
    post_ids = list(dict.fromkeys(row["post_id"] for row in summary["deliveries"]))[:MAX_CURVES]
    return summary, [fetch(f"/posts/{post_id}/metrics", None) for post_id in post_ids]


def _label(post_id: str, texts: dict[str, str]) -> str:
    text = texts.get(post_id, "")
    return f"{text[:40]}\u2026" if len(text) > 40 else text or post_id


def engagement_figure(metrics: list[dict[str, Any]], texts: dict[str, str]) -> go.Figure:
    figure = go.Figure()
    for post in metrics:
        for delivery in post["deliveries"]:
            points = delivery["points"]
            if not points:
                continue
            # A curve starts at the moment the post went out, with nothing yet.
            start = [(delivery["published_at"], 0)] if delivery.get("published_at") else []
            curve = start + [(p["at"], p["engagement"]) for p in points]
            figure.add_trace(
                go.Scatter(
                    x=[at for at, _ in curve],
                    y=[value for _, value in curve],
                    mode="lines+markers",
                    name=f"{_label(post['post_id'], texts)} ({delivery['network']})",
                )
            )
    figure.update_layout(title="Engagement over time (likes + reposts + replies + quotes)", yaxis_title="engagement")
    return figure


def clicks_figure(summary: dict[str, Any], texts: dict[str, str]) -> go.Figure:
    per_post: dict[str, list[int]] = {}
    for row in summary["deliveries"]:
        counts = per_post.setdefault(row["post_id"], [0, 0])
        counts[0] += int(row["clicks"])
        counts[1] += int(row["previews"])
    labels = [_label(post_id, texts) for post_id in per_post]
    figure = go.Figure(
        [
            go.Bar(x=labels, y=[c[0] for c in per_post.values()], name="people"),
            go.Bar(x=labels, y=[c[1] for c in per_post.values()], name="link previews"),
        ]
    )
    figure.update_layout(title="Clicks through parley's short links, per post", barmode="group")
    return figure


def hours_figure(summary: dict[str, Any]) -> go.Figure:
    grid: list[list[float | None]] = [[None] * 24 for _ in WEEKDAYS]
    for cell in summary["best_hours"]:
        grid[WEEKDAYS.index(cell["weekday"])][int(cell["hour"])] = cell["avg_engagement"] + cell["avg_clicks"]
    figure = go.Figure(go.Heatmap(z=grid, x=list(range(24)), y=list(WEEKDAYS), colorscale="Blues", hoverongaps=False))
    figure.update_layout(
        title="Engagement + clicks per delivery, by publishing weekday and hour (UTC)",
        xaxis_title="hour (UTC)",
        yaxis={"autorange": "reversed"},
    )
    return figure


def build_report(summary: dict[str, Any], metrics: list[dict[str, Any]]) -> str:
    """One HTML page: the totals, then three charts; plotly.js is inlined once, with the first chart."""
    texts = {row["post_id"]: row.get("text", "") for row in summary["deliveries"]}
    figures = (engagement_figure(metrics, texts), clicks_figure(summary, texts), hours_figure(summary))
    charts = [
        figure.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=CHART_IDS[i], include_mathjax=False)
        for i, figure in enumerate(figures)
    ]
    totals = "".join(
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in summary["totals"].items()
    )
    top = "".join(
        f"<li>{html.escape(p['text'])} <small>({p['engagement']} engagement, {p['clicks']} clicks)</small></li>"
        for p in summary["top_posts"]
    )
    period = f"{html.escape(str(summary['from']))} to {html.escape(str(summary['to']))}"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>parley report</title>"
        "<style>body{font-family:sans-serif;margin:2em;max-width:1100px}td,th{padding:2px 12px;text-align:left}"
        "</style></head><body>"
        f"<h1>parley report</h1><p>{period}</p><table>{totals}</table>"
        f"<h2>Top posts</h2><ol>{top}</ol>{''.join(charts)}</body></html>"
    )


def write_report(out: Path, fetch: Fetch, since: str | None = None, until: str | None = None) -> Path:
    summary, metrics = collect(fetch, since, until)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(build_report(summary, metrics), encoding="utf-8")
    return out


# Headless, and quiet on a machine with no network (Chromium otherwise reaches for Google's services).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def screenshot(page: Path, out: Path, width: int = 1280, height: int = 2400) -> Path:
    """A PNG of the report as a browser draws it (Debian's chromium: scripts/install-chromium.sh)."""
    browser = shutil.which(os.environ.get("CHROMIUM", "chromium"))
    if browser is None:
        raise SystemExit("chromium not found: run scripts/install-chromium.sh (or set CHROMIUM)")
    with tempfile.TemporaryDirectory(prefix="parley-chromium-") as profile:
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "--virtual-time-budget=5000",  # let plotly draw before the picture is taken
                f"--screenshot={out.resolve()}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.report", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("out/report.html"))  # out/: git ignores it
    parser.add_argument("--from", dest="since", help="ISO 8601 with offset (default: 30 days ago)")
    parser.add_argument("--to", dest="until", help="ISO 8601 with offset (default: now)")
    parser.add_argument("--api", default=os.environ.get("PARLEY", "http://127.0.0.1:8080"), help="$PARLEY")
    parser.add_argument("--token", default=os.environ.get("TOKEN"), help="$TOKEN, a member token (pk_...)")
    parser.add_argument("--screenshot", type=Path, help="also write a PNG of the report, drawn by headless Chromium")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token or set TOKEN")
    written = write_report(args.out, api_fetcher(args.api, args.token), args.since, args.until)
    print(f"wrote {written}")
    if args.screenshot:
        print(f"wrote {screenshot(written, args.screenshot)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
