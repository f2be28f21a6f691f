"""PynamoDB models and the queries parley makes. Nothing else touches DynamoDB (but Powertools'
idempotency table)."""

from parley.store.models import (
    ALL_MODELS,
    ChannelRecord,
    DeliveryRecord,
    MemberRecord,
    PostRecord,
    TokenRecord,
    WorkspaceRecord,
    bind,
    create_tables,
)

__all__ = [
    "ALL_MODELS",
    "ChannelRecord",
    "DeliveryRecord",
    "MemberRecord",
    "PostRecord",
    "TokenRecord",
    "WorkspaceRecord",
    "bind",
    "create_tables",
]
