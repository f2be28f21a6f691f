"""PynamoDB models and the queries parley makes. Nothing else touches DynamoDB (but Powertools'
idempotency table)."""

from parley.store.models import (
    ALL_MODELS,
    ActivityRecord,
    AnswerRecord,
    ChannelRecord,
    DeliveryRecord,
    InboxRecord,
    LinkRecord,
    MediaRecord,
    MemberRecord,
    OAuthStateRecord,
    PostRecord,
    SnapshotRecord,
    TokenRecord,
    WatchRecord,
    WorkspaceRecord,
    bind,
    create_tables,
)

__all__ = [
    "ALL_MODELS",
    "ActivityRecord",
    "AnswerRecord",
    "ChannelRecord",
    "DeliveryRecord",
    "InboxRecord",
    "LinkRecord",
    "MediaRecord",
    "MemberRecord",
    "OAuthStateRecord",
    "PostRecord",
    "SnapshotRecord",
    "TokenRecord",
    "WatchRecord",
    "WorkspaceRecord",
    "bind",
    "create_tables",
]
