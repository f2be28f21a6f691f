"""The DynamoDB tables: on-demand, point-in-time recovery, deletion protection, AWS-managed encryption,
retained when the stack is deleted.

TABLE_KEYS is the one place that says how each table is keyed; it must match the PynamoDB models in
`layers/core/python/parley/store/` (and Powertools' idempotency table layout).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aws_cdk import RemovalPolicy, aws_dynamodb
from constructs import Construct

from parley.shared import names


@dataclass(frozen=True)
class Index:
    name: str
    partition_key: str
    sort_key: str | None = None


@dataclass(frozen=True)
class TableKeys:
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[Index, ...] = field(default_factory=tuple)
    ttl_attribute: str | None = None


# Every key attribute is a string.
TABLE_KEYS: dict[names.Table, TableKeys] = {
    names.Table.WORKSPACES: TableKeys("workspace_id"),
    names.Table.MEMBERS: TableKeys("workspace_id", "member_id"),
    # Browser sessions and sign-in links carry `expires` (store.session_models): the sweep removes the spent
    # ones; API tokens and calendar feeds have no such attribute and stay.
    names.Table.TOKENS: TableKeys(
        "token_hash",
        indexes=(Index("by_token_id", "token_id"), Index("by_member", "member_id")),
        ttl_attribute="expires",
    ),
    names.Table.CHANNELS: TableKeys("workspace_id", "channel_id"),
    names.Table.POSTS: TableKeys(
        "workspace_id", "post_id", indexes=(Index("by_publish_at", "workspace_id", "publish_key"),)
    ),
    names.Table.DELIVERIES: TableKeys(
        "post_id", "channel_id", indexes=(Index("by_state", "state_key", "publish_key"),)
    ),
    names.Table.WATCHES: TableKeys("channel_key", "watch_id", indexes=(Index("by_due", "channel_key", "due_key"),)),
    names.Table.INBOX: TableKeys(
        "workspace_id", "item_id", indexes=(Index("by_arrival", "workspace_id", "arrival_key"),)
    ),
    names.Table.ACTIVITY: TableKeys("workspace_id", "hour"),
    names.Table.ANSWERS: TableKeys("workspace_id", "answer_id"),
    # Pending X connections: single use, checked on the clock; the TTL only sweeps the ones never used.
    names.Table.OAUTH_STATES: TableKeys("state_hash", ttl_attribute="expires"),
    names.Table.MEDIA: TableKeys("media_id", ttl_attribute="expires_at"),  # retired media expires
    names.Table.SNAPSHOTS: TableKeys("post_key", "snapshot_key"),
    # Visitors' markers and the hours' visitor keys expire (parley.links.visitors); short links never do.
    names.Table.LINKS: TableKeys("code", indexes=(Index("by_post", "post_key", "code"),), ttl_attribute="expires_at"),
    names.Table.WEBHOOKS: TableKeys("workspace_id", "webhook_id"),
    names.Table.WEBHOOK_DELIVERIES: TableKeys(
        "webhook_id", "event_id", indexes=(Index("by_time", "webhook_id", "time_key"),), ttl_attribute="expires_at"
    ),
    names.Table.CAMPAIGNS: TableKeys("workspace_id", "campaign"),
    names.Table.QUEUE: TableKeys("queue_key", "item"),  # posting times, slot claims, groups (docs/queue.md)
    # Powertools' idempotency table: partition key `id`, records expire through `expiration`.
    names.Table.IDEMPOTENCY: TableKeys("id", ttl_attribute="expiration"),
}


def _attribute(name: str) -> aws_dynamodb.Attribute:
    return aws_dynamodb.Attribute(name=name, type=aws_dynamodb.AttributeType.STRING)


class Data(Construct):
    """One table per names.Table."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.tables: dict[names.Table, aws_dynamodb.Table] = {}
        for table, keys in TABLE_KEYS.items():
            resource = aws_dynamodb.Table(
                self,
                table.value.capitalize(),
                partition_key=_attribute(keys.partition_key),
                sort_key=_attribute(keys.sort_key) if keys.sort_key else None,
                billing_mode=aws_dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=aws_dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                deletion_protection=True,
                encryption=aws_dynamodb.TableEncryption.AWS_MANAGED,
                time_to_live_attribute=keys.ttl_attribute,
                removal_policy=RemovalPolicy.RETAIN,
            )
            for index in keys.indexes:
                resource.add_global_secondary_index(
                    index_name=index.name,
                    partition_key=_attribute(index.partition_key),
                    sort_key=_attribute(index.sort_key) if index.sort_key else None,
                    projection_type=aws_dynamodb.ProjectionType.ALL,
                )
            self.tables[table] = resource

    def arns(self, table: names.Table) -> list[str]:
        """The table and each of its indexes by name (no wildcard)."""
        resource = self.tables[table]
        return [resource.table_arn] + [
            f"{resource.table_arn}/index/{index.name}" for index in TABLE_KEYS[table].indexes
        ]
