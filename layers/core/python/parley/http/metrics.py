"""Metrics routes: a post's engagement curves and clicks, a period's summary (JSON or CSV), and the
workspace's campaign presets for short links' UTM tags (parley.metrics)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from parley.links import campaigns
from parley.metrics import views
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.team import members

router = Router()


class CampaignPreset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    utm: dict[str, str] = Field(description='Extra UTM parameters, e.g. {"utm_content": "banner"}')


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


@router.get("/posts/<post_id>/metrics", summary="A post's engagement curve and clicks, per delivery")
def post_metrics(post_id: str) -> dict[str, Any]:
    return views.post_metrics(_caller(), post_id)


@router.get("/metrics/summary", summary="Totals, top posts and best posting hours for a period (JSON or CSV)")
def summary(
    since: Annotated[str | None, Query(alias="from", description="ISO 8601 with offset (default: 30 days ago)")] = None,
    until: Annotated[str | None, Query(alias="to", description="ISO 8601 with offset (default: now)")] = None,
    channel: Annotated[str | None, Query(description="only this channel")] = None,
    format: Annotated[str | None, Query(description="json (default) or csv")] = None,
) -> Response[Any]:
    if format not in (None, "json", "csv"):
        raise ValidationFailed(FieldProblem("format", "must be json or csv"))
    result = views.summary(_caller(), since, until, channel)
    accept = router.current_event.headers.get("accept") or router.current_event.headers.get("Accept") or ""
    if format == "csv" or (format is None and "text/csv" in accept):
        return Response(200, "text/csv; charset=utf-8", body=views.to_csv(result))
    return Response(200, "application/json", body=result)


@router.get("/campaigns", summary="Campaign presets: extra UTM parameters per campaign name")
def list_campaigns() -> dict[str, Any]:
    return {"items": campaigns.list_presets(_caller())}


@router.put("/campaigns/<name>", summary="Set a campaign's extra UTM parameters")
def put_campaign(name: str, body: CampaignPreset) -> dict[str, Any]:
    return campaigns.put_preset(_caller(), name, body.utm)
