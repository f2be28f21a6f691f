"""Images on Mastodon against `mastodon_mock` (a mock of Mastodon's REST API written by others, not a
Mastodon server): uploaded with `POST /api/v2/media` and their alt text, then attached to the status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parley.networks.base import Attachment, Credential, PublishRequest
from parley.networks.mastodon import LimitsCache, MastodonAdapter
from parley.shared.clock import ManualClock
from tests.support.images import png
from tests.support.peers import MastodonMock
from tests.support.sessions import MemoryStore

pytestmark = pytest.mark.peers


def test_a_status_goes_out_with_its_images_and_their_alt_text(mastodon_mock: MastodonMock) -> None:
    token = mastodon_mock.new_account("pictures")
    now = datetime.now(UTC).replace(microsecond=0)
    credential = Credential("pictures", token, mastodon_mock.base_url)
    adapter = MastodonAdapter(credential, MemoryStore(), ManualClock(now), limits_cache=LimitsCache())
    images = (
        Attachment(png(4, 3), "image/png", alt="The new mug, front"),
        Attachment(png(3, 4), "image/png", alt="The new mug, side"),
    )

    published = adapter.publish(PublishRequest("01jmedia", "Our new mug", now, look_first=False, images=images))

    (status,) = mastodon_mock.statuses_of(token)
    assert status["id"] == published.remote_id
    assert [m["description"] for m in status["media_attachments"]] == ["The new mug, front", "The new mug, side"]
    assert all(m["type"] == "image" for m in status["media_attachments"])
