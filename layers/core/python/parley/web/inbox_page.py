"""The inbox page (GET /app/inbox) and its actions: replies and mentions newest first, filtered by status,
sentiment and channel, a page at a time on the core's cursor; claim, give back, answer (with an approved answer,
or one's own words) and mark done (the core's dismiss). Every action is the same core call the API's inbox
routes make (parley.listening.inbox), so the page shows the core's refusals (409 naming the holder, 422 naming
the field) beside the item, with what was typed kept.

An htmx request (the page's forms, with script) gets the one item back, swapped in place (`web/static/inbox.js`
lets htmx swap the 409/422 answers too); a plain form post is redirected back to the list (303), or gets the
whole page again with the error beside the item."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from parley.connect.channels import list_channels
from parley.listening import alerts, answers, inbox, sentiment
from parley.networks.base import InvalidCredential, PermanentNetworkError, TransientNetworkError
from parley.publishing import holds
from parley.scheduling.wiring import arming
from parley.shared import clock
from parley.shared.errors import Conflict, FieldProblem, Forbidden, ValidationFailed
from parley.team import members
from parley.team.members import Principal, Role
from parley.team.sessions import WebSession
from parley.web import requests
from parley.web.render import page, redirect

router = Router()
PATH = "/app/inbox"
FILTERS = ("status", "sentiment", "channel")
PAGE_SIZE = 25
VALUE_PREFIX = "value."  # an approved answer's placeholder `{order}` is the form's field `value.order`
ALERTS_SHOWN_FOR = timedelta(hours=24)  # the banner names the spikes of the last day
ALERT_WORDS = {alerts.MENTIONS: "Mentions", alerts.NEGATIVE_SHARE: "The share of negative replies and mentions"}
ACTIONS = {"claim": inbox.claim, "release": inbox.release, "dismiss": inbox.dismiss}


@dataclass(frozen=True)
class InboxFilter:
    status: str | None = None
    sentiment: str | None = None
    channel_id: str | None = None
    cursor: str | None = None

    def query(self, cursor: str | None = None) -> str:
        """The page's address query for these filters (and a cursor): what the pager and the actions keep."""
        kept = {"status": self.status, "sentiment": self.sentiment, "channel": self.channel_id, "cursor": cursor}
        return urlencode({k: v for k, v in kept.items() if v})


@dataclass
class Typed:
    """What a member typed into one item's answer form, and the core's problems with it: shown again."""

    item_id: str = ""
    answer_id: str = ""
    text: str = ""
    values: dict[str, str] = field(default_factory=dict)
    message: str = ""
    problems: dict[str, str] = field(default_factory=dict)


def parse(params: dict[str, str]) -> InboxFilter:
    """The page's query (`status`, `sentiment`, `channel`, `cursor`; empty means "all"); the core checks them."""
    return InboxFilter(
        params.get("status") or None,
        params.get("sentiment") or None,
        params.get("channel") or None,
        params.get("cursor") or None,
    )


@router.get(PATH)
def inbox_page() -> Response[str]:
    session = requests.session(router.current_event)
    wanted = parse(dict(router.current_event.query_string_parameters or {}))
    return page("inbox.html", session=session, here=PATH, **build(session.principal, wanted))


@router.post(f"{PATH}/release-hold")
def release_hold() -> Response[str]:
    """The banner's "Release the hold": the same core call as `POST /workspace/resume` (editors and up)."""
    session, form = requests.posted_by_session(router.current_event)
    wanted = parse(dict(parse_qsl(form.get("back", ""))))
    resumed = holds.resume_workspace(session.principal, arming())
    notice = f"The hold is released: {len(resumed['resumed'])} queued deliveries are on their way again."
    if resumed["still_held"]:
        notice += f" {len(resumed['still_held'])} stay held: their time passed meanwhile (edit their times)."
    context = build(session.principal, wanted) | {"notice": notice}
    return page("inbox.html", session=session, here=PATH, **context)


@router.post(f"{PATH}/<item_id>/<action>")
def act(item_id: str, action: str) -> Response[str]:
    session, form = requests.posted_by_session(router.current_event)
    wanted = parse(dict(parse_qsl(form.get("back", ""))))
    typed = Typed(item_id=item_id)
    try:
        if action == "reply":
            typed = _typed(item_id, form)
            done = reply(session.principal, item_id, typed)
        elif action in ACTIONS:
            done = ACTIONS[action](session.principal, item_id)
        else:
            return page("error.html", status=404, title="Not found", message="There is no such page.", problems=[])
    except (Conflict, ValidationFailed, Forbidden, TransientNetworkError, PermanentNetworkError) as exc:
        status, typed.message, typed.problems = _refusal(exc)
        return _answer_with(session, wanted, typed, status, None)
    if router.current_event.headers.get("HX-Request"):
        return _answer_with(session, wanted, Typed(item_id=item_id), 200, done)
    return redirect(f"{PATH}?{wanted.query(wanted.cursor)}")


def reply(principal: Principal, item_id: str, typed: Typed) -> dict[str, Any]:
    """The API's answer route's core call: an approved answer (its placeholders filled by the core, from the
    form's `value.<name>` fields) or one's own words."""
    if typed.answer_id and typed.text.strip():
        raise ValidationFailed(FieldProblem("text", "pick an approved answer or write your own words, not both"))
    if typed.answer_id:
        return inbox.reply(principal, item_id, None, typed.answer_id, typed.values)
    return inbox.reply(principal, item_id, typed.text)


def _typed(item_id: str, form: dict[str, str]) -> Typed:
    values = {k.removeprefix(VALUE_PREFIX): v for k, v in form.items() if k.startswith(VALUE_PREFIX) and v.strip()}
    return Typed(item_id, form.get("answer_id", ""), form.get("text", ""), values)


def _refusal(exc: Exception) -> tuple[int, str, dict[str, str]]:
    """The status and words the API gives for the core's refusal (http/app.py's handlers), and the fields."""
    if isinstance(exc, ValidationFailed):
        fields = {p.field.replace("values.", VALUE_PREFIX): p.reason for p in exc.problems}
        return 422, "Not sent: see the fields below.", fields
    if isinstance(exc, Conflict | Forbidden):
        return (409 if isinstance(exc, Conflict) else 403), str(exc), {}
    if isinstance(exc, InvalidCredential):
        return 409, exc.reason, {}
    if isinstance(exc, PermanentNetworkError):
        return 422, exc.reason, {"text": exc.reason}
    assert isinstance(exc, TransientNetworkError)
    return 503, f"{exc.reason}; nothing was sent, try again in a while", {}


def _answer_with(
    session: WebSession, wanted: InboxFilter, typed: Typed, status: int, done: dict[str, Any] | None
) -> Response[str]:
    """After an action: with htmx, the one item (as it is now) with the outcome; else the whole page."""
    context = build(session.principal, wanted, typed)
    if router.current_event.headers.get("HX-Request"):
        item = done or inbox.view(inbox.get(session.principal, typed.item_id))
        return page("inbox_item.html", status=status, session=session, item=_shown(item, context), **context)
    return page("inbox.html", status=status, session=session, here=PATH, **context)


def build(principal: Principal, wanted: InboxFilter, typed: Typed | None = None) -> dict[str, Any]:
    """The template's context: one page of items from the core, the channels and members by name, the
    approved answers and their placeholders (other than `{author}`, which the core fills)."""
    channels = {c.channel_id: f"{c.handle} ({c.network})" for c in list_channels(principal.workspace_id)}
    names = {m.member_id: m.name for m in members.list_members(principal.workspace_id)}
    query = inbox.InboxQuery(
        status=wanted.status,
        sentiment=wanted.sentiment,
        channel_id=wanted.channel_id,
        limit=PAGE_SIZE,
        cursor=wanted.cursor,
    )
    listed = inbox.list_items(principal, query)
    can_act = principal.role.rank >= Role.EDITOR.rank
    approved = answers.list_answers(principal) if can_act else []
    context: dict[str, Any] = {
        "filter": wanted,
        "channels": sorted(channels.items(), key=lambda item: item[1]),
        "channel_names": channels,
        "member_names": names,
        "me": principal.member_id,
        "is_admin": principal.role == Role.ADMIN,
        "can_act": can_act,
        "statuses": inbox.STATUSES,
        "sentiments": sentiment.LABELS,
        "approved": approved,
        "placeholders": sorted({p for a in approved for p in a["placeholders"] if p != "author"}),
        "typed": typed or Typed(),
        "back": wanted.query(wanted.cursor),
        "next": f"{PATH}?{wanted.query(listed['next_cursor'])}" if listed["next_cursor"] else None,
        "first": f"{PATH}?{wanted.query()}" if wanted.cursor else None,
        "held": holds.is_held(principal.workspace_id),
        "spikes": [
            {"what": ALERT_WORDS.get(a["kind"], a["kind"]), "hour": a["hour"].replace("T", " ") + ":00 UTC"}
            for a in alerts.raised_since(principal.workspace_id, clock.now() - ALERTS_SHOWN_FOR, clock.now())
        ],
        "notice": None,
    }
    context["items"] = [_shown(item, context) for item in listed["items"]]
    return context


def _shown(item: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    holder = item["claimed_by"]
    return item | {
        "channel": context["channel_names"].get(item["channel_id"], item["channel_id"]),
        "holder": context["member_names"].get(holder, holder) if holder else None,
        "mine": holder == context["me"],
    }
