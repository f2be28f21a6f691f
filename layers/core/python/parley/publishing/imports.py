"""Bulk import: a CSV of posts, checked row by row with the very checks `POST /posts` runs, then written
all or nothing (or, partial, the good rows only). docs/import.md.

All or nothing: every row is checked before any is written; a row that fails only while writing (a quota
the file's earlier rows filled, a race) cancels the posts this file already created (their deliveries
`cancelled`, their schedules deleted and their slots freed: `queue_posts.cancel_post`), so nothing of the file goes out.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from parley.connect.channels import list_channels
from parley.publishing import checks, csv_rows, import_media, posts, queue, queue_posts
from parley.publishing.csv_rows import Row, RowProblem
from parley.scheduling import Arming
from parley.shared import clock
from parley.shared.errors import Conflict, FieldProblem, LostRace, NotFound, ParleyError, ValidationFailed
from parley.shared.observability import logger
from parley.store import ChannelRecord
from parley.team.members import Principal, Role

# The form checks of the API's request schema (parley.http), run on each row's draft: no second copy of them.
FormCheck = Callable[[posts.PostDraft], list[FieldProblem]]

# A post's field, as the checks name it, -> the CSV column it came from.
_COLUMN_OF = {
    "text": "text",
    "channels": "channels",
    "publish_at": "publish_at",
    "time_zone": "time_zone",
    "campaign": "utm_campaign",
    "media": "media_urls",
    "link_card": "link",
}


# Seconds a request keeps in hand when it stops writing: to cancel what it wrote (all or nothing) and answer.
RESERVE_SECONDS = 3.0


class ImportTooLarge(ParleyError):
    """All or nothing, and the request's time ran out before every row was written: what was written was
    cancelled. `written` rows fitted: a part of about that many goes through (the CLI sends parts)."""

    def __init__(self, written: int, rows: int, cancelled: list[str]) -> None:
        super().__init__(f"{written} of {rows} rows were written before the request's time ran out")
        self.written, self.rows, self.cancelled = written, rows, cancelled


class ImportRefused(ValidationFailed):
    """All or nothing, and some rows are not valid: nothing was written. `rows` says which and why."""

    def __init__(self, rows: list[RowProblem], cancelled: list[str] | None = None) -> None:
        super().__init__([FieldProblem(f"line {p.line}: {p.column or 'row'}", p.reason) for p in rows])
        self.rows = rows
        self.cancelled = cancelled or []


@dataclass
class Outcome:
    rows: int
    dry_run: bool
    created: list[dict[str, Any]] = field(default_factory=list)  # {line, post_id}
    valid: list[int] = field(default_factory=list)  # lines that would be created (dry run)
    errors: list[RowProblem] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "dry_run": self.dry_run,
            "rows": self.rows,
            "errors": [e.to_dict() for e in sorted(self.errors, key=lambda e: e.line)],
        }
        if self.dry_run:
            answer["valid_lines"] = self.valid
        else:
            answer["created"] = self.created
        return answer


def column_of(field_name: str) -> str:
    """`media[1]` -> media_urls, `overrides.x.text` -> text, `channels` -> channels."""
    head = field_name.split(".", 1)[0].split("[", 1)[0]
    if head == "overrides":
        return "text"
    return _COLUMN_OF.get(head, field_name)


class ChannelIndex:
    """The workspace's channels by id and by handle (read once per file)."""

    def __init__(self, channels: list[ChannelRecord]) -> None:
        self.by_id = {c.channel_id: c for c in channels}
        self.by_handle: dict[str, list[ChannelRecord]] = {}
        for channel in channels:
            self.by_handle.setdefault(channel.handle.lower().lstrip("@"), []).append(channel)

    def resolve(self, line: int, names: list[str]) -> tuple[list[str], list[RowProblem]]:
        ids, problems = [], []
        for name in names:
            if name in self.by_id:
                ids.append(name)
                continue
            found = self.by_handle.get(name.lower(), [])
            if len(found) == 1:
                ids.append(found[0].channel_id)
            elif found:
                networks = ", ".join(sorted(c.network for c in found))
                problems.append(RowProblem(line, "channels", f"{name} is a handle on {networks}: name the channel id"))
            else:
                problems.append(RowProblem(line, "channels", f"no channel {name} (an id or a handle)"))
        return ids, problems


def _draft(row: Row, channel_ids: list[str], media_ids: list[str]) -> posts.PostDraft:
    return posts.PostDraft(
        text=csv_rows.with_link(row.text, row.link),
        channel_ids=channel_ids,
        publish_at=row.publish_at or None,  # none: a draft (parley.publishing.drafts)
        time_zone=row.time_zone,
        campaign=row.campaign,
        media=media_ids,
    )


def _problems(row: Row, exc: ValidationFailed) -> list[RowProblem]:
    return [RowProblem(row.line, column_of(p.field), p.reason) for p in exc.problems]


def check_row(
    principal: Principal, row: Row, index: ChannelIndex, media_ids: list[str], form_check: FormCheck | None
) -> tuple[posts.PostDraft | None, list[RowProblem]]:
    """The row as a draft that passed every check queueing runs, or its problems (line and column each)."""
    problems = list(row.problems)
    channel_ids, unknown = index.resolve(row.line, row.channels)
    problems += unknown
    if problems:
        return None, problems
    draft = _draft(row, channel_ids, media_ids)
    if form_check is not None:
        problems += [RowProblem(row.line, column_of(p.field), p.reason) for p in form_check(draft)]
        if problems:
            return None, problems
    try:
        if draft.publish_at is None or draft.publish_at == queue_posts.NEXT_SLOT:
            # a draft: its text and channels now, the rest when it gets a time; the queue: its slot when written
            targets = checks.channels(principal.workspace_id, channel_ids)
            found = checks.problems(principal.workspace_id, draft, targets, None)
            if draft.publish_at == queue_posts.NEXT_SLOT:
                found.problems += [
                    FieldProblem("publish_at", f"channel {cid} has no posting times: set them first (docs/queue.md)")
                    for cid in channel_ids
                    if queue.weekly_for(principal.workspace_id, cid)[0] is None
                ]
            if found.problems:
                raise ValidationFailed(found.problems)
        else:
            checks.check(principal.workspace_id, draft, clock.now())
    except ValidationFailed as exc:
        return None, _problems(row, exc)
    except NotFound as exc:
        return None, [RowProblem(row.line, "channels", str(exc))]
    return draft, []


def import_csv(
    principal: Principal,
    arming: Arming,
    data: bytes,
    *,
    dry_run: bool = False,
    partial: bool = False,
    form_check: FormCheck | None = None,
    time_left: Callable[[], float] | None = None,
) -> dict[str, Any]:
    """Check every row, then (unless a dry run) write the good ones: all of them, or none unless `partial`.
    `time_left`: the request's remaining seconds (the Lambda context's); writing stops in time to answer.
    A contributor imports too: each row is created as their `POST /posts` would be, so with approval on
    (parley.publishing.approval) their rows wait for an editor (`pending_approval`), each its own request."""
    principal.require(Role.CONTRIBUTOR)
    rows = csv_rows.read(data)
    index = ChannelIndex(list_channels(principal.workspace_id))
    outcome = Outcome(rows=len(rows), dry_run=dry_run)
    media = import_media.MediaImporter(principal, dry_run=dry_run)
    good: list[tuple[Row, posts.PostDraft]] = []
    for row in rows:
        media_ids, media_problems = media.for_row(row)
        if media_problems:
            outcome.errors += media_problems
            continue
        draft, problems = check_row(principal, row, index, media_ids, form_check)
        if draft is None:
            outcome.errors += problems
        else:
            good.append((row, draft))
    if dry_run:
        outcome.valid = [row.line for row, _ in good]
        return outcome.to_dict()
    if outcome.errors and not partial:
        raise ImportRefused(outcome.errors)
    if not good:
        raise ImportRefused(outcome.errors)  # partial, and not one good row
    _write(principal, arming, good, outcome, partial=partial, time_left=time_left)
    return outcome.to_dict()


def _write(
    principal: Principal,
    arming: Arming,
    good: list[tuple[Row, posts.PostDraft]],
    outcome: Outcome,
    *,
    partial: bool,
    time_left: Callable[[], float] | None,
) -> None:
    started = time.monotonic()
    for number, (row, draft) in enumerate(good):
        if time_left is not None and time_left() < _reserve(started, number, partial):
            _out_of_time(principal, arming, good[number:], outcome, partial=partial, rows=len(good))
            return
        try:
            if draft.publish_at == queue_posts.NEXT_SLOT:
                created = queue_posts.create_queued(principal, arming, draft)
            else:
                created = posts.create_post(principal, arming, draft)
        except ValidationFailed as exc:  # checked a moment ago: a quota this file filled, a channel just paused
            outcome.errors += _problems(row, exc)
        except (LostRace, Conflict) as exc:
            outcome.errors.append(RowProblem(row.line, None, f"could not be written ({exc}): import it again"))
        except Exception:
            if not partial:
                _cancel(principal, arming, outcome)
            raise
        else:
            outcome.created.append({"line": row.line, "post_id": created["id"]})
            continue
        if not partial:
            cancelled = _cancel(principal, arming, outcome)
            raise ImportRefused(outcome.errors, cancelled)


def _reserve(started: float, written: int, partial: bool) -> float:
    """Time to keep for the answer, and (all or nothing) to cancel the posts written so far: a cancel costs
    about what a write did."""
    per_row = (time.monotonic() - started) / written if written else 0.0
    return RESERVE_SECONDS + (0.0 if partial else per_row * written)


def _out_of_time(
    principal: Principal,
    arming: Arming,
    left: list[tuple[Row, posts.PostDraft]],
    outcome: Outcome,
    *,
    partial: bool,
    rows: int,
) -> None:
    if partial:
        reason = "not written: the request's time ran out; import this line again (in a smaller file)"
        outcome.errors += [RowProblem(row.line, None, reason) for row, _ in left]
        return
    written = len(outcome.created)
    raise ImportTooLarge(written, rows, _cancel(principal, arming, outcome))


def _cancel(principal: Principal, arming: Arming, outcome: Outcome) -> list[str]:
    """All or nothing: the posts this file created so far are cancelled (nothing of it goes out)."""
    cancelled = []
    for created in outcome.created:
        try:
            queue_posts.cancel_post(principal, arming, created["post_id"])  # and its slots are free again
            cancelled.append(created["post_id"])
        except (Conflict, NotFound):  # gone out already (a time within the import's own seconds)
            logger.warning("an imported post could not be cancelled", extra={"post_id": created["post_id"]})
    outcome.created = []
    return cancelled
