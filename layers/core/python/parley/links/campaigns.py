"""Campaign presets: per workspace, a campaign name's extra UTM parameters, added to the targets of the
short links of posts in that campaign (parley.links.short_links.with_utm)."""

from __future__ import annotations

import re
from typing import Any

from parley.shared.errors import FieldProblem, NotFound, ValidationFailed
from parley.store import WorkspaceRecord
from parley.team.members import Principal, Role

MAX_PARAMS = 10
MAX_VALUE = 200
_NAME = re.compile(r"utm_[a-z0-9_]{1,40}")
RESERVED = frozenset({"utm_source", "utm_medium", "utm_campaign"})  # parley sets these per delivery


def _workspace(principal: Principal) -> WorkspaceRecord:
    try:
        return WorkspaceRecord.get(principal.workspace_id)
    except WorkspaceRecord.DoesNotExist as exc:
        raise NotFound("no such workspace") from exc


def list_presets(principal: Principal) -> list[dict[str, Any]]:
    presets = _workspace(principal).campaigns
    items = presets.as_dict() if presets else {}
    return [{"campaign": name, "utm": dict(utm)} for name, utm in sorted(items.items())]


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
    workspace = _workspace(principal)
    presets = workspace.campaigns.as_dict() if workspace.campaigns else {}
    workspace.update(actions=[WorkspaceRecord.campaigns.set({**presets, campaign: utm})])
    return {"campaign": campaign, "utm": utm}
