"""A repeating post's series (parley.publishing.series), kept in the posts table beside its occurrences: its
key is the workspace and the series id (`s_...`), which no post id (`p_...`, or an occurrence's `s_...-N`)
equals. It carries no `publish_key`, so it is in none of the posts table's indexes: listing posts or the
calendar never meets one. Each occurrence is an ordinary post (`<series_id>-<n>`, n from 1) with its own
deliveries; the series says which one is live and what the next ones get."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from parley.shared.names import Table, physical_name


class SeriesRecord(Model):
    class Meta:
        table_name = physical_name(Table.POSTS)  # bound with the posts table (store.models.bind)

    workspace_id = UnicodeAttribute(hash_key=True)
    series_id = UnicodeAttribute(range_key=True, attr_name="post_id")  # the posts table's key: `s_<ulid>`
    kind = UnicodeAttribute()  # "rrule" (a series of times) | "evergreen" (queued again every N days)
    status = UnicodeAttribute()  # active | ended | cancelled | stopped (an occurrence could not be made)
    status_reason = UnicodeAttribute(null=True)
    # what each occurrence gets (edited for the future by PATCH with scope "future")
    texts = ListAttribute(of=UnicodeAttribute)  # the post's text, then its variants: occurrence i gets texts[i % n]
    overrides: MapAttribute[str, Any] = MapAttribute(null=True)  # network -> its own text (every occurrence)
    channel_ids = ListAttribute(of=UnicodeAttribute)
    campaign = UnicodeAttribute(null=True)
    media_ids = ListAttribute(of=UnicodeAttribute, null=True)
    media_overrides: MapAttribute[str, Any] = MapAttribute(null=True)
    # when: an RRULE read in `time_zone` from `first_at` (its wall time is the time of day), or every N days
    rrule = UnicodeAttribute(null=True)
    time_zone = UnicodeAttribute(null=True)
    first_at = UTCDateTimeAttribute()
    every_days = NumberAttribute(null=True)
    until = UTCDateTimeAttribute(null=True)  # evergreen: not queued again after this
    # the live occurrence (1-based) and the posts made so far, in order
    current = NumberAttribute()
    made = ListAttribute(of=UnicodeAttribute)
    created_by = UnicodeAttribute()
    created_role = UnicodeAttribute()  # the role occurrences are queued with (a contributor's wait for approval)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
