"""Campaign presets (parley.links.campaigns): one item per workspace and campaign name, so a workspace may
keep as many as it likes (they were one map in the workspace's item, which DynamoDB's 400 KB item limit cut
off at about 95 full presets)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import MapAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from parley.shared.names import Table, physical_name


class CampaignRecord(Model):
    """A campaign's extra UTM parameters for its short links' targets (docs/metrics.md)."""

    class Meta:
        table_name = physical_name(Table.CAMPAIGNS)

    workspace_id = UnicodeAttribute(hash_key=True)
    campaign = UnicodeAttribute(range_key=True)  # the name posts carry, 1 to 100 characters
    utm: MapAttribute[str, Any] = MapAttribute()  # utm_* -> value, at most 10
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute(null=True)  # a member id; absent on presets moved from the workspace's map
