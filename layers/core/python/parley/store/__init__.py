"""PynamoDB models and the queries parley makes. Nothing else touches DynamoDB (but Powertools'
idempotency table)."""

from parley.store.campaign_models import CampaignRecord
from parley.store.feed_models import FeedRecord
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
from parley.store.series_models import SeriesRecord
from parley.store.session_models import SessionRecord
from parley.store.slot_models import QueueRecord
from parley.store.webhook_models import WebhookDeliveryRecord, WebhookRecord
from parley.store.writes import (
    Action,
    Condition,
    DeleteError,
    PutError,
    TransactWriteError,
    UpdateError,
    transaction,
)

__all__ = [
    "ALL_MODELS",
    "Action",
    "ActivityRecord",
    "AnswerRecord",
    "CampaignRecord",
    "ChannelRecord",
    "Condition",
    "DeleteError",
    "DeliveryRecord",
    "FeedRecord",
    "InboxRecord",
    "LinkRecord",
    "MediaRecord",
    "MemberRecord",
    "OAuthStateRecord",
    "PostRecord",
    "PutError",
    "QueueRecord",
    "SeriesRecord",
    "SessionRecord",
    "SnapshotRecord",
    "TokenRecord",
    "TransactWriteError",
    "UpdateError",
    "WatchRecord",
    "WebhookDeliveryRecord",
    "WebhookRecord",
    "WorkspaceRecord",
    "bind",
    "create_tables",
    "transaction",
]
