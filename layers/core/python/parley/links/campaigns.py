"""Campaign presets: per workspace, a campaign name's extra UTM parameters, added to the targets of the
short links of posts in that campaign (parley.links.short_links.with_utm).

One item per preset (store.CampaignRecord: the workspace, then the name), so there may be any number; the
list is paged. An older parley kept them all as one map in the workspace's item; they are moved to items
the first time the workspace's presets are listed or one is set (`move_old_presets`), and until then a
queued post still finds its campaign's preset in the map (`preset`).
"""

from __future__ import annotations

import re
from typing import Any

from parley.shared import clock
from parley.shared.errors import FieldProblem, NotFound, ValidationFailed
from parley.shared.observability import logger
from parley.shared.pagination import Listing, decode_cursor, encode_cursor
from parley.store import CampaignRecord, PutError, UpdateError, WorkspaceRecord
from parley.team.members import Principal, Role

MAX_PARAMS = 10
MAX_VALUE = 200
MAX_PAGE = 100
_NAME = re.compile(r"utm_[a-z0-9_]{1,40}")
RESERVED = frozenset({"utm_source", "utm_medium", "utm_campaign"})  # parley sets these per delivery


def _workspace(workspace_id: str) -> WorkspaceRecord:
    try:
        return WorkspaceRecord.get(workspace_id, consistent_read=True)
    except WorkspaceRecord.DoesNotExist as exc:
        raise NotFound("no such workspace") from exc


def _refused(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


def move_old_presets(workspace_id: str) -> int:
    """The workspace's presets from an older parley's map, each to its own item (a preset set since, under
    the same name, wins), then the map removed if it is still what was read. Any step may run twice or
    side by side with another: each is conditional. How many were moved. 404 for no such workspace."""
    workspace = _workspace(workspace_id)
    old = workspace.campaigns.as_dict() if workspace.campaigns else None
    if old is None:
        return 0
    moved = 0
    now = clock.now()
    for name, utm in old.items():
        try:
            CampaignRecord(workspace_id, str(name), utm=dict(utm), updated_at=now).save(
                condition=CampaignRecord.campaign.does_not_exist()
            )
            moved += 1
        except PutError as exc:
            if not _refused(exc):
                raise
    try:
        workspace.update(
            actions=[WorkspaceRecord.campaigns.remove()],
            condition=WorkspaceRecord.campaigns == old,  # type: ignore[comparison-overlap]
        )
    except UpdateError as exc:
        if not _refused(exc):
            raise
    logger.info("campaign presets moved to their own items", extra={"workspace_id": workspace_id, "moved": moved})
    return moved


def _view(record: CampaignRecord) -> dict[str, Any]:
    return {"campaign": record.campaign, "utm": {str(k): str(v) for k, v in record.utm.as_dict().items()}}


def list_presets(principal: Principal, limit: int = MAX_PAGE, cursor: str | None = None) -> dict[str, Any]:
    """One page of the workspace's presets, by name: a Query, never the whole list in one item."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed(FieldProblem("limit", f"must be between 1 and {MAX_PAGE}"))
    listing = Listing(principal.workspace_id, "campaigns")
    start = decode_cursor(cursor, listing)  # signed and bound to this workspace's presets, else a 400
    if start is None:
        move_old_presets(principal.workspace_id)
    page = CampaignRecord.query(principal.workspace_id, limit=limit, last_evaluated_key=start)
    items = [_view(record) for record in page]
    return {"items": items, "next_cursor": encode_cursor(page.last_evaluated_key, listing)}


def preset(workspace_id: str, campaign: str | None) -> dict[str, str]:
    """The campaign's extra UTM parameters (none: {}): its item, else the older map, not yet moved."""
    if not campaign:
        return {}
    try:
        return {str(k): str(v) for k, v in CampaignRecord.get(workspace_id, campaign).utm.as_dict().items()}
    except CampaignRecord.DoesNotExist:
        pass
    try:
        workspace = WorkspaceRecord.get(workspace_id, attributes_to_get=["campaigns"])
    except WorkspaceRecord.DoesNotExist:
        return {}
    old = workspace.campaigns.as_dict() if workspace.campaigns else {}
    return {str(k): str(v) for k, v in (old.get(campaign) or {}).items()}


def put_preset(principal: Principal, campaign: str, utm: dict[str, str]) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    problems = []
    if not 1 <= len(campaign) <= 100:
        problems.append(FieldProblem("name", "1 to 100 characters"))
    if len(utm) > MAX_PARAMS:
        problems.append(FieldProblem("utm", f"at most {MAX_PARAMS} parameters"))
    for key, value in utm.items():
        if not _NAME.fullmatch(key):
            problems.append(FieldProblem(f"utm.{key}", "must be utm_ followed by lower-case letters, digits or _"))
        elif key in RESERVED:
            problems.append(FieldProblem(f"utm.{key}", "is set by parley (the network, social, the campaign)"))
        elif not value or len(value) > MAX_VALUE:
            problems.append(FieldProblem(f"utm.{key}", f"1 to {MAX_VALUE} characters"))
    if problems:
        raise ValidationFailed(problems)
    move_old_presets(principal.workspace_id)  # first: the older map's preset of this name must not win after
    CampaignRecord(
        principal.workspace_id, campaign, utm=dict(utm), updated_at=clock.now(), updated_by=principal.member_id
    ).save()
    return {"campaign": campaign, "utm": utm}
