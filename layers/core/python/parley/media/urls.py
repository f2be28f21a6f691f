"""Short-lived presigned GET URLs of stored images, for networks that fetch an image themselves instead of
taking its bytes (Facebook's `POST /{page-id}/photos` with `url`; Instagram's and Threads' media containers
with `image_url`).

The URL is signed with the publish function's own credentials (it may already read the media bucket) and
lives a few minutes: long enough for the network to fetch it during the call, too short to be worth sharing.
"""

from __future__ import annotations

from parley.shared import aws
from parley.shared.config import Settings, get_settings

# Facebook fetches the image while the call is open; Instagram and Threads while the container is made, which
# may take a little longer (a retry gets a fresh address).
PRESIGNED_SECONDS = 900
FETCHED_BY_URL = frozenset({"facebook", "instagram", "threads"})  # networks whose adapter sends `Attachment.url`


def presigned_get(object_key: str, seconds: int = PRESIGNED_SECONDS, settings: Settings | None = None) -> str:
    """A GET URL of the object, valid `seconds` (no network call: the signature is computed locally)."""
    settings = settings or get_settings()
    url: str = aws.client("s3").generate_presigned_url(
        "get_object", Params={"Bucket": settings.media_bucket, "Key": object_key}, ExpiresIn=seconds
    )
    return url


def wants_url(network: str) -> bool:
    return network in FETCHED_BY_URL
