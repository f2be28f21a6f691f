"""Media: upload an image once, check it, use it in posts (parley.media; docs/media.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from parley.http.fields import TEXT_PATTERN, PathId
from parley.media import uploads as media
from parley.shared.names import MEDIA_MAX_UPLOAD_BYTES
from parley.shared.numbers import WholeNumber
from parley.store import WorkspaceRecord
from parley.team import members

router = Router()


AltText = Annotated[str, StringConstraints(max_length=media.MAX_ALT_CHARACTERS, pattern=TEXT_PATTERN)]


class NewMedia(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [{"content_type": "image/png", "size": 482133, "alt": "Our new store's front, at dawn"}]
        },
    )

    content_type: Literal["image/jpeg", "image/png", "image/webp", "image/gif"] = Field(
        description="The file's type; the upload must be of this type, and its bytes are checked"
    )
    size: WholeNumber = Field(
        ge=1, le=MEDIA_MAX_UPLOAD_BYTES, description="The file's size in bytes (the upload's cap)"
    )
    alt: AltText | None = Field(default=None, description="Alt text: what the image shows")


class MediaSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{"require_alt_text": True}]})

    require_alt_text: bool = Field(description="Refuse posts whose images have no alt text")


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


@router.post("/media", summary="Register an image and get a presigned upload (POST the file to upload.url)")
def create(body: NewMedia) -> Response[dict[str, Any]]:
    created = media.create_media(_caller(), media.MediaDraft(body.content_type, body.size, body.alt))
    return Response(201, "application/json", body=created, headers={"Location": f"/media/{created['id']}"})


@router.post("/media/<media_id>/complete", summary="The upload is done: check the file (idempotent)")
def complete(media_id: PathId) -> dict[str, Any]:
    return media.complete(_caller(), media_id)


@router.get("/media/<media_id>", summary="An image's status (pending, ready, rejected with a reason)")
def get(media_id: PathId) -> dict[str, Any]:
    return media.get_media(_caller(), media_id)


@router.get("/workspace/media", summary="Media settings of the workspace")
def get_media_settings() -> dict[str, Any]:
    record = WorkspaceRecord.get(_caller().workspace_id)
    return {"require_alt_text": bool(record.require_alt_text)}


@router.put("/workspace/media", summary="Set the media settings (admins)")
def put_media_settings(body: MediaSettings) -> dict[str, Any]:
    principal = _caller()
    principal.require(members.Role.ADMIN)
    WorkspaceRecord(principal.workspace_id).update(
        actions=[WorkspaceRecord.require_alt_text.set(body.require_alt_text)]
    )
    return {"require_alt_text": body.require_alt_text}
