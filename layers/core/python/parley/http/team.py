"""The team: members, their roles and their API tokens (parley.team)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field, Strict, field_validator, model_validator

from parley.http.fields import Name, Omitted, PathId, not_null
from parley.store import MemberRecord, WorkspaceRecord
from parley.team import members, tokens
from parley.team.members import ROLE_DESCRIPTIONS, Role

router = Router()

# a body's role is a string: strict models take only Role() instances for the enum itself
RoleName = Annotated[Role, Strict(False)]
ROLES = "; ".join(f"{role}: {what}" for role, what in ROLE_DESCRIPTIONS.items())


class NewMember(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [{"name": "Grace Hopper", "role": "editor", "token_label": "laptop"}]},
    )

    name: Name = Field(description="How the team knows them")
    role: RoleName = Field(description=f"What they may do ({ROLES})")
    token_label: Name | Omitted = Field(default=None, description="A name for their first token (its use)")

    _not_null = field_validator("token_label", mode="before")(not_null)


class EditMember(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "anyOf": [{"required": ["name"]}, {"required": ["role"]}],
            "examples": [{"role": "admin"}, {"name": "Grace B. Hopper"}],
        },
    )

    name: Name | Omitted = None
    role: RoleName | Omitted = Field(default=None, description=f"What they may do ({ROLES})")

    _not_null = field_validator("name", "role", mode="before")(not_null)

    @model_validator(mode="after")
    def something_to_change(self) -> EditMember:
        if self.name is None and self.role is None:
            raise ValueError("give a name, a role or both")
        return self


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"label": "Zapier"}]})

    label: Name | Omitted = Field(default=None, description="What the token is for (a script, Zapier, a laptop)")

    _not_null = field_validator("label", mode="before")(not_null)


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


def member_view(record: MemberRecord) -> dict[str, Any]:
    return {
        "id": record.member_id,
        "name": record.name,
        "role": record.role,
        "created_at": record.created_at.isoformat(),
    }


def _issued(record: Any, issued: tokens.IssuedToken) -> dict[str, Any]:
    return tokens.token_view(record) | {"secret": issued.token}


@router.get("/me", summary="Who this token belongs to: the member, their role and their workspace")
def me() -> dict[str, Any]:
    principal = _caller()
    workspace = WorkspaceRecord.get(principal.workspace_id)
    member = members.get_member(principal.workspace_id, principal.member_id)
    return member_view(member) | {"workspace": {"id": workspace.workspace_id, "name": workspace.name}}


@router.get("/members", summary="The workspace's members and their roles")
def list_members() -> dict[str, Any]:
    return {"items": [member_view(m) for m in members.list_members(_caller().workspace_id)]}


@router.post("/members", summary="Invite a member (admins): their first token is in the answer, shown once")
def invite(body: NewMember) -> Response[dict[str, Any]]:
    member, token, issued = tokens.invite(_caller(), body.name, body.role, body.token_label)
    return Response(201, "application/json", body=member_view(member) | {"token": _issued(token, issued)})


@router.get("/members/<member_id>", summary="One member")
def get_member(member_id: PathId) -> dict[str, Any]:
    return member_view(members.get_member(_caller().workspace_id, member_id))


@router.patch(
    "/members/<member_id>",
    summary="Rename a member or change their role (admins; a workspace always keeps one admin)",
)
def edit_member(member_id: PathId, body: EditMember) -> dict[str, Any]:
    return member_view(members.change_member(_caller(), member_id, name=body.name, role=body.role))


@router.delete("/members/<member_id>", summary="Remove a member (admins): every token of theirs stops at once")
def remove_member(member_id: PathId) -> Response[str]:
    tokens.remove(_caller(), member_id)
    return Response(204, "application/json", body="")


@router.get("/members/<member_id>/tokens", summary="A member's tokens: prefix, label, last use (theirs or an admin)")
def list_tokens(member_id: PathId) -> dict[str, Any]:
    return {"items": [tokens.token_view(t) for t in tokens.list_tokens(_caller(), member_id)]}


@router.post("/members/<member_id>/tokens", summary="A new token (theirs or an admin): the secret is shown once")
def create_token(member_id: PathId, body: NewToken) -> Response[dict[str, Any]]:
    record, issued = tokens.create_token(_caller(), member_id, body.label)
    return Response(201, "application/json", body=_issued(record, issued))


@router.delete("/members/<member_id>/tokens/<token_id>", summary="Revoke a token: it stops at once")
def revoke_token(member_id: PathId, token_id: PathId) -> Response[str]:
    tokens.revoke(_caller(), member_id, token_id)
    return Response(204, "application/json", body="")
