"""Metrics routes: a post's engagement curves and clicks, a period's summary (JSON or CSV), and the
workspace's campaign presets for short links' UTM tags (parley.metrics)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from parley.http.fields import LINE_PATTERN, Cursor, PathId, QueryId, iso_time
from parley.links import campaigns
from parley.metrics import views
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.team import members

router = Router()

CampaignName = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f/?#%]+$")]
UTM_NAME_PATTERN = r"^utm_[a-z0-9_]{1,40}$"
UtmName = Annotated[str, Field(pattern=UTM_NAME_PATTERN)]
UtmValue = Annotated[str, Field(min_length=1, max_length=campaigns.MAX_VALUE, pattern=LINE_PATTERN)]


RESERVED_NAMES: list[Any] = sorted(campaigns.RESERVED)  # sorted: the document is the same on every run


class CampaignPreset(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"utm": {"utm_content": "banner", "utm_term": "running shoes"}}]},
    )

    utm: dict[UtmName, UtmValue] = Field(
        max_length=campaigns.MAX_PARAMS,
        description='Extra UTM parameters, e.g. {"utm_content": "banner"} (utm_source, utm_medium and utm_campaign '
        "are parley's)",
        json_schema_extra={
            "additionalProperties": False,
            "propertyNames": {"pattern": UTM_NAME_PATTERN, "not": {"enum": RESERVED_NAMES}},
        },
    )


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


@router.get("/posts/<post_id>/metrics", summary="A post's engagement curve and clicks, per delivery")
def post_metrics(post_id: PathId) -> dict[str, Any]:
    return views.post_metrics(_caller(), post_id)


@router.get("/metrics/summary", summary="Totals, top posts and best posting hours for a period (JSON or CSV)")
def summary(
    since: Annotated[
        AwareDatetime | None,
        BeforeValidator(iso_time),
        Query(alias="from", description="ISO 8601 with its offset (default: 30 days ago)"),
    ] = None,
    until: Annotated[
        AwareDatetime | None,
        BeforeValidator(iso_time),
        Query(alias="to", description="ISO 8601 with its offset (default: now)"),
    ] = None,
    channel: QueryId = None,
    format: Annotated[Literal["json", "csv"] | None, Query(description="json (default) or csv")] = None,
) -> Response[Any]:
    if format not in (None, "json", "csv"):
        raise ValidationFailed(FieldProblem("format", "must be json or csv"))
    start, end = (t.isoformat() if t else None for t in (since, until))
    result = views.summary(_caller(), start, end, channel)
    accept = router.current_event.headers.get("accept") or router.current_event.headers.get("Accept") or ""
    if format == "csv" or (format is None and "text/csv" in accept):
        return Response(200, "text/csv; charset=utf-8", body=views.to_csv(result))
    return Response(200, "application/json", body=result)


@router.get("/campaigns", summary="Campaign presets: extra UTM parameters per campaign name, by name, a page at a time")
def list_campaigns(
    limit: Annotated[int, Query(ge=1, le=campaigns.MAX_PAGE, description="At most this many presets")] = (
        campaigns.MAX_PAGE
    ),
    cursor: Cursor = None,
) -> dict[str, Any]:
    return campaigns.list_presets(_caller(), limit, cursor)


@router.put("/campaigns/<name>", summary="Set a campaign's extra UTM parameters")
def put_campaign(name: CampaignName, body: CampaignPreset) -> dict[str, Any]:
    return campaigns.put_preset(_caller(), name, body.utm)
