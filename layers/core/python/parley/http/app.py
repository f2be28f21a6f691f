"""Routes of the marketers' API. Each route: who is calling, one call into the core, the answer.

Authentication is a bearer token looked up by its hash (one GetItem); every read and write is scoped
to the token's workspace, and another workspace's ids answer 404 like missing ones.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.event_handler.middlewares.openapi_validation import OpenAPIRequestValidationMiddleware
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError, ResponseValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, OpenAPI
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.types import EventHandlerInstance
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)

import parley
from parley.connect import channels, health
from parley.connect import providers as oauth_providers
from parley.http import answers as answer_routes
from parley.http import approval as approval_routes
from parley.http import calendar as calendar_routes
from parley.http import contract
from parley.http import imports as import_routes
from parley.http import inbox as inbox_routes
from parley.http import listeners as listener_routes
from parley.http import media as media_routes
from parley.http import metrics as metrics_routes
from parley.http import oauth_connect as oauth_connect_routes
from parley.http import posts as post_routes
from parley.http import previews as preview_routes
from parley.http import queue as queue_routes
from parley.http import series as series_routes
from parley.http import team as team_routes
from parley.http import webhooks as webhook_routes
from parley.http import workspace as workspace_routes
from parley.http import x_connect as x_connect_routes
from parley.http.fields import PathId, reason_for
from parley.http.problems import field_of, pointer, problem
from parley.http.schemas import ConnectChannel, EditChannel
from parley.listening import watches
from parley.networks.base import Credential, InvalidCredential, PermanentNetworkError, TransientNetworkError
from parley.networks.capabilities import capabilities
from parley.publishing import disconnect, holds
from parley.scheduling.wiring import arming as _arming
from parley.shared import clock
from parley.shared.config import get_settings
from parley.shared.errors import (
    BadRequest,
    Conflict,
    FieldProblem,
    Forbidden,
    NotFound,
    Unauthenticated,
    ValidationFailed,
)
from parley.shared.observability import logger
from parley.team import members, tokens


class _Resolver(APIGatewayRestResolver):
    def get_openapi_schema(self, **kwargs: Any) -> OpenAPI:
        """Powertools' document, with every answer each operation can give declared (parley.http.contract)."""
        generated = super().get_openapi_schema(**kwargs).model_dump(by_alias=True, exclude_none=True, mode="json")
        return OpenAPI.model_validate(contract.declare(generated, PUBLIC_PATHS + PUBLIC_TEMPLATES))


app = _Resolver(enable_validation=True)
# configure_openapi: the same document for /openapi.json and for app.get_openapi_schema() (docs/openapi.json)
app.configure_openapi(
    title="parley",
    version=parley.__version__,
    description="Queue posts, publish them on time exactly once, and read how they went.",
    security_schemes={"bearer": HTTPBearer(description="A member token (pk_...) from `parley admin`")},
    security=[{"bearer": []}],
)
app.enable_swagger(path="/docs")


# the consent links and the callbacks: the OAuth state (and, at the callback, its browser's cookie) is the proof
PUBLIC_PATHS: tuple[str, ...] = ("/openapi.json", "/docs", "/channels/x/consent", "/channels/x/callback")
PUBLIC_PATHS += oauth_providers.public_paths()  # LinkedIn, Facebook, Instagram, Threads (parley.connect)
PUBLIC_PATHS += ("/calendar.ics",)  # calendar apps send no headers: its feed token is the proof (parley.team.feeds)
PUBLIC_TEMPLATES = ("/channels/{network}/consent", "/channels/{network}/callback")  # as the document names them


def _admit(app: APIGatewayRestResolver) -> Response[dict[str, Any]] | None:
    """What every request passes before Powertools validates it: a valid token (all but the public paths, so
    that a caller without one learns nothing else: 401 first), and a body, if any, that is UTF-8 JSON. None:
    go on; else the answer."""
    event = app.current_event
    if event.path not in PUBLIC_PATHS:
        app.append_context(principal=tokens.authenticate(event.headers.get("authorization")))
    if not event.body:
        return None
    media_type = (event.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if event.path == import_routes.PATH:  # the one route whose body is a file: CSV
        return _admit_csv(event.body, bool(event.is_base64_encoded), media_type, event.path)
    if media_type != "application/json" and not media_type.endswith("+json"):
        return problem(415, "The body must be JSON (Content-Type: application/json).", instance=event.path)
    try:
        raw = base64.b64decode(event.body, validate=True) if event.is_base64_encoded else event.body.encode()
        json.loads(raw.decode("utf-8"))
    except (UnicodeError, binascii.Error, ValueError):
        return problem(400, "The body is not UTF-8 JSON.", instance=event.path)
    return None


def _admit_csv(body: str, is_base64: bool, media_type: str, path: str) -> Response[dict[str, Any]] | None:
    if media_type != import_routes.MEDIA_TYPE:
        return problem(415, "The body must be a CSV file (Content-Type: text/csv).", instance=path)
    try:
        (base64.b64decode(body, validate=True) if is_base64 else body.encode()).decode("utf-8")
    except (UnicodeError, binascii.Error, ValueError):
        return problem(400, "The body is not UTF-8: save the sheet as 'CSV UTF-8'.", instance=path)
    return None


class _AdmitThenValidate(OpenAPIRequestValidationMiddleware):
    """Powertools runs request validation before any middleware of ours: admission goes in front of it."""

    def handler(self, app: EventHandlerInstance, next_middleware: NextMiddleware) -> Response:
        refused = _admit(app)  # type: ignore[arg-type]
        return refused if refused is not None else super().handler(app, next_middleware)


app._request_validation_middleware = _AdmitThenValidate()


def _caller() -> members.Principal:
    principal: members.Principal = app.context["principal"]
    return principal


# ---- errors -----------------------------------------------------------------------------------


@app.exception_handler(RequestValidationError)
def _invalid_request(exc: RequestValidationError) -> Response[dict[str, Any]]:
    errors: list[dict[str, str]] = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            return problem(400, "The body is not valid JSON.", instance=app.current_event.path)
        if error.get("type") == "none_required":
            continue  # the `Omitted` branch of an optional field: leaving the field out is the other way
        location = tuple(part for part in error.get("loc", ()) if not _union_branch(part))
        found = {"field": field_of(location), "reason": reason_for(error)}
        if location[:1] == ("body",):
            found["pointer"] = pointer(found["field"]) or ""
        if found not in errors:
            errors.append(found)
    return problem(422, "The request is not valid.", errors=errors, instance=app.current_event.path)


def _union_branch(part: object) -> bool:
    """Pydantic names the branch of a union it tried (`function-after[_known_zone(), str]`, `str`, `none`):
    not a field, so not in the field's name."""
    return isinstance(part, str) and ("[" in part or part in ("none", "str", "int", "bool", "float"))


@app.exception_handler(ResponseValidationError)
def _invalid_response(exc: ResponseValidationError) -> Response[dict[str, Any]]:
    logger.error("response does not match its schema", extra={"errors": str(exc.errors())[:2000]})
    return problem(500, "Something went wrong on our side; it has been logged.")


@app.exception_handler(ValidationFailed)
def _validation_failed(exc: ValidationFailed) -> Response[dict[str, Any]]:
    errors = [{"field": p.field, "reason": p.reason} for p in exc.problems]
    return problem(422, "The request is not valid.", errors=errors, instance=app.current_event.path)


@app.exception_handler(BadRequest)
def _bad_request(exc: BadRequest) -> Response[dict[str, Any]]:
    errors = [{"field": p.field, "reason": p.reason} for p in exc.problems]
    return problem(400, exc.detail, errors=errors, instance=app.current_event.path)


@app.exception_handler(NotFound)
def _not_found(exc: NotFound) -> Response[dict[str, Any]]:
    return problem(404, str(exc), instance=app.current_event.path)


@app.exception_handler(Unauthenticated)
def _unauthenticated(exc: Unauthenticated) -> Response[dict[str, Any]]:
    return problem(
        401, f"A valid bearer token is needed ({exc}).", headers={"WWW-Authenticate": 'Bearer realm="parley"'}
    )


@app.exception_handler(Forbidden)
def _forbidden(exc: Forbidden) -> Response[dict[str, Any]]:
    return problem(403, str(exc), instance=app.current_event.path, extra=exc.extra)


@app.exception_handler(Conflict)
def _conflict(exc: Conflict) -> Response[dict[str, Any]]:
    return problem(409, exc.detail, instance=app.current_event.path, extra=exc.extra)


@app.exception_handler(TransientNetworkError)
def _network_busy(exc: TransientNetworkError) -> Response[dict[str, Any]]:
    """The network could not do it now (rate limit, outage, timeout): nothing was recorded; try later."""
    headers = {}
    if exc.retry_at is not None:
        headers["Retry-After"] = str(max(1, int((exc.retry_at - clock.now()).total_seconds())))
    return problem(503, exc.reason, instance=app.current_event.path, headers=headers)


@app.exception_handler(PermanentNetworkError)
def _network_refused(exc: PermanentNetworkError) -> Response[dict[str, Any]]:
    """The network refused it: its reason, nothing recorded. A refused account is the channel's state (409:
    reconnect it); anything else the network refused is the request's content (422)."""
    if isinstance(exc, InvalidCredential):
        return problem(409, exc.reason, instance=app.current_event.path)
    # what the network judged: an account's server when connecting, else the text that was sent
    field = "service_url" if app.current_event.path == "/channels" else "text"
    errors = [{"field": field, "reason": exc.reason}]
    return problem(422, exc.reason, errors=errors, instance=app.current_event.path)


@app.exception_handler(IdempotencyValidationError)
def _idempotency_mismatch(exc: IdempotencyValidationError) -> Response[dict[str, Any]]:
    errors = [{"field": "Idempotency-Key", "reason": "was already used with a different request body"}]
    return problem(422, "The request is not valid.", errors=errors, instance=app.current_event.path)


@app.exception_handler(IdempotencyAlreadyInProgressError)
def _idempotency_in_progress(exc: IdempotencyAlreadyInProgressError) -> Response[dict[str, Any]]:
    return problem(409, "A request with this Idempotency-Key is still being processed; retry shortly.")


@app.not_found
def _no_route(exc: Exception) -> Response[dict[str, Any]]:
    """404 for a path no route has; 405 naming the methods it takes for a path that exists."""
    event = app.current_event
    # A path a static route names (/posts/import) is that route's, not also a template's (/posts/{post_id})
    matching = [r for r in app._static_routes if r.rule.fullmatch(event.path)]
    matching = matching or [r for r in app._dynamic_routes if r.rule.fullmatch(event.path)]
    allowed = sorted({r.method for r in matching} - {"OPTIONS"})
    if allowed:
        return problem(
            405,
            f"{event.path} takes {', '.join(allowed)}, not {event.http_method}.",
            instance=event.path,
            headers={"Allow": ", ".join(allowed)},
        )
    return problem(404, f"No route {event.http_method} {event.path}.")


@app.exception_handler(Exception)
def _bug(exc: Exception) -> Response[dict[str, Any]]:
    """A bug: the caller gets the request id to quote, never the internals; the log has the trace."""
    logger.exception("unhandled error")
    request_id = getattr(app.lambda_context, "aws_request_id", None) or "unknown"
    return problem(
        500,
        f"Something went wrong on our side; it has been logged (request {request_id}).",
        instance=app.current_event.path,
        extra={"request_id": request_id},
    )


# ---- meta -------------------------------------------------------------------------------------


@app.get("/openapi.json", include_in_schema=False)
def openapi() -> Response[str]:
    return Response(
        status_code=200,
        content_type="application/json",
        body=app.get_openapi_json_schema(),  # as configured above; docs/openapi.json is this document
    )


# ---- channels ---------------------------------------------------------------------------------


def channel_view(record: Any) -> dict[str, Any]:
    return {
        "id": record.channel_id,
        "network": record.network,
        "handle": record.handle,
        "remote_id": record.remote_id,
        "service_url": record.service_url,
        "status": record.status,
        "status_reason": record.status_reason,
        "display_name": record.display_name or record.handle,
        "paused": record.paused_since is not None,
        "paused_since": record.paused_since.isoformat() if record.paused_since else None,
        "time_zone": record.time_zone,
        "created_at": record.created_at.isoformat(),
        "capabilities": capabilities(record.network),  # what it can provide, and what it cannot
    }


def _credential(body: ConnectChannel) -> Credential:
    """What each network needs to connect, named field by field when it is missing."""
    if body.network == "mastodon":
        _require("Mastodon", access_token=body.access_token, service_url=body.service_url)
        assert body.access_token is not None and body.service_url is not None
        return Credential("", body.access_token.get_secret_value(), body.service_url.rstrip("/"))
    _require("Bluesky", identifier=body.identifier, app_password=body.app_password)
    assert body.identifier is not None and body.app_password is not None
    service_url = (body.service_url or "https://bsky.social").rstrip("/")
    return Credential(body.identifier, body.app_password.get_secret_value(), service_url)


def _require(network: str, **fields: object) -> None:
    missing = [FieldProblem(f, f"is required to connect a {network} account") for f, v in fields.items() if not v]
    if missing:
        raise ValidationFailed(missing)


@app.post("/channels", summary="Connect an account (the credential is checked first)")
def connect_channel(body: ConnectChannel) -> Response[dict[str, Any]]:
    principal = _caller()
    credential = _credential(body)
    record, created = channels.connect(principal, get_settings(), body.network, credential, body.time_zone)
    return Response(201 if created else 200, "application/json", body=channel_view(record))


@app.get("/channels", summary="Connected accounts")
def list_channels() -> dict[str, Any]:
    principal = _caller()
    return {"items": [channel_view(c) for c in channels.list_channels(principal.workspace_id)]}


@app.get("/channels/<channel_id>", summary="One connected account, with its health and its listening")
def get_channel(channel_id: PathId) -> dict[str, Any]:
    principal = _caller()
    record = channels.get_channel(principal.workspace_id, channel_id)
    listening = watches.channel_listening(principal.workspace_id, channel_id)
    return channel_view(record) | {"health": health.health(record), "listening": listening}


@app.patch(
    "/channels/<channel_id>",
    summary="Change a channel's default time zone or display name, or pause it (nothing goes out) and resume it",
)
def edit_channel(channel_id: PathId, body: EditChannel) -> dict[str, Any]:
    principal = _caller()
    record = channels.change(principal, channel_id, time_zone=body.time_zone, display_name=body.display_name)
    outcome: dict[str, Any] = {}
    if body.paused is True:
        outcome = {"held": holds.pause_channel(principal, _arming(), channel_id)}
    elif body.paused is False:
        outcome = holds.unpause_channel(principal, _arming(), channel_id)
    return channel_view(channels.get_channel(principal.workspace_id, channel_id) if outcome else record) | outcome


@app.delete("/channels/<channel_id>", summary="Disconnect a channel (its credentials are deleted, its listening stops)")
def disconnect_channel(
    channel_id: PathId,
    cancel_scheduled: Annotated[
        bool, Query(description="Cancel the posts still to go out on it (else a 409 lists them)")
    ] = False,
) -> dict[str, Any]:
    return disconnect.disconnect(_caller(), _arming(), channel_id, cancel_scheduled=cancel_scheduled)


# ---- inbox, workspace settings and approved answers (parley.http.inbox, .workspace, .answers) ---

app.include_router(import_routes.router)  # before the posts' routes: /posts/import is no post id
app.include_router(post_routes.router)
app.include_router(approval_routes.router)  # drafts checked on demand, approval (docs/approval.md)
app.include_router(preview_routes.router)  # the composer's previews (docs/composer.md)
app.include_router(queue_routes.router)
app.include_router(series_routes.router)  # repeating posts (docs/recurring.md)
app.include_router(inbox_routes.router)
app.include_router(workspace_routes.router)
app.include_router(answer_routes.router)
app.include_router(listener_routes.router)
app.include_router(x_connect_routes.router)
app.include_router(oauth_connect_routes.router)  # after X's: its static /channels/x/... routes match first
app.include_router(media_routes.router)
app.include_router(metrics_routes.router)
app.include_router(team_routes.router)
app.include_router(webhook_routes.router)
app.include_router(calendar_routes.router)
