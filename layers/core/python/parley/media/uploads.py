"""Media: images uploaded once to S3 with a presigned POST, checked from their bytes, then used by posts.

The flow (docs/media.md): `create_media` writes a `pending` record and returns a presigned POST whose
policy fixes the Content-Type and caps the size; the client uploads the file there; `check_media`
(from `POST /media/{id}/complete`, and again at queue time for media still pending) reads the object,
sniffs its real type from the bytes, reads its dimensions, and marks it `ready` or `rejected` with a
reason. Each transition is a conditional write on `pending`, so a second check changes nothing.

The presigned POST stays good for an hour, so the upload's key is never what a post sends: the check
stores the very bytes it accepted under a key of their own (`checked/...`, named by their digest), which
no presigned POST can write, then deletes the upload. A later upload through the same POST is deleted
unread when its S3 event arrives (issue 15 item 9).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import filetype
import imagesize
from botocore.exceptions import ClientError

from parley.shared import aws, clock, ids
from parley.shared.config import Settings, get_settings
from parley.shared.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from parley.shared.names import (
    MEDIA_CHECKED_PREFIX,
    MEDIA_MAX_UPLOAD_BYTES,
    MEDIA_RETENTION_DAYS,
    MEDIA_TAG,
    MEDIA_UNUSED_DAYS,
    MEDIA_UPLOAD_PREFIX,
    MEDIA_UPLOAD_SECONDS,
)
from parley.store import MediaRecord, UpdateError
from parley.team.members import Principal, Role

PENDING, READY, REJECTED = "pending", "ready", "rejected"

# What parley accepts at all; each network narrows it (parley.networks.media_rules).
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
MAX_ALT_CHARACTERS = 2000  # Bluesky's alt text has no documented cap; Mastodon's description stops at 1500+


@dataclass(frozen=True)
class MediaDraft:
    content_type: str
    size: int
    alt: str | None = None


def _upload_key(workspace_id: str, media_id: str) -> str:
    return f"{MEDIA_UPLOAD_PREFIX}{workspace_id}/{media_id}"


def _checked_key(record: MediaRecord, data: bytes) -> str:
    """Named by the bytes' digest: two checks that read different bytes never write the same key."""
    return f"{MEDIA_CHECKED_PREFIX}{record.workspace_id}/{record.media_id}/{hashlib.sha256(data).hexdigest()}"


def upload_key_of(record: MediaRecord) -> str:
    return record.upload_key or record.object_key  # a record older than upload keys was uploaded there


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _tagging(value: str) -> str:
    return f"<Tagging><TagSet><Tag><Key>{MEDIA_TAG}</Key><Value>{value}</Value></Tag></TagSet></Tagging>"


def create_media(principal: Principal, draft: MediaDraft, settings: Settings | None = None) -> dict[str, Any]:
    """A `pending` media record and the presigned POST to upload its file to (contributors prepare posts too)."""
    principal.require(Role.CONTRIBUTOR)
    settings = settings or get_settings()
    problems = []
    if draft.content_type not in IMAGE_TYPES:
        problems.append(FieldProblem("content_type", f"must be one of {', '.join(IMAGE_TYPES)}"))
    if not 1 <= draft.size <= MEDIA_MAX_UPLOAD_BYTES:
        problems.append(FieldProblem("size", f"must be between 1 and {MEDIA_MAX_UPLOAD_BYTES} bytes"))
    if draft.alt is not None and len(draft.alt) > MAX_ALT_CHARACTERS:
        problems.append(FieldProblem("alt", f"at most {MAX_ALT_CHARACTERS} characters"))
    if problems:
        raise ValidationFailed(problems)
    now = clock.now()
    media_id = "m_" + ids.new_id()
    key = _upload_key(principal.workspace_id, media_id)
    record = MediaRecord(
        media_id,
        workspace_id=principal.workspace_id,
        upload_key=key,
        object_key=key,  # until the check stores its copy
        content_type=draft.content_type,
        declared_size=draft.size,
        alt=(draft.alt or None),
        status=PENDING,
        created_by=principal.member_id,
        created_at=now,
        expires_at=_epoch(now + timedelta(days=MEDIA_UNUSED_DAYS)),  # unless a post uses it
    )
    # The policy fixes the type and caps the size at what was declared; the tag lets the bucket's
    # lifecycle delete the upload if no post ever uses it.
    tagging = _tagging("unused")
    upload = aws.client("s3").generate_presigned_post(
        settings.media_bucket,
        key,
        Fields={"Content-Type": draft.content_type, "tagging": tagging},
        Conditions=[
            {"Content-Type": draft.content_type},
            {"tagging": tagging},
            ["content-length-range", 1, draft.size],
        ],
        ExpiresIn=MEDIA_UPLOAD_SECONDS,
    )
    record.save(condition=MediaRecord.media_id.does_not_exist())
    view = media_view(record)
    view["upload"] = {
        "url": upload["url"],
        "fields": upload["fields"],
        "expires_at": (now + timedelta(seconds=MEDIA_UPLOAD_SECONDS)).isoformat().replace("+00:00", "Z"),
    }
    return view


def find_record(media_id: str) -> MediaRecord | None:
    try:
        return MediaRecord.get(media_id, consistent_read=True)
    except MediaRecord.DoesNotExist:
        return None


def get_record(workspace_id: str, media_id: str) -> MediaRecord:
    record = find_record(media_id)
    if record is None or record.workspace_id != workspace_id:
        raise NotFound(f"no media {media_id}")
    return record


def get_media(principal: Principal, media_id: str) -> dict[str, Any]:
    return media_view(get_record(principal.workspace_id, media_id))


class NotUploaded(Exception):
    """The object is not in the bucket (yet): the media stays pending."""


@dataclass(frozen=True)
class Verdict:
    status: str
    reason: str | None = None
    size: int | None = None
    width: int | None = None
    height: int | None = None


def judge(data: bytes, declared_type: str, declared_size: int) -> Verdict:
    """What the bytes say: their real type (sniffed, not the name or the header), size and dimensions."""
    size = len(data)
    if size > declared_size:
        return Verdict(REJECTED, f"the file has {size} bytes, more than the {declared_size} declared", size)
    kind = filetype.guess(data)
    actual = kind.mime if kind is not None else None
    if actual not in IMAGE_TYPES:
        return Verdict(REJECTED, f"the file is not an image parley takes ({', '.join(IMAGE_TYPES)})", size)
    if actual != declared_type:
        return Verdict(REJECTED, f"the file is {actual}, not {declared_type} as declared", size)
    try:
        width, height = imagesize.get(io.BytesIO(data))
    except Exception:  # a truncated or malformed header
        width, height = -1, -1
    if width <= 0 or height <= 0:
        return Verdict(REJECTED, f"the file's {actual} header is damaged: its dimensions cannot be read", size)
    return Verdict(READY, None, size, int(width), int(height))


def _read_object(settings: Settings, key: str) -> bytes:
    s3 = aws.client("s3")
    try:
        answer = s3.get_object(Bucket=settings.media_bucket, Key=key, Range=f"bytes=0-{MEDIA_MAX_UPLOAD_BYTES}")
    except s3.exceptions.NoSuchKey as exc:
        raise NotUploaded(key) from exc
    body: bytes = answer["Body"].read()
    return body


def check(record: MediaRecord, settings: Settings | None = None) -> MediaRecord:
    """Check a pending record's upload and settle it; a settled record is returned as it is.
    Raises NotUploaded when there is nothing to check yet."""
    if record.status != PENDING:
        return record
    settings = settings or get_settings()
    try:
        data = _read_object(settings, upload_key_of(record))
    except NotUploaded:
        record.refresh(consistent_read=True)
        if record.status != PENDING:
            return record  # a concurrent check settled it and deleted the upload
        raise
    verdict = judge(data, record.content_type, int(record.declared_size))
    actions = [
        MediaRecord.status.set(verdict.status),
        MediaRecord.checked_at.set(clock.now()),
    ]
    if verdict.size is not None:
        actions.append(MediaRecord.size.set(verdict.size))
    if verdict.reason:
        actions.append(MediaRecord.reason.set(verdict.reason))
    if verdict.width is not None and verdict.height is not None:
        actions += [MediaRecord.width.set(verdict.width), MediaRecord.height.set(verdict.height)]
    if verdict.status == READY:
        actions.append(MediaRecord.object_key.set(_keep_checked(settings, record, data)))
    try:
        record.update(actions=actions, condition=MediaRecord.status == PENDING)  # type: ignore[arg-type]
    except UpdateError:
        # A concurrent check settled it first; this one's copy, if it made one, is tagged unused.
        record.refresh(consistent_read=True)
    discard_upload(record, settings)
    return record


def _keep_checked(settings: Settings, record: MediaRecord, data: bytes) -> str:
    """Store the bytes the check accepted where no presigned POST can write; their key."""
    key = _checked_key(record, data)
    s3 = aws.client("s3")
    try:
        s3.put_object(
            Bucket=settings.media_bucket,
            Key=key,
            Body=data,
            ContentType=record.content_type,
            Tagging=f"{MEDIA_TAG}=unused",  # the lifecycle deletes it unless a post comes to use it
            IfNoneMatch="*",  # the same bytes may be there already, tagged in use by now: keep that tag
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("PreconditionFailed", "ConditionalRequestConflict"):
            raise
    return key


def create_checked(principal: Principal, data: bytes, verdict: Verdict, alt: str | None = None) -> MediaRecord:
    """A `ready` media record for bytes judged here rather than uploaded (an image fetched from a URL by a
    CSV import: parley.media.fetched), stored as a check stores what it accepted; unused, it expires."""
    principal.require(Role.CONTRIBUTOR)
    if verdict.status != READY:
        raise ValidationFailed(FieldProblem("media", verdict.reason or "not an image parley takes"))
    now = clock.now()
    kind = filetype.guess(data)
    content_type = kind.mime if kind is not None else "application/octet-stream"
    record = MediaRecord(
        "m_" + ids.new_id(),
        workspace_id=principal.workspace_id,
        object_key="",
        content_type=content_type,
        declared_size=len(data),
        size=len(data),
        width=verdict.width,
        height=verdict.height,
        alt=alt or None,
        status=READY,
        created_by=principal.member_id,
        created_at=now,
        checked_at=now,
        expires_at=_epoch(now + timedelta(days=MEDIA_UNUSED_DAYS)),  # unless a post uses it
    )
    settings = get_settings()
    record.object_key = _keep_checked(settings, record, data)
    record.save(condition=MediaRecord.media_id.does_not_exist())
    return record


def discard_upload(record: MediaRecord, settings: Settings | None = None) -> None:
    """Delete what the presigned POST wrote: once the media is settled, nothing reads that key again."""
    if record.upload_key is None:
        return  # an older record: its upload is what posts send
    aws.client("s3").delete_object(Bucket=(settings or get_settings()).media_bucket, Key=record.upload_key)


def complete(principal: Principal, media_id: str) -> dict[str, Any]:
    """`POST /media/{id}/complete`: the client says the upload is done; check it (idempotent)."""
    principal.require(Role.CONTRIBUTOR)
    record = get_record(principal.workspace_id, media_id)
    try:
        record = check(record)
    except NotUploaded:
        raise Conflict("nothing was uploaded for this media yet: upload the file first") from None
    return media_view(record)


def tag_object(key: str, value: str, settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    aws.client("s3").put_object_tagging(
        Bucket=settings.media_bucket, Key=key, Tagging={"TagSet": [{"Key": MEDIA_TAG, "Value": value}]}
    )


def read_bytes(record: MediaRecord, settings: Settings | None = None) -> bytes:
    """The image's bytes, for publishing."""
    return _read_object(settings or get_settings(), record.object_key)


def retention_expiry(now: datetime) -> int:
    return _epoch(now + timedelta(days=MEDIA_RETENTION_DAYS))


def media_view(record: MediaRecord) -> dict[str, Any]:
    return {
        "id": record.media_id,
        "status": record.status,
        "reason": record.reason,
        "content_type": record.content_type,
        "size": int(record.size) if record.size is not None else int(record.declared_size),
        "width": int(record.width) if record.width is not None else None,
        "height": int(record.height) if record.height is not None else None,
        "alt": record.alt,
        "created_at": record.created_at.isoformat().replace("+00:00", "Z"),
        # When it will be deleted: unused uploads and media whose last delivery ended (docs/media.md).
        "delete_after": _iso_epoch(record.expires_at) if record.expires_at is not None else None,
    }


def _iso_epoch(seconds: float) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).isoformat().replace("+00:00", "Z")


# ---- S3 event notifications (the media-check function) ----------------------------------------


def uploaded_keys(body: Any) -> list[str]:
    """The object keys an S3 event notification names (S3 URL-encodes them; its test event names none)."""
    from urllib.parse import unquote_plus

    records = body.get("Records") if isinstance(body, dict) else None
    keys = []
    for record in records or []:
        if str(record.get("eventName", "")).startswith("ObjectCreated"):
            keys.append(unquote_plus(str(record["s3"]["object"]["key"])))
    return keys


def check_uploaded(key: str) -> str:
    """Check the media uploaded to `key` ("uploads/<workspace>/<media id>"): its status afterwards.
    An upload for a media already settled came through the same presigned POST later: deleted unread."""
    workspace_id, _, media_id = key.removeprefix(MEDIA_UPLOAD_PREFIX).partition("/")
    record = find_record(media_id)
    if record is None or record.workspace_id != workspace_id or record.upload_key != key:
        return "unknown"  # not an upload parley asked for; the lifecycle removes it
    if record.status != PENDING:
        discard_upload(record)
        return f"{record.status} already; the upload was deleted unread"
    try:
        return str(check(record).status)
    except NotUploaded:
        return "missing"  # deleted again before the event arrived
