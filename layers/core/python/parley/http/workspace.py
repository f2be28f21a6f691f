"""Workspace-wide settings and actions: alerts (parley.listening.alerts), hold and resume (parley.publishing.holds)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from parley.listening import alerts
from parley.publishing import holds
from parley.scheduling.wiring import arming
from parley.team import members

router = Router()


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


@router.post("/workspace/hold", summary="Hold every scheduled delivery (their schedules are removed)")
def hold() -> dict[str, Any]:
    return holds.hold_workspace(_caller(), arming())


@router.post("/workspace/resume", summary="Resume held deliveries (a time that passed: by the workspace's rule)")
def resume() -> dict[str, Any]:
    return holds.resume_workspace(_caller(), arming())


@router.get("/workspace/alerts", summary="When listening alerts the team, and whether it holds queued posts")
def get_alerts() -> dict[str, Any]:
    return alerts.view(alerts.settings_of(_caller().workspace_id))


@router.put("/workspace/alerts", summary="Set the alert threshold, baseline, webhook and auto-hold (admins)")
def put_alerts(body: alerts.AlertSettings) -> dict[str, Any]:
    principal = _caller()
    principal.require(members.Role.ADMIN)
    return alerts.view(alerts.save_settings(principal.workspace_id, body))
