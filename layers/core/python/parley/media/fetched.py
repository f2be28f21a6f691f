"""Images named by URL (a CSV import's `media_urls`): fetched through the one SSRF-safe way out
(`parley.shared.outbound`), judged from their bytes as an upload is (`uploads.judge`), and stored as the
upload path stores what its check accepted (`uploads.create_checked`). docs/import.md."""

from __future__ import annotations

import filetype

from parley.media import uploads
from parley.shared import outbound
from parley.shared.errors import OutboundFailed, OutboundRefused, OutboundTimedOut, OutboundTooLarge
from parley.shared.names import MEDIA_MAX_UPLOAD_BYTES

FETCH_SECONDS = 10.0


class NotFetched(Exception):
    """The URL gave no image parley takes; the message says why, in words a person can act on."""


def fetch_image(url: str) -> tuple[bytes, uploads.Verdict]:
    """The image's bytes and the check's verdict (ready); NotFetched when there is none to take."""
    try:
        answer = outbound.fetch(
            "GET",
            url,
            headers={"Accept": ", ".join(uploads.IMAGE_TYPES)},
            budget=outbound.Budget(seconds=FETCH_SECONDS, max_bytes=MEDIA_MAX_UPLOAD_BYTES),
        )
    except OutboundRefused as exc:
        raise NotFetched(f"{url} is not fetched: {exc}") from None
    except OutboundTooLarge:
        raise NotFetched(f"{url} is larger than {MEDIA_MAX_UPLOAD_BYTES} bytes") from None
    except OutboundTimedOut:
        raise NotFetched(f"{url} did not answer in {FETCH_SECONDS:g} s") from None
    except OutboundFailed as exc:
        raise NotFetched(f"{url} could not be fetched: {exc}") from None
    if not answer.ok:
        raise NotFetched(f"{url} answered {answer.status}")
    kind = filetype.guess(answer.body)
    declared = kind.mime if kind is not None else "an unknown type"
    verdict = uploads.judge(answer.body, declared, MEDIA_MAX_UPLOAD_BYTES)
    if verdict.status != uploads.READY:
        raise NotFetched(f"{url}: {verdict.reason}")
    return answer.body, verdict
