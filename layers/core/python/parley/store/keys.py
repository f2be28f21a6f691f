"""The keys records are found by, as values the rooms pass around (a delivery in a queue message, a post's
snapshots and links)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from parley.store.models import DeliveryRecord


def post_key(workspace_id: str, post_id: str) -> str:
    """A post's snapshots and links are kept under its workspace and id."""
    return f"{workspace_id}#{post_id}"


def click_tally_key(post_key_: str, channel_id: str) -> str:
    """The links table's item adding up the clicks of one delivery's short links (`<workspace>#<post>#<channel>`):
    never a code (codes are 12 URL-safe characters), never in the `by_post` index (it has no post_key)."""
    return f"{post_key_}#{channel_id}"


@dataclass(frozen=True)
class DeliveryKey:
    workspace_id: str
    post_id: str
    channel_id: str

    @property
    def id(self) -> str:
        return f"{self.post_id}.{self.channel_id}"

    def to_dict(self) -> dict[str, str]:
        return {"workspace_id": self.workspace_id, "post_id": self.post_id, "channel_id": self.channel_id}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> DeliveryKey:
        return cls(str(data["workspace_id"]), str(data["post_id"]), str(data["channel_id"]))

    @classmethod
    def of(cls, record: DeliveryRecord) -> DeliveryKey:
        return cls(record.workspace_id, record.post_id, record.channel_id)
