"""The outbound webhooks' records (parley.webhooks): endpoints, and each event sent to each."""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from parley.shared.names import Table, physical_name


class WebhookRecord(Model):
    """An outbound webhook endpoint of a workspace; its signing secret is an SSM SecureString."""

    class Meta:
        table_name = physical_name(Table.WEBHOOKS)

    workspace_id = UnicodeAttribute(hash_key=True)
    webhook_id = UnicodeAttribute(range_key=True)
    url = UnicodeAttribute()
    events = ListAttribute(of=UnicodeAttribute)  # parley.webhooks.events.EventType values
    description = UnicodeAttribute(null=True)
    secret_parameter = UnicodeAttribute()
    status = UnicodeAttribute(default="enabled")  # enabled | disabled (by a person, or after a day failing)
    status_reason = UnicodeAttribute(null=True)
    failing_since = UTCDateTimeAttribute(null=True)  # the first failure since the last success
    last_success_at = UTCDateTimeAttribute(null=True)
    last_failure_at = UTCDateTimeAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()


class WebhookDeliveryTimeIndex(GlobalSecondaryIndex["WebhookDeliveryRecord"]):
    class Meta:
        index_name = "by_time"
        projection = AllProjection()

    webhook_id = UnicodeAttribute(hash_key=True)
    time_key = UnicodeAttribute(range_key=True)


class WebhookDeliveryRecord(Model):
    """One event for one endpoint: the exact body it is signed over (the same on every attempt), and how its
    sending went. Found by (endpoint, event id): an event emitted twice is sent once."""

    class Meta:
        table_name = physical_name(Table.WEBHOOK_DELIVERIES)

    webhook_id = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)  # the `webhook-id` header: receivers drop repeats by it
    time_key = UnicodeAttribute()  # "<created ISO>#<event id>": the log, newest first
    workspace_id = UnicodeAttribute()
    event_type = UnicodeAttribute()
    payload = UnicodeAttribute()
    status = UnicodeAttribute(default="pending")  # pending | delivered | failed
    attempts = NumberAttribute(default=0)
    last_status = NumberAttribute(null=True)  # the endpoint's HTTP status
    last_error = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    last_attempt_at = UTCDateTimeAttribute(null=True)
    next_attempt_at = UTCDateTimeAttribute(null=True)
    delivered_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)  # the log keeps 30 days

    by_time = WebhookDeliveryTimeIndex()
