"""EMF metrics with one bounded dimension (the network: three values, never a post or channel id),
printed at once, apart from the function's own Metrics (whose dimensions stay `service` only)."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from parley.shared.names import APP, METRICS_NAMESPACE

KNOWN_NETWORKS = frozenset({"bluesky", "mastodon", "x", "linkedin", "facebook", "instagram", "threads"})
ENGAGEMENT = "Engagement"  # new likes + reposts + replies + quotes seen by a poll
CLICKS = "LinkClicks"  # people through a short link
PREVIEWS = "LinkPreviews"  # link-preview crawlers through a short link


def count(name: str, value: float, network: str | None) -> None:
    """`name` by network; an unknown network is "other", so the dimension cannot grow."""
    if value <= 0:
        return
    with single_metric(
        name=name, unit=MetricUnit.Count, value=value, namespace=METRICS_NAMESPACE, default_dimensions={"service": APP}
    ) as metric:
        metric.add_dimension(name="network", value=network if network in KNOWN_NETWORKS else "other")
