"""`POST /posts/import`: a CSV of posts (parley.publishing.imports; docs/import.md). The body is the file
itself (`Content-Type: text/csv`), admitted as CSV by `http.app` for this path only; a real import is
idempotent by `Idempotency-Key` as `POST /posts` is."""

from __future__ import annotations

import base64
from typing import Annotated, Any

import pydantic
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from parley.http.fields import reason_for
from parley.http.problems import field_of, problem
from parley.http.schemas import CreatePost
from parley.publishing import imports, posts
from parley.scheduling.wiring import arming as _arming
from parley.shared import aws
from parley.shared.config import get_settings
from parley.shared.errors import FieldProblem, ValidationFailed
from parley.shared.names import Table
from parley.team import members

PATH = "/posts/import"
MEDIA_TYPE = "text/csv"
router = Router()


def form_check(draft: posts.PostDraft) -> list[FieldProblem]:
    """The request schema of `POST /posts` on a row's draft: the same forms as a single post."""
    body: dict[str, Any] = {"text": draft.text, "channels": draft.channel_ids, "publish_at": draft.publish_at}
    body |= {"time_zone": draft.time_zone} if draft.time_zone else {}
    body |= {"campaign": draft.campaign} if draft.campaign else {}
    body |= {"media": draft.media} if draft.media else {}
    try:
        CreatePost.model_validate(body)
    except pydantic.ValidationError as exc:
        return [FieldProblem(field_of(e.get("loc", ())), reason_for(dict(e))) for e in exc.errors()]
    return []


def _run(request: dict[str, Any]) -> dict[str, Any]:
    principal = members.Principal(request["workspace_id"], request["member_id"], members.Role(request["role"]))
    body = request["body"]
    return imports.import_csv(
        principal,
        _arming(),
        body["csv"].encode("utf-8"),
        dry_run=body["dry_run"],
        partial=body["partial"],
        form_check=form_check,
        time_left=_time_left,
    )


def _time_left() -> float:
    """The request's remaining seconds (the function's timeout, below API Gateway's 29 s)."""
    return float(router.lambda_context.get_remaining_time_in_millis()) / 1000


IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="[workspace_id, 'import', key]",  # per workspace; apart from POST /posts' keys
    payload_validation_jmespath="body",  # the same key with another file (or flags) is refused
    expires_after_seconds=24 * 3600,
)


def _run_once() -> Any:
    persistence = DynamoDBPersistenceLayer(
        table_name=get_settings().tables[Table.IDEMPOTENCY], boto3_client=aws.client("dynamodb")
    )
    return idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=IDEMPOTENCY)(_run)


def csv_text() -> str:
    """The body as text (API Gateway may hand it over base64); http.app admitted it as UTF-8 already."""
    event = router.current_event
    raw = base64.b64decode(event.body or "") if event.is_base64_encoded else (event.body or "").encode("utf-8")
    return raw.decode("utf-8")


@router.post(
    PATH,
    summary="Import posts from a CSV file: check it (dry run), import all rows or none, or the good ones",
)
def import_posts(
    dry_run: Annotated[bool, Query(description="Check every row and answer per row; nothing is stored")] = False,
    partial: Annotated[
        bool, Query(description="Import the good rows and report the others (default: all rows or none)")
    ] = False,
    idempotency_key: Annotated[
        str | None,
        Header(alias="Idempotency-Key", description="Retries with the same key (and file) return the first answer"),
    ] = None,
) -> Response[dict[str, Any]]:
    principal: members.Principal = router.context["principal"]
    principal.require(members.Role.CONTRIBUTOR)  # a contributor's rows wait for approval (docs/import.md)
    request = {
        "workspace_id": principal.workspace_id,
        "member_id": principal.member_id,
        "role": principal.role.value,
        "key": idempotency_key,
        "body": {"csv": csv_text(), "dry_run": dry_run, "partial": partial},
    }
    if idempotency_key and not dry_run:
        if len(idempotency_key) > 255:
            raise ValidationFailed(FieldProblem("Idempotency-Key", "at most 255 characters"))
        IDEMPOTENCY.register_lambda_context(router.lambda_context)
        answer = _run_once()(request=request)
    else:
        answer = _run(request)
    return Response(200 if dry_run else 201, "application/json", body=answer)


@router.exception_handler(imports.ImportTooLarge)
def _too_large(exc: imports.ImportTooLarge) -> Response[dict[str, Any]]:
    """413: nothing imported (what was written in the time is cancelled); send the file in parts."""
    part = max(1, exc.written // 2)
    detail = (
        f"Nothing was imported: only {exc.written} of the file's {exc.rows} rows could be written in one request's "
        f"time, and they were cancelled (`cancelled`). Send the file in parts of about {part} rows "
        "(`parley posts import` does), or import with partial=true."
    )
    extra = {"cancelled": exc.cancelled, "written": exc.written}
    return problem(413, detail, instance=PATH, extra=extra)


@router.exception_handler(imports.ImportRefused)
def _refused(exc: imports.ImportRefused) -> Response[dict[str, Any]]:
    """A 422 whose `errors` name each line and column (nothing imported; `cancelled`: what was undone)."""
    errors = [
        {"field": p.column or "row", "line": p.line, "column": p.column or "", "reason": p.reason}
        for p in sorted(exc.rows, key=lambda p: p.line)
    ]
    lines = sorted({p.line for p in exc.rows})
    detail = f"Nothing was imported: {len(lines)} row(s) are not valid (`errors` names each line, column and why)."
    if exc.cancelled:
        detail = f"Nothing was imported: a row failed while writing, and the {len(exc.cancelled)} post(s) written "
        detail += "before it were cancelled (`cancelled`)."
    return problem(422, detail, errors=errors, instance=PATH, extra={"cancelled": exc.cancelled})
