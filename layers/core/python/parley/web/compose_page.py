"""The composer (GET/POST /app/compose, POST /app/compose/preview, GET /app/media/{id}): a post's text, channels,
link card URL and time (local, in the workspace's zone) or the next free slot; while the marketer types, htmx asks
for the preview (`parley.publishing.previews.preview`, the same call as `POST /posts/preview`: counts, refusals,
segments, account, images, link card) and the page shows a card per network. Saving calls the same core as
`POST /posts` (`parley.publishing.post_requests.create`): a draft, a post for approval (a contributor, approval on),
a scheduled post or one published now, as the member's role allows; then the calendar with a flash message.
A refusal shows the form again with what was typed and each reason beside its field."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from parley.connect.channels import list_channels
from parley.media import uploads
from parley.publishing import approval, post_requests, previews
from parley.publishing.posts import PostDraft
from parley.scheduling.wiring import arming
from parley.shared import clock
from parley.shared.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from parley.team.members import Principal, Role
from parley.team.sessions import WebSession
from parley.web import flash, requests
from parley.web.calendar_page import workspace_zone
from parley.web.render import page, redirect

router = Router()
PATH = "/app/compose"
PREVIEW_PATH = "/app/compose/preview"
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows

# The buttons: what each does, and who is offered it (the core decides again, whatever was posted).
DRAFT, SUBMIT, SCHEDULE, NOW = "draft", "submit", "schedule", "now"
ACTIONS = (DRAFT, SUBMIT, SCHEDULE, NOW)
FORM_FIELDS = ("text", "channels", "link", "publish_at", "form")  # where a refusal is shown ("form": above all)


@dataclass
class ComposeForm:
    """What the marketer typed, kept as typed (a refused save shows it again)."""

    text: str = ""
    channel_ids: list[str] = field(default_factory=list)
    when: str = "time"  # "time" (publish_at) or "next_slot"
    publish_at: str = ""  # local, LOCAL_FORMAT, in the workspace's zone
    link: str = ""  # the link card's URL (else the first link of the text)
    action: str = SCHEDULE
    media_ids: list[str] = field(default_factory=list)  # images already uploaded (`POST /media`), in order


def parse(body: str) -> ComposeForm:
    """A posted form (checkboxes repeat `channels`; the CSRF field is read before this)."""
    fields = parse_qs(body, keep_blank_values=True)

    def one(name: str) -> str:
        return (fields.get(name) or [""])[0]

    return ComposeForm(
        text=one("text"),
        channel_ids=[c for c in dict.fromkeys(fields.get("channels") or []) if c],
        when="next_slot" if one("when") == "next_slot" else "time",
        publish_at=one("publish_at").strip(),
        link=one("link").strip(),
        action=one("action") if one("action") in ACTIONS else SCHEDULE,
        media_ids=[m for m in dict.fromkeys(fields.get("media") or []) if m],
    )


def draft_of(form: ComposeForm, zone: ZoneInfo) -> PostDraft:
    """The form as the core takes a `POST /posts` body (post_requests.draft_of: one reading for both)."""
    body: dict[str, Any] = {"text": form.text, "channels": form.channel_ids, "time_zone": zone.key}
    if form.action == NOW:
        body["publish_at"] = clock.now().isoformat()
    elif form.when == "next_slot":
        body["publish_at"] = post_requests.NEXT_SLOT
    elif form.publish_at:
        body["publish_at"] = form.publish_at
    if form.action == DRAFT:
        body["status"] = "draft"
        if body.get("publish_at") == post_requests.NEXT_SLOT:
            body["publish_at"] = None  # a draft takes its slot when it is queued
    if form.media_ids:
        body["media"] = form.media_ids
    if form.link:
        body["link_card"] = {"url": form.link}
    return post_requests.draft_of(body)


def actions_for(principal: Principal) -> list[tuple[str, str]]:
    """The buttons the member's role offers: (action, label)."""
    if approval.may_publish(principal):
        return [(SCHEDULE, "Schedule"), (NOW, "Publish now"), (DRAFT, "Save as draft")]
    return [(SUBMIT, "Submit for approval"), (DRAFT, "Save as draft")]


@router.get(PATH)
def compose() -> Response[str]:
    session = requests.session(router.current_event)
    session.principal.require(Role.CONTRIBUTOR)
    return _page(session, ComposeForm())


@router.post(PREVIEW_PATH)
def preview() -> Response[str]:
    """The live check (htmx, CSRF header): the preview cards and refusals as a fragment; always 200, refusals
    are what it shows."""
    session, _ = requests.posted_by_session(router.current_event)
    session.principal.require(Role.CONTRIBUTOR)
    form = parse(requests.body(router.current_event))
    zone = workspace_zone(list_channels(session.principal.workspace_id))
    return page("compose_preview.html", **_preview(session.principal, form, zone))


@router.post(PATH)
def save() -> Response[str]:
    session, _ = requests.posted_by_session(router.current_event)
    principal = session.principal
    principal.require(Role.CONTRIBUTOR)
    form = parse(requests.body(router.current_event))
    zone = workspace_zone(list_channels(principal.workspace_id))
    if form.action in (SCHEDULE, SUBMIT) and form.when == "time" and not form.publish_at:
        return _page(session, form, [FieldProblem("publish_at", "give a time, or choose the next free slot")])
    try:
        created = post_requests.create(principal, arming(), draft_of(form, zone))
    except ValidationFailed as exc:
        return _page(session, form, exc.problems)
    except (NotFound, Conflict) as exc:  # a channel gone, a slot taken meanwhile: said above the form, kept
        return _page(session, form, [FieldProblem("form", str(exc))], status=404 if isinstance(exc, NotFound) else 409)
    return redirect(flash.calendar_after(created, zone, _saved_as(form, created)))


@router.get("/app/media/<media_id>")
def media(media_id: str) -> Response[bytes]:
    """An image of the session's workspace (a preview card's), same-origin so the CSP allows it."""
    session = requests.session(router.current_event)
    record = uploads.get_record(session.principal.workspace_id, media_id)  # another workspace's: 404
    if record.status != "ready":
        raise ValidationFailed(FieldProblem("media_id", f"media {media_id} is {record.status}, not ready"))
    headers = {"Cache-Control": "private, no-store"}
    return Response(200, record.content_type, uploads.read_bytes(record), headers=headers)


def _saved_as(form: ComposeForm, created: dict[str, Any]) -> str:
    states = {d.get("state") for d in created.get("deliveries") or []} | {created.get("status")}
    if form.action == DRAFT or "draft" in states:
        return flash.DRAFT
    if "pending_approval" in states:
        return flash.SUBMITTED
    return flash.PUBLISHING if form.action == NOW else flash.SCHEDULED


def _preview(principal: Principal, form: ComposeForm, zone: ZoneInfo) -> dict[str, Any]:
    if not form.channel_ids:
        return {"checked": None, "message": "Choose a channel to see its preview."}
    try:
        checked = previews.preview(principal, draft_of(form, zone))
    except ValidationFailed as exc:
        return {"checked": None, "message": "; ".join(f"{p.field}: {p.reason}" for p in exc.problems)}
    return {"checked": checked, "message": None}


def _page(
    session: WebSession, form: ComposeForm, problems: list[FieldProblem] | None = None, status: int = 422
) -> Response[str]:
    principal = session.principal
    channels = sorted(list_channels(principal.workspace_id), key=lambda c: (c.network, c.handle))
    zone = workspace_zone(channels)
    by_field: dict[str, list[str]] = {name: [] for name in FORM_FIELDS}
    for problem in problems or []:
        by_field[_form_field(problem.field)].append(problem.reason)
    now_local = clock.now().astimezone(zone)
    return page(
        "compose.html",
        status=status if problems else 200,
        session=session,
        here=PATH,
        form=form,
        channels=[{"id": c.channel_id, "network": c.network, "handle": c.handle} for c in channels],
        zone=zone.key,
        min_local=now_local.strftime(LOCAL_FORMAT),
        actions=actions_for(principal),
        problems=by_field,
        all_problems=[(p.field, p.reason) for p in problems or []],
        preview_path=PREVIEW_PATH,
        **_preview(principal, form, zone) if problems else {"checked": None, "message": None},
    )


def _form_field(core_field: str) -> str:
    """Which of the form's fields a core refusal is about (`text`, `channels`, `publish_at`, `link`)."""
    if core_field.startswith("link_card"):
        return "link"
    if core_field.startswith(("channels", "channel")):
        return "channels"
    if core_field.startswith(("publish_at", "time_zone")):
        return "publish_at"
    if core_field.startswith(("text", "overrides")):
        return "text"
    return "form"
