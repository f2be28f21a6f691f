"""PynamoDB models. Every key is scoped by workspace (or by something that belongs to one), and every
access pattern is a GetItem or a Query on a key or a GSI: no scans on any request or event path.

Table names are bound at start-up from `Settings` (`bind`), so the CDK app and the local runtime
decide them, not this module.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from parley.shared.config import Settings, get_settings
from parley.shared.names import Table, physical_name
from parley.store.campaign_models import CampaignRecord
from parley.store.feed_models import FeedRecord
from parley.store.series_models import SeriesRecord
from parley.store.session_models import SessionRecord
from parley.store.slot_models import QueueRecord
from parley.store.webhook_models import WebhookDeliveryRecord, WebhookRecord


class WorkspaceRecord(Model):
    class Meta:
        table_name = physical_name(Table.WORKSPACES)

    workspace_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # What resuming a held post whose time has passed does: "publish" at once or "refuse".
    past_due_rule = UnicodeAttribute(default="publish")
    # Listening alerts (parley.listening.alerts.AlertSettings as a map; absent: the defaults).
    alerts: MapAttribute[str, Any] = MapAttribute(null=True)
    # Set while the workspace is held: posts queued meanwhile are held too, until a person resumes.
    held_since = UTCDateTimeAttribute(null=True)
    # Posts whose images lack alt text are refused at queue time (docs/media.md).
    require_alt_text = BooleanAttribute(null=True)
    # Campaign presets as an older parley kept them (campaign name -> extra UTM parameters): each is moved to
    # its own CampaignRecord the first time the workspace's presets are listed or one is set (docs/metrics.md).
    campaigns: MapAttribute[str, Any] = MapAttribute(null=True)
    # How many members are admins: a workspace always keeps one (parley.team.members); absent: not yet counted.
    admin_count = NumberAttribute(null=True)
    # A contributor's posts wait for an editor's approval (parley.publishing.approval); absent: on.
    approval_required = BooleanAttribute(null=True)


class MemberRecord(Model):
    class Meta:
        table_name = physical_name(Table.MEMBERS)

    workspace_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    role = UnicodeAttribute()  # parley.team.members.Role
    created_at = UTCDateTimeAttribute()


class TokenIdIndex(GlobalSecondaryIndex["TokenRecord"]):
    class Meta:
        index_name = "by_token_id"
        projection = AllProjection()

    token_id = UnicodeAttribute(hash_key=True)


class TokenMemberIndex(GlobalSecondaryIndex["TokenRecord"]):
    class Meta:
        index_name = "by_member"
        projection = AllProjection()

    member_id = UnicodeAttribute(hash_key=True)


class TokenRecord(Model):
    """A member's API token, stored as the SHA-256 of the secret and looked up by it."""

    class Meta:
        table_name = physical_name(Table.TOKENS)

    token_hash = UnicodeAttribute(hash_key=True)
    token_id = UnicodeAttribute()  # public handle for revoking; never the secret
    workspace_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    role = UnicodeAttribute()  # the member's role when it was issued; the member's record decides
    label = UnicodeAttribute(null=True)
    prefix = UnicodeAttribute(null=True)  # the secret's first characters, to tell tokens apart in a list
    created_at = UTCDateTimeAttribute()
    last_used_at = UTCDateTimeAttribute(null=True)  # to the minute (parley.team.tokens.LAST_USE_PRECISION)
    revoked_at = UTCDateTimeAttribute(null=True)

    by_token_id = TokenIdIndex()
    by_member = TokenMemberIndex()


class ChannelRecord(Model):
    class Meta:
        table_name = physical_name(Table.CHANNELS)

    workspace_id = UnicodeAttribute(hash_key=True)
    channel_id = UnicodeAttribute(range_key=True)
    network = UnicodeAttribute()
    handle = UnicodeAttribute()
    remote_id = UnicodeAttribute()  # the account's id on the network (Bluesky: its DID)
    service_url = UnicodeAttribute()
    credential_parameter = UnicodeAttribute()  # SSM SecureString name; the secret itself is never here
    credential_set_at = UTCDateTimeAttribute(null=True)  # when a reconnect last replaced it (kept_adapters)
    status = UnicodeAttribute(default="active")  # active | needs_reauth | paused
    status_reason = UnicodeAttribute(null=True)  # why it is not active, as the network said
    time_zone = UnicodeAttribute(default="UTC")
    max_characters = NumberAttribute(null=True)  # the instance's own limit, where the network has one
    url_length = NumberAttribute(null=True)  # what a link counts for, where the network says
    # The instance's own image limits, where the network has them: {max_images, max_bytes, types}
    media_limits: MapAttribute[str, Any] = MapAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    display_name = UnicodeAttribute(null=True)  # how the team calls it (absent: its handle)
    paused_since = UTCDateTimeAttribute(null=True)  # paused: nothing goes out on it (parley.publishing.holds)
    last_published_at = UTCDateTimeAttribute(null=True)  # its health (parley.connect.health)
    last_polled_at = UTCDateTimeAttribute(null=True)


class PublishAtIndex(GlobalSecondaryIndex["PostRecord"]):
    class Meta:
        index_name = "by_publish_at"
        projection = AllProjection()

    workspace_id = UnicodeAttribute(hash_key=True)
    publish_key = UnicodeAttribute(range_key=True)


class PostRecord(Model):
    class Meta:
        table_name = physical_name(Table.POSTS)

    workspace_id = UnicodeAttribute(hash_key=True)
    post_id = UnicodeAttribute(range_key=True)
    text = UnicodeAttribute()
    overrides: MapAttribute[str, Any] = MapAttribute(null=True)  # network -> its own text
    channel_ids = ListAttribute(of=UnicodeAttribute)
    publish_at = UTCDateTimeAttribute(null=True)  # None: a draft without a time (parley.publishing.drafts)
    publish_key = UnicodeAttribute()  # "<publish_at ISO>#<post_id>" (a draft without a time: "draft#...")
    campaign = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    media_ids = ListAttribute(of=UnicodeAttribute, null=True)  # images, in order (docs/media.md)
    media_overrides: MapAttribute[str, Any] = MapAttribute(null=True)  # network -> its own list of media ids
    link_card: MapAttribute[str, Any] = MapAttribute(null=True)  # {url, title, description, thumbnail_url}
    link_card_missing = UnicodeAttribute(null=True)  # a link and no card: why (parley.media.link_cards)
    history = ListAttribute(of=MapAttribute, null=True)  # who drafted, submitted, approved...: [{at, by, action}]
    series_id = UnicodeAttribute(null=True)  # an occurrence of a repeating post (parley.store.series_models)
    occurrence = NumberAttribute(null=True)  # which one, from 1
    thread = ListAttribute(of=UnicodeAttribute, null=True)  # the parts after the first (docs/threads.md)
    thread_mode = UnicodeAttribute(null=True)  # "replies" | "comments"
    first_comment = UnicodeAttribute(null=True)  # its text (docs/threads.md)

    by_publish_at = PublishAtIndex()


class DeliveryStateIndex(GlobalSecondaryIndex["DeliveryRecord"]):
    class Meta:
        index_name = "by_state"
        projection = AllProjection()

    state_key = UnicodeAttribute(hash_key=True)  # "<workspace_id>#<state>"
    publish_key = UnicodeAttribute(range_key=True)


class DeliveryRecord(Model):
    """One post on one channel. Its state changes only through `parley.publishing.deliveries`."""

    class Meta:
        table_name = physical_name(Table.DELIVERIES)

    post_id = UnicodeAttribute(hash_key=True)
    channel_id = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    network = UnicodeAttribute()
    text = UnicodeAttribute()  # what goes out on this channel (edited only while still editable)
    state = UnicodeAttribute()
    state_key = UnicodeAttribute()
    publish_at = UTCDateTimeAttribute(null=True)  # what the marketer asked for (None: a draft without a time)
    publish_key = UnicodeAttribute()
    due_at = UTCDateTimeAttribute(null=True)  # when the pending attempt is due (publish_at, or a retry's time)
    attempt = NumberAttribute(default=0)  # attempts started
    lease_until = UTCDateTimeAttribute(null=True)
    lease_token = UnicodeAttribute(null=True)
    remote_id = UnicodeAttribute(null=True)
    url = UnicodeAttribute(null=True)
    published_at = UTCDateTimeAttribute(null=True)
    lag_ms = NumberAttribute(null=True)
    last_error = UnicodeAttribute(null=True)
    failure_reason = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    history = ListAttribute(of=MapAttribute, default=list)  # [{at, from, to, by}]
    media_ids = ListAttribute(of=UnicodeAttribute, null=True)  # images this channel gets (docs/media.md)
    link_card: MapAttribute[str, Any] = MapAttribute(null=True)  # a link card, when it gets no image
    # What a two-step network made before publishing (Instagram, Threads: the container id), so a retry
    # reuses it (parley.store.intents).
    remote_intent = UnicodeAttribute(null=True)
    # The summary's numbers, kept where the summary reads them (docs/metrics.md): the counters of the newest
    # engagement snapshot and its time, set by the poll with each snapshot (a newer one only).
    counters: MapAttribute[str, Any] = MapAttribute(null=True)
    counters_at = UTCDateTimeAttribute(null=True)
    # Queued since clicks are also added up per delivery (parley.links.clicks, keys.click_tally_key): absent on
    # older deliveries, whose summary rows are read from their links and snapshots instead.
    tallied = BooleanAttribute(null=True)
    # A thread (parley.publishing.threads): its later parts, how they go out, and the parts out so far
    # ([{index, remote_id, cid, url}], written under the lease after each part: parley.publishing.thread_steps).
    thread = ListAttribute(of=UnicodeAttribute, null=True)
    thread_mode = UnicodeAttribute(null=True)
    parts_out = ListAttribute(of=MapAttribute, null=True)
    stop_requested_by = UnicodeAttribute(null=True)  # a cancel came while the thread went out: who
    first_comment = UnicodeAttribute(null=True)  # the account's own reply/comment to the post, right after it

    by_state = DeliveryStateIndex()


class WatchDueIndex(GlobalSecondaryIndex["WatchRecord"]):
    class Meta:
        index_name = "by_due"
        projection = AllProjection()

    channel_key = UnicodeAttribute(hash_key=True)
    due_key = UnicodeAttribute(range_key=True)


class WatchRecord(Model):
    """One channel's listening: an item per watched delivery (`watch_id` = its post id, `due_key` =
    "<next poll ISO>#<post_id>", in the sparse `by_due` index) and one `#poll` item holding the time the
    channel's poll schedule is armed for and the notifications cursor. docs/listening.md says why."""

    class Meta:
        table_name = physical_name(Table.WATCHES)

    channel_key = UnicodeAttribute(hash_key=True)  # "<workspace_id>#<channel_id>"
    watch_id = UnicodeAttribute(range_key=True)
    workspace_id = UnicodeAttribute()
    channel_id = UnicodeAttribute()
    # A watched delivery
    due_key = UnicodeAttribute(null=True)
    post_id = UnicodeAttribute(null=True)
    remote_id = UnicodeAttribute(null=True)  # the post's at:// URI
    published_at = UTCDateTimeAttribute(null=True)
    watch_until = UTCDateTimeAttribute(null=True)
    polls = NumberAttribute(default=0)
    counters: MapAttribute[str, Any] = MapAttribute(null=True)  # likes, reposts, replies, quotes at the last poll
    # A listener (watch_id "lst_..."): a hashtag, keyword or the account's mentions, watched while it exists
    kind = UnicodeAttribute(null=True)  # None: a published delivery; "hashtag" | "keyword" | "mentions"
    search_query = UnicodeAttribute(null=True)  # "#tag" or a keyword
    search_seen = UnicodeAttribute(null=True)  # indexedAt of the newest match already taken (the cursor)
    created_by = UnicodeAttribute(null=True)
    # The channel's #poll item
    armed_for = UTCDateTimeAttribute(null=True)
    mentions_seen = UnicodeAttribute(null=True)  # indexedAt of the newest mention already taken

    by_due = WatchDueIndex()


class InboxArrivalIndex(GlobalSecondaryIndex["InboxRecord"]):
    class Meta:
        index_name = "by_arrival"
        projection = AllProjection()

    workspace_id = UnicodeAttribute(hash_key=True)
    arrival_key = UnicodeAttribute(range_key=True)


class InboxRecord(Model):
    """A reply or mention, one per network id (`item_id` is derived from it: a second sighting is a
    conditional put that fails)."""

    class Meta:
        table_name = physical_name(Table.INBOX)

    workspace_id = UnicodeAttribute(hash_key=True)
    item_id = UnicodeAttribute(range_key=True)
    arrival_key = UnicodeAttribute()  # "<arrived_at ISO>#<item_id>": newest first, unique
    kind = UnicodeAttribute()  # reply | mention
    network = UnicodeAttribute()
    channel_id = UnicodeAttribute()
    remote_id = UnicodeAttribute()  # at:// URI of the reply or mention
    remote_cid = UnicodeAttribute()
    root_id = UnicodeAttribute()  # the thread's root (to thread an answer)
    root_cid = UnicodeAttribute()
    parent_id = UnicodeAttribute(null=True)  # what it answers on the network
    post_id = UnicodeAttribute(null=True)  # our post it belongs to (a reply in its thread)
    listener_id = UnicodeAttribute(null=True)  # the listener that matched it
    author_handle = UnicodeAttribute()
    author_id = UnicodeAttribute()
    text = UnicodeAttribute()
    url = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()  # on the network
    arrived_at = UTCDateTimeAttribute()
    sentiment = UnicodeAttribute()  # positive | neutral | negative
    sentiment_score = NumberAttribute()
    status = UnicodeAttribute(default="new")  # new | claimed | answered | dismissed
    claimed_by = UnicodeAttribute(null=True)
    answered_by = UnicodeAttribute(null=True)
    answer_id = UnicodeAttribute(null=True)
    answer_url = UnicodeAttribute(null=True)
    # While an answer is on its way to the network: a second request waits (409) instead of answering too
    # (X has no idempotency key); after a crash it expires and the next request looks first.
    answering_until = UTCDateTimeAttribute(null=True)

    by_arrival = InboxArrivalIndex()


class ActivityRecord(Model):
    """A workspace's listening activity in one UTC hour: the baseline that alerts compare against."""

    class Meta:
        table_name = physical_name(Table.ACTIVITY)

    workspace_id = UnicodeAttribute(hash_key=True)
    hour = UnicodeAttribute(range_key=True)  # "2026-11-23T09"
    items = NumberAttribute(default=0)
    mentions = NumberAttribute(default=0)
    negative = NumberAttribute(default=0)
    alerted = UnicodeSetAttribute(null=True)  # the kinds alerted this hour (each once per hour)


class AnswerRecord(Model):
    """An approved answer: wording the team agreed on, with `{placeholders}` filled in when used."""

    class Meta:
        table_name = physical_name(Table.ANSWERS)

    workspace_id = UnicodeAttribute(hash_key=True)
    answer_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    text = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()


class OAuthStateRecord(Model):
    """A pending OAuth connection (GET /channels/{network}/connect): keyed by the SHA-256 of its `state`, used once
    (a conditional delete), good for names.OAUTH_STATE_SECONDS (checked on the parley clock; the TTL only
    sweeps what was never used)."""

    class Meta:
        table_name = physical_name(Table.OAUTH_STATES)

    state_hash = UnicodeAttribute(hash_key=True)
    workspace_id = UnicodeAttribute()
    member_id = UnicodeAttribute()
    role = UnicodeAttribute()
    code_verifier = UnicodeAttribute()  # PKCE (RFC 7636): useless without the code X hands the browser
    scopes = UnicodeAttribute()
    redirect_uri = UnicodeAttribute()
    time_zone = UnicodeAttribute(default="UTC")
    created_at = UTCDateTimeAttribute()
    expires_at = UTCDateTimeAttribute()
    expires = TTLAttribute()  # DynamoDB's TTL sweep (epoch seconds)
    network = UnicodeAttribute(default="x")  # parley.connect: which network's callback may use it
    options = UnicodeAttribute(null=True)  # parley.connect: the connect call's choices (JSON), e.g. the page
    # The SHA-256 of the browser-binding secret (the cookie of the browser that started it, or that opened the
    # consent link): the callback is accepted only from that browser (parley.connect.states).
    browser_hash = UnicodeAttribute(null=True)
    opened_at = UTCDateTimeAttribute(null=True)  # when the consent link (connect_url) was opened: it works once


class MediaRecord(Model):
    """An uploaded image (docs/media.md): `pending` until its bytes are checked, then `ready` or
    `rejected` with a reason. `in_use` holds the deliveries that will send it; when the last one ends
    the object is tagged for deletion after the retention period and the record expires with it."""

    class Meta:
        table_name = physical_name(Table.MEDIA)

    # Keyed by its id alone, so that another workspace's id is told apart from an unknown one (404, 422).
    media_id = UnicodeAttribute(hash_key=True)
    workspace_id = UnicodeAttribute()
    # The presigned POST's key, read by the check only (None on records older than it: `object_key` was).
    upload_key = UnicodeAttribute(null=True)
    object_key = UnicodeAttribute()  # the bytes posts send: the check's copy of what it accepted
    content_type = UnicodeAttribute()  # as declared; the check compares it with the bytes
    declared_size = NumberAttribute()
    alt = UnicodeAttribute(null=True)
    status = UnicodeAttribute(default="pending")  # pending | ready | rejected
    reason = UnicodeAttribute(null=True)  # why it was rejected
    size = NumberAttribute(null=True)  # as stored
    width = NumberAttribute(null=True)
    height = NumberAttribute(null=True)
    in_use = UnicodeSetAttribute(null=True)  # delivery ids ("<post>.<channel>") not ended yet
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    checked_at = UTCDateTimeAttribute(null=True)
    expires_at = NumberAttribute(null=True)  # epoch seconds; DynamoDB's TTL removes the record


class SnapshotRecord(Model):
    """A watched delivery's counters at one poll: the points of its engagement curve (docs/metrics.md).
    Keyed by post, so one Query returns every channel's curve; sorted by channel, then time."""

    class Meta:
        table_name = physical_name(Table.SNAPSHOTS)

    post_key = UnicodeAttribute(hash_key=True)  # "<workspace_id>#<post_id>"
    snapshot_key = UnicodeAttribute(range_key=True)  # "<channel_id>#<taken_at ISO>"
    channel_id = UnicodeAttribute()
    network = UnicodeAttribute()
    taken_at = UTCDateTimeAttribute()
    counters: MapAttribute[str, Any] = MapAttribute()  # likes, reposts, replies, quotes, impressions, ...


class LinkPostIndex(GlobalSecondaryIndex["LinkRecord"]):
    class Meta:
        index_name = "by_post"
        projection = AllProjection()

    post_key = UnicodeAttribute(hash_key=True)
    code = UnicodeAttribute(range_key=True)


class LinkRecord(Model):
    """A short link (`code`), or one hour of its clicks (`code` = "<code>@<hour>", never a target).
    The redirect function counts a click with one conditional UpdateItem that also returns the target.
    The table also holds parley.links.visitors' markers and hour keys (no post_key: no listing sees them)."""

    class Meta:
        table_name = physical_name(Table.LINKS)

    code = UnicodeAttribute(hash_key=True)
    post_key = UnicodeAttribute(null=True)  # "<workspace_id>#<post_id>" (the by_post index)
    target = UnicodeAttribute(null=True)  # the original URL with its UTM tags (absent on hour items)
    original = UnicodeAttribute(null=True)  # the URL as written in the post
    display = UnicodeAttribute(null=True)  # what Bluesky shows as the link's text
    short_url = UnicodeAttribute(null=True)  # "<public base URL>/l/<code>", as written in the delivery
    channel_id = UnicodeAttribute(null=True)
    network = UnicodeAttribute(null=True)
    hour = UnicodeAttribute(null=True)  # hour items: "2026-11-23T09"
    clicks = NumberAttribute(default=0)  # people
    previews = NumberAttribute(default=0)  # link-preview crawlers (cardyb, Twitterbot, ...)
    created_at = UTCDateTimeAttribute(null=True)
    retired_at = UTCDateTimeAttribute(null=True)  # its delivery was cancelled: it no longer redirects

    by_post = LinkPostIndex()


ALL_MODELS: dict[Table, type[Model]] = {
    Table.WORKSPACES: WorkspaceRecord,
    Table.MEMBERS: MemberRecord,
    Table.TOKENS: TokenRecord,
    Table.CHANNELS: ChannelRecord,
    Table.POSTS: PostRecord,
    Table.DELIVERIES: DeliveryRecord,
    Table.WATCHES: WatchRecord,
    Table.INBOX: InboxRecord,
    Table.ACTIVITY: ActivityRecord,
    Table.ANSWERS: AnswerRecord,
    Table.OAUTH_STATES: OAuthStateRecord,
    Table.MEDIA: MediaRecord,
    Table.SNAPSHOTS: SnapshotRecord,
    Table.LINKS: LinkRecord,
    Table.WEBHOOKS: WebhookRecord,
    Table.WEBHOOK_DELIVERIES: WebhookDeliveryRecord,
    Table.CAMPAIGNS: CampaignRecord,
    Table.QUEUE: QueueRecord,
}


def bind(settings: Settings | None = None) -> None:
    """Point every model at the table names of this deployment (or of the local runtime)."""
    settings = settings or get_settings()
    for table, model in ALL_MODELS.items():
        model.Meta.table_name = settings.tables[table]
        model._connection = None  # PynamoDB caches the connection with the old name
    FeedRecord.Meta.table_name, FeedRecord._connection = settings.tables[Table.TOKENS], None  # shares the table
    SessionRecord.Meta.table_name, SessionRecord._connection = settings.tables[Table.TOKENS], None  # so do these
    SeriesRecord.Meta.table_name, SeriesRecord._connection = settings.tables[Table.POSTS], None  # shares the table


def create_tables(settings: Settings | None = None) -> None:
    """Create missing tables (the local runtime and tests; on AWS the CDK app owns them)."""
    import boto3

    settings = settings or get_settings()
    bind(settings)
    dynamodb = boto3.client("dynamodb")
    for model in ALL_MODELS.values():
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=True)
        else:
            _add_missing_indexes(dynamodb, model)
    _create_idempotency_table(boto3.client("dynamodb"), settings.tables[Table.IDEMPOTENCY])


def _add_missing_indexes(dynamodb: Any, model: type[Model]) -> None:
    """A local state saved by an older parley lacks the indexes added since: add them (on AWS, the CDK app)."""
    table = model.Meta.table_name
    present = {
        i["IndexName"] for i in dynamodb.describe_table(TableName=table)["Table"].get("GlobalSecondaryIndexes", [])
    }
    schema = model._get_schema()
    for index in schema["global_secondary_indexes"]:
        if index["index_name"] in present:
            continue
        dynamodb.update_table(
            TableName=table,
            AttributeDefinitions=index["attribute_definitions"],
            GlobalSecondaryIndexUpdates=[
                {
                    "Create": {
                        "IndexName": index["index_name"],
                        "KeySchema": index["key_schema"],
                        "Projection": index["projection"],
                    }
                }
            ],
        )


def _create_idempotency_table(dynamodb: Any, name: str) -> None:
    """Powertools' idempotency table: its own key schema, so not a PynamoDB model."""
    try:
        dynamodb.describe_table(TableName=name)
    except dynamodb.exceptions.ResourceNotFoundException:
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
