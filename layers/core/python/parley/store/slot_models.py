"""The queue's records (parley.publishing.queue): each channel's posting times and queue state, the claim of
each slot, and the named channel groups. One table, keyed by `queue_key`:

- `<workspace>#<channel>` / `config`: the channel's own posting times (absent: its group's), its group, and the
  queue's hint (`free_from`: every slot before it is taken; `version` changes on each release);
- `<workspace>#<channel>` / `slot#<UTC ISO>`: the post holding that slot (a conditional put: one holder);
- `<workspace>#groups` / `<name>`: a group's channels and posting times.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import ListAttribute, MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.models import Model

from parley.shared.names import Table, physical_name

CONFIG = "config"
SLOT_PREFIX = "slot#"


class QueueRecord(Model):
    class Meta:
        table_name = physical_name(Table.QUEUE)

    queue_key = UnicodeAttribute(hash_key=True)
    item = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    # config and group items: posting times in the API's shape [{days, at}] and their zone (absent: none)
    time_zone = UnicodeAttribute(null=True)
    times = ListAttribute(of=MapAttribute, null=True)  # type: ignore[var-annotated]
    group = UnicodeAttribute(null=True)  # config: the group it belongs to
    free_from = UTCDateTimeAttribute(null=True)  # config: every slot before it is taken (a hint)
    version = NumberAttribute(null=True)  # config: changes on each release (the hint's guard)
    channel_ids = ListAttribute(of=UnicodeAttribute, null=True)  # group: its channels
    # slot items: who holds it
    post_id = UnicodeAttribute(null=True)
    claimed_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


def channel_key(workspace_id: str, channel_id: str) -> str:
    return f"{workspace_id}#{channel_id}"


def groups_key(workspace_id: str) -> str:
    return f"{workspace_id}#groups"


def as_maps(rules: list[dict[str, Any]]) -> Any:  # the list attribute's value
    return [{"days": list(r["days"]), "at": list(r["at"])} for r in rules]
