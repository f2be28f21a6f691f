"""Approved answers: the team's agreed wording for common questions, so every answer speaks with one
voice. `{placeholders}` are filled when an answer is used: `{author}` is the person answered (as an
@mention), anything else comes from the reply's `values`; one left unfilled is refused (422)."""

from __future__ import annotations

import re
from typing import Any

from parley.shared import clock, ids
from parley.shared.errors import FieldProblem, NotFound, ValidationFailed
from parley.store import AnswerRecord, InboxRecord
from parley.team.members import Principal, Role

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def view(record: AnswerRecord) -> dict[str, Any]:
    return {
        "id": record.answer_id,
        "name": record.name,
        "text": record.text,
        "placeholders": sorted(set(PLACEHOLDER.findall(record.text))),
        "created_by": record.created_by,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
    }


def create(principal: Principal, name: str, text: str) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    now = clock.now()
    record = AnswerRecord(
        principal.workspace_id,
        "ans_" + ids.new_id(),
        name=name,
        text=text,
        created_by=principal.member_id,
        created_at=now,
        updated_at=now,
    )
    record.save(condition=AnswerRecord.answer_id.does_not_exist())
    return view(record)


def get(principal: Principal, answer_id: str) -> AnswerRecord:
    try:
        return AnswerRecord.get(principal.workspace_id, answer_id)
    except AnswerRecord.DoesNotExist as exc:
        raise NotFound(f"no approved answer {answer_id}") from exc


def list_answers(principal: Principal) -> list[dict[str, Any]]:
    return [view(r) for r in AnswerRecord.query(principal.workspace_id)]  # one workspace's, a Query


def update(principal: Principal, answer_id: str, name: str, text: str) -> dict[str, Any]:
    principal.require(Role.EDITOR)
    record = get(principal, answer_id)
    record.update(
        actions=[AnswerRecord.name.set(name), AnswerRecord.text.set(text), AnswerRecord.updated_at.set(clock.now())],
        condition=AnswerRecord.answer_id.exists(),
    )
    return view(get(principal, answer_id))


def delete(principal: Principal, answer_id: str) -> None:
    principal.require(Role.EDITOR)
    get(principal, answer_id).delete()


def render(principal: Principal, answer_id: str, item: InboxRecord, values: dict[str, str]) -> str:
    text = get(principal, answer_id).text
    filled = {"author": f"@{item.author_handle}" if item.author_handle else ""} | values
    missing = sorted({name for name in PLACEHOLDER.findall(text) if name not in filled})
    if missing:
        raise ValidationFailed([FieldProblem(f"values.{name}", "is needed by the approved answer") for name in missing])
    return PLACEHOLDER.sub(lambda match: filled[match.group(1)], text)
