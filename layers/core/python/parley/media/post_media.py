"""A post's images: checked against every target network when the post is queued, marked in use
while a delivery may still send them, and retired when the last such delivery has ended.

Retention (docs/media.md): a media record lists the deliveries that will send it (`in_use`). When the
last one ends (published, failed or cancelled) the object is tagged `retired` (the bucket's lifecycle
deletes it `MEDIA_RETENTION_DAYS` later) and the record gets the same expiry (DynamoDB's TTL).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from parley.media import link_cards
from parley.media import uploads as media
from parley.networks.base import Attachment, LinkCard, PermanentNetworkError, PublishRequest
from parley.networks.media_rules import NETWORK_NAMES, Image, MediaLimits, check_images, limits_for
from parley.shared import clock
from parley.shared.errors import FieldProblem, NotFound, ValidationFailed
from parley.shared.observability import logger
from parley.store import ChannelRecord, DeliveryRecord, MediaRecord, UpdateError, WorkspaceRecord


@dataclass(frozen=True)
class PostMedia:
    by_network: dict[str, list[str]]  # network -> the media ids its channels get, in order
    records: dict[str, MediaRecord]

    def ids_for(self, network: str) -> list[str]:
        return self.by_network.get(network, [])

    @property
    def everywhere(self) -> bool:
        """Every target network gets images (so no link card goes out)."""
        return all(self.by_network.values())


def resolve(
    workspace_id: str,
    channels: list[ChannelRecord],
    media_ids: list[str],
    overrides: dict[str, list[str]] | None = None,
) -> PostMedia:
    """Every image ready, the workspace's and within each target network's rules, or ValidationFailed
    (NotFound for another workspace's media: nothing revealed)."""
    overrides = overrides or {}
    networks = sorted({c.network for c in channels})
    problems: list[FieldProblem] = []
    for network in sorted(set(overrides) - set(networks)):
        problems.append(FieldProblem(f"overrides.{network}.media", f"no channel of this post is on {network}"))
    lists = {"media": media_ids} | {f"overrides.{n}.media": ids for n, ids in overrides.items()}
    records: dict[str, MediaRecord] = {}
    for field, ids in lists.items():
        if len(set(ids)) != len(ids):
            problems.append(FieldProblem(field, "an image is named twice"))
        for index, media_id in enumerate(ids):
            if media_id in records:
                continue
            record, problem = _ready(workspace_id, media_id, f"{field}[{index}]")
            if problem is not None:
                problems.append(problem)
            elif record is not None:
                records[media_id] = record
    if problems:
        raise ValidationFailed(problems)

    require_alt = _requires_alt(workspace_id)
    by_network = {}
    rules = {(c.network, channel_limits(c)) for c in channels}  # a Mastodon instance may set its own
    for network, limits in sorted(rules, key=lambda rule: (rule[0], str(rule[1]))):
        field = f"overrides.{network}.media" if network in overrides else "media"
        ids = overrides.get(network, media_ids)
        images = [_image(records[i]) for i in ids]
        for problem in check_images(network, limits, images, field, require_alt=require_alt):
            if problem not in problems:
                problems.append(problem)
        by_network[network] = ids
    if problems:
        raise ValidationFailed(problems)
    return PostMedia(by_network, records)


def _ready(workspace_id: str, media_id: str, field: str) -> tuple[MediaRecord | None, FieldProblem | None]:
    record = media.find_record(media_id)
    if record is None:
        return None, FieldProblem(field, f"no media {media_id}")
    if record.workspace_id != workspace_id:
        raise NotFound(f"no media {media_id}")
    if record.status == media.PENDING:
        try:
            record = media.check(record)  # uploaded but never completed: check it now
        except media.NotUploaded:
            return None, FieldProblem(field, f"{media_id} is not uploaded yet")
    if record.status == media.REJECTED:
        return None, FieldProblem(field, f"{media_id} was rejected: {record.reason}")
    return record, None


def channel_limits(channel: ChannelRecord) -> MediaLimits:
    """The channel's own image limits where its server said them (Mastodon), else the network's."""
    stored = channel.media_limits.as_dict() if channel.media_limits else None
    if not stored:
        return limits_for(channel.network)
    return MediaLimits(
        max_images=int(stored["max_images"]),
        max_bytes=int(stored["max_bytes"]),
        types=frozenset(str(t) for t in stored["types"]),
    )


def _image(record: MediaRecord) -> Image:
    width = int(record.width) if record.width is not None else None
    height = int(record.height) if record.height is not None else None
    size = int(record.size or record.declared_size)
    return Image(record.media_id, record.content_type, size, record.alt, width, height)


def _requires_alt(workspace_id: str) -> bool:
    try:
        return bool(WorkspaceRecord.get(workspace_id).require_alt_text)
    except WorkspaceRecord.DoesNotExist:
        return False


def media_of(delivery: DeliveryRecord) -> list[str]:
    """The media ids a delivery sends, in order."""
    return [str(media_id) for media_id in delivery.media_ids or []]


def mark_in_use(post_media: PostMedia, deliveries: Iterable[DeliveryRecord]) -> None:
    """Before the post is written: its images must not expire while a delivery may still send them."""
    users: dict[str, set[str]] = {}
    for delivery in deliveries:
        for media_id in media_of(delivery):
            users.setdefault(media_id, set()).add(f"{delivery.post_id}.{delivery.channel_id}")
    for media_id, delivery_ids in users.items():
        record = post_media.records[media_id]
        record.update(actions=[MediaRecord.in_use.add(delivery_ids), MediaRecord.expires_at.remove()])
        media.tag_object(record.object_key, "in-use")


def delivery_ended(delivery: DeliveryRecord) -> None:
    """A delivery reached a final state: its images may be retired. Never raises (the delivery's end
    must not depend on the clean-up); a failure is logged and the media stays, which is the safe side."""
    for media_id in media_of(delivery):
        try:
            _release(media_id, f"{delivery.post_id}.{delivery.channel_id}")
        except Exception:
            logger.exception("could not release media", extra={"media_id": media_id})


def _release(media_id: str, delivery_id: str) -> None:
    record = media.find_record(media_id)
    if record is None:
        return
    record.update(actions=[MediaRecord.in_use.delete({delivery_id})])
    if record.in_use:
        return
    try:
        record.update(
            actions=[MediaRecord.expires_at.set(media.retention_expiry(clock.now()))],
            condition=MediaRecord.in_use.does_not_exist(),  # a post queued meanwhile keeps it
        )
    except UpdateError:
        return
    media.tag_object(record.object_key, "retired")


def required_images(
    channels: list[ChannelRecord], media_ids: list[str], overrides: dict[str, list[str]] | None = None
) -> list[FieldProblem]:
    """Networks that take no post without an image (Instagram): a 422 naming the network."""
    overrides = overrides or {}
    problems = []
    for network in sorted({c.network for c in channels}):
        limits = limits_for(network)
        ids = overrides.get(network, media_ids)
        if limits.min_images and len(ids) < limits.min_images:
            field = f"overrides.{network}.media" if network in overrides else "media"
            name = NETWORK_NAMES.get(network, network)
            problems.append(FieldProblem(field, f"{name} takes no post without an image: add at least one"))
    return problems


def with_attachments(request: PublishRequest, delivery: DeliveryRecord) -> PublishRequest:
    """The publish request with this delivery's images (bytes from the bucket) or its link card."""
    images = []
    for media_id in media_of(delivery):
        record = media.find_record(media_id)
        try:
            if record is None:
                raise media.NotUploaded(media_id)
            data = media.read_bytes(record)
        except media.NotUploaded:
            raise PermanentNetworkError(f"image {media_id} is no longer stored: queue the post again") from None
        images.append(
            Attachment(
                data=data,
                content_type=record.content_type,
                alt=record.alt or "",
                width=int(record.width) if record.width is not None else None,
                height=int(record.height) if record.height is not None else None,
                url=_url_for(delivery, record),
            )
        )
    card = None
    if not images and delivery.link_card:
        fields = delivery.link_card.as_dict()
        thumbnail_url = fields.get("thumbnail_url") or None
        thumbnail = link_cards.fetch_thumbnail(str(thumbnail_url)) if thumbnail_url else None
        card = LinkCard(
            url=str(fields["url"]),
            title=str(fields.get("title") or ""),
            description=str(fields.get("description") or ""),
            thumbnail_url=thumbnail_url,
            thumbnail=Attachment(thumbnail.data, thumbnail.content_type) if thumbnail else None,
        )
    return replace(request, images=tuple(images), link_card=card)


def _url_for(delivery: DeliveryRecord, record: MediaRecord) -> str | None:
    """A presigned GET URL for networks that fetch the image themselves (parley.media.urls), else None."""
    from parley.media import urls as media_urls

    return media_urls.presigned_get(record.object_key) if media_urls.wants_url(str(delivery.network)) else None
