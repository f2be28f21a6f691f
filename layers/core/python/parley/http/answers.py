"""Approved answers: the team's agreed wording, used by `POST /inbox/{id}/reply` (parley.listening.answers)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict

from parley.http.fields import PathId, line_field, text_field
from parley.listening import answers
from parley.team import members

router = Router()


class ApprovedAnswer(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "name": "Shipping delay",
                    "text": "Sorry for the wait, {author}: order {order} is on its way.",
                }
            ]
        },
    )

    name: str = line_field(100, "What it answers, for the team")
    text: str = text_field(3000, "The wording; {author} and {your_names}", min_length=1)


def _caller() -> members.Principal:
    principal: members.Principal = router.context["principal"]
    return principal


@router.post("/answers", summary="Add an approved answer")
def create(body: ApprovedAnswer) -> Response[dict[str, Any]]:
    created = answers.create(_caller(), body.name, body.text)
    return Response(201, "application/json", body=created, headers={"Location": f"/answers/{created['id']}"})


@router.get("/answers", summary="The workspace's approved answers")
def list_all() -> dict[str, Any]:
    return {"items": answers.list_answers(_caller())}


@router.get("/answers/<answer_id>", summary="One approved answer")
def get_one(answer_id: PathId) -> dict[str, Any]:
    return answers.view(answers.get(_caller(), answer_id))


@router.put("/answers/<answer_id>", summary="Change an approved answer")
def update(answer_id: PathId, body: ApprovedAnswer) -> dict[str, Any]:
    return answers.update(_caller(), answer_id, body.name, body.text)


@router.delete("/answers/<answer_id>", summary="Remove an approved answer")
def delete(answer_id: PathId) -> Response[str]:
    answers.delete(_caller(), answer_id)
    return Response(204, "application/json", body="")
