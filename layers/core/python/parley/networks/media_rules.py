"""What each network takes in images, from its own documentation (docs/media.md cites them).

- Bluesky: `app.bsky.embed.images` holds at most 4 images; `uploadBlob` takes an image of at most
  1,000,000 bytes (the lexicon's `maxSize`), `image/*`; the app offers JPEG, PNG, WebP and GIF.
- Mastodon: `POST /api/v2/media`; the instance says its own limits in `/api/v2/instance`
  (`configuration.media_attachments.supported_mime_types`, `image_size_limit`;
  `configuration.statuses.max_media_attachments`); Mastodon's defaults are 4 images of 16 MB.
- X: 4 images per post, each at most 5 MB, JPEG, PNG, WebP or GIF (media upload).
- LinkedIn: the Images API takes JPG, GIF and PNG (learn.microsoft.com/en-us/linkedin/marketing/
  community-management/shares/images-api); a MultiImage post holds 2 to 20 (.../multiimage-post-api). The
  pages give a pixel cap (36,152,320) rather than a byte cap: parley keeps each image to 5 MB.
- Facebook Pages: `POST /{page-id}/photos` takes JPEG, PNG, GIF, BMP, TIFF (parley sends the first three)
  of at most 4 MB (developers.facebook.com/docs/graph-api/reference/page/photos); the feed's
  `attached_media` documents no count, parley attaches at most 10.
- Instagram (https://developers.facebook.com/docs/instagram-platform/content-publishing, "Image
  specifications" of https://developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media):
  an image is required; JPEG only; at most 8 MB; aspect ratio between 4:5 and 1.91:1; a carousel holds
  at most 10.
- Threads (https://developers.facebook.com/docs/threads/posts, "Media specifications"): JPEG or PNG, at
  most 8 MB, aspect ratio at most 10:1 (either way); a carousel holds at most 20.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from parley.networks.boundary import MAX_IMAGE_BYTES, MAX_IMAGES, peer_count
from parley.shared.errors import FieldProblem

NETWORK_NAMES = {"bluesky": "Bluesky", "mastodon": "Mastodon", "x": "X"}
NETWORK_NAMES |= {"linkedin": "LinkedIn", "facebook": "Facebook", "instagram": "Instagram", "threads": "Threads"}
WEB_IMAGES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})


@dataclass(frozen=True)
class MediaLimits:
    max_images: int
    max_bytes: int
    types: frozenset[str]
    min_images: int = 0  # Instagram takes no post without an image
    min_aspect: float | None = None  # width / height, where the network bounds it
    max_aspect: float | None = None


BLUESKY = MediaLimits(max_images=4, max_bytes=1_000_000, types=WEB_IMAGES)
X = MediaLimits(max_images=4, max_bytes=5 * 1024 * 1024, types=WEB_IMAGES)
MASTODON_DEFAULT = MediaLimits(
    max_images=4,
    max_bytes=16 * 1024 * 1024,
    types=WEB_IMAGES | {"image/heic", "image/heif", "image/avif"},
)
LINKEDIN = MediaLimits(
    max_images=20, max_bytes=5 * 1024 * 1024, types=frozenset({"image/jpeg", "image/png", "image/gif"})
)
FACEBOOK = MediaLimits(
    max_images=10, max_bytes=4 * 1024 * 1024, types=frozenset({"image/jpeg", "image/png", "image/gif"})
)
INSTAGRAM = MediaLimits(
    max_images=10,
    max_bytes=8 * 1024 * 1024,
    types=frozenset({"image/jpeg"}),
    min_images=1,
    min_aspect=4 / 5,
    max_aspect=1.91,
)
THREADS = MediaLimits(
    max_images=20,
    max_bytes=8 * 1024 * 1024,
    types=frozenset({"image/jpeg", "image/png"}),
    min_aspect=1 / 10,
    max_aspect=10,
)
DEFAULTS = {"bluesky": BLUESKY, "mastodon": MASTODON_DEFAULT, "x": X}
DEFAULTS |= {"linkedin": LINKEDIN, "facebook": FACEBOOK, "instagram": INSTAGRAM, "threads": THREADS}


def limits_for(network: str) -> MediaLimits:
    return DEFAULTS.get(network, MediaLimits(0, 0, frozenset()))


def mastodon_limits(instance: dict[str, Any]) -> MediaLimits:
    """An instance's image limits from its `/api/v2/instance` answer; what it leaves out (or gives in
    another shape) keeps the default, and its numbers are taken within parley.networks.boundary's bounds."""
    configuration = _dict(instance.get("configuration"))
    attachments = _dict(configuration.get("media_attachments"))
    statuses = _dict(configuration.get("statuses"))
    types = attachments.get("supported_mime_types")
    listed = types if isinstance(types, list) else []
    images = frozenset(t for t in listed if isinstance(t, str) and t.startswith("image/") and len(t) < 100)
    return MediaLimits(
        max_images=peer_count(
            statuses.get("max_media_attachments"), MASTODON_DEFAULT.max_images, low=1, high=MAX_IMAGES
        ),
        max_bytes=peer_count(
            attachments.get("image_size_limit"), MASTODON_DEFAULT.max_bytes, low=1, high=MAX_IMAGE_BYTES
        ),
        types=images or MASTODON_DEFAULT.types,
    )


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Image:
    """What the rules need to know about one image."""

    media_id: str
    content_type: str
    size: int
    alt: str | None
    width: int | None = None
    height: int | None = None


def check_images(
    network: str, limits: MediaLimits, images: Sequence[Image], field: str, *, require_alt: bool = False
) -> list[FieldProblem]:
    """Problems of these images on this network, each naming the image, the network and the limit."""
    name = NETWORK_NAMES.get(network, network)
    problems = []
    if len(images) > limits.max_images:
        problems.append(FieldProblem(field, f"{len(images)} images; {name} takes at most {limits.max_images} per post"))
    for index, image in enumerate(images):
        where = f"{field}[{index}]"
        if image.content_type not in limits.types:
            allowed = ", ".join(sorted(limits.types))
            problems.append(FieldProblem(where, f"{image.media_id} is {image.content_type}; {name} takes {allowed}"))
        if image.size > limits.max_bytes:
            problems.append(
                FieldProblem(
                    where,
                    f"{image.media_id} has {image.size} bytes; {name} takes at most {limits.max_bytes} bytes per image",
                )
            )
        if limits.min_aspect is not None and limits.max_aspect is not None and image.width and image.height:
            ratio = image.width / image.height
            if not limits.min_aspect - 0.005 <= ratio <= limits.max_aspect + 0.005:
                problems.append(
                    FieldProblem(
                        where,
                        f"{image.media_id} is {image.width}x{image.height} (aspect ratio {ratio:.2f}); {name} takes "
                        f"{limits.min_aspect:.2f} to {limits.max_aspect:.2f} (width / height)",
                    )
                )
        if require_alt and not (image.alt or "").strip():
            problems.append(FieldProblem(where, f"{image.media_id} has no alt text; this workspace requires it"))
    return problems
