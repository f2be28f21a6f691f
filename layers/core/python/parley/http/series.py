"""Repeating posts' series (parley.publishing.series, docs/recurring.md): reading one, editing the occurrences
to come, cancelling it. A series is made by POST /posts with `repeat`; each occurrence is a post of its own."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from parley.http.fields import PathId
from parley.http.schemas import EditSeries
from parley.publishing import series_edits
from parley.scheduling.wiring import arming as _arming
from parley.team import members

router = Router()


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


@router.get(
    "/series/<series_id>", summary="A repeating post's series: its rule, texts, occurrences made, times to come"
)
def get_series(series_id: PathId) -> dict[str, Any]:
    return series_edits.get_series(_caller(), series_id)


@router.patch("/series/<series_id>", summary="Edit the occurrences to come (those out keep what they had)")
def edit_series(series_id: PathId, body: EditSeries) -> dict[str, Any]:
    changes = series_edits.changes_of(body.model_dump(exclude_none=True))
    return series_edits.edit_future(_caller(), _arming(), series_id, changes)


@router.delete("/series/<series_id>", summary="Stop the series: no more occurrences; the live one is cancelled")
def cancel_series(series_id: PathId) -> dict[str, Any]:
    return series_edits.cancel(_caller(), _arming(), series_id)
