"""Every AWS resource parley uses, and the environment variables that carry their names.

The CDK app (infra/) and the local runtime (infra/local/) both read this module, so the deployed
system and the one on a laptop cannot drift apart. On AWS, CloudFormation chooses physical names and
the CDK app passes them in these variables; locally, `local_names()` fills in fixed ones.
"""

from __future__ import annotations

from enum import StrEnum

APP = "parley"
METRICS_NAMESPACE = "Parley"


class Table(StrEnum):
    WORKSPACES = "workspaces"
    MEMBERS = "members"
    TOKENS = "tokens"
    CHANNELS = "channels"
    POSTS = "posts"
    DELIVERIES = "deliveries"
    IDEMPOTENCY = "idempotency"  # Powertools' idempotency records for POST /posts and replies
    WATCHES = "watches"  # published deliveries being listened to, and each channel's poll schedule
    INBOX = "inbox"  # replies and mentions, one item per network id
    ACTIVITY = "activity"  # per workspace and hour: inbox items, mentions, negatives (alert baselines)
    ANSWERS = "answers"  # approved answers: the team's wording, with placeholders
    OAUTH_STATES = "oauth-states"  # pending X connections (PKCE verifier), single use, ~10 minutes (TTL)
    MEDIA = "media"  # uploaded images: declared type and size, alt text, check result (docs/media.md)
    SNAPSHOTS = "snapshots"  # engagement counters of each watched delivery at each poll (docs/metrics.md)
    LINKS = "links"  # parley's short links: code -> target, click counters (docs/metrics.md)
    WEBHOOKS = "webhooks"  # the workspace's outbound webhook endpoints and their health (docs/webhooks.md)
    WEBHOOK_DELIVERIES = "webhook-deliveries"  # each event sent to an endpoint: attempts, last error (TTL)
    CAMPAIGNS = "campaigns"  # campaign presets: a campaign's extra UTM parameters, one item each (docs/metrics.md)
    QUEUE = "queue"  # posting times per channel and group, each slot's claim, the queue's hint (docs/queue.md)


class Queue(StrEnum):
    # Second-precise hand-over: a schedule fires early, the message waits here with DelaySeconds.
    PUBLISH = "publish"
    # Everything that went wrong outside our own code: Scheduler's dead letters, Lambda's on-failure
    # records and the publish queue's redrive. The reconciler reads it.
    FAILURES = "failures"
    # What the reconciler itself could not settle: a person looks (alarmed).
    FAILURES_DLQ = "failures-dlq"
    # S3 tells of each upload to the media bucket here; the media-check function checks it (docs/media.md).
    MEDIA_UPLOADS = "media-uploads"
    # Outbound webhook events, one message per endpoint and event; a failed send waits out its backoff as
    # the message's visibility timeout (docs/webhooks.md).
    WEBHOOKS = "webhooks"


class Function(StrEnum):
    API = "api"
    PUBLISH = "publish"
    RECONCILER = "reconciler"
    POLL = "poll"  # one channel's due watches: replies, mentions, counters (docs/listening.md)
    TOKENS = "tokens"  # keeps a channel's expiring token alive (X: refresh before expiry; DESIGN.md flow 5)
    MEDIA_CHECK = "media_check"  # an upload arrived: check its bytes, mark the media ready or rejected
    REDIRECT = "redirect"  # public GET /l/{code}: counts the click, answers 302 (docs/metrics.md)
    WEBHOOKS = "webhooks"  # sends an event to an endpoint, signed; retries with backoff (docs/webhooks.md)
    WEB = "web"  # the marketers' web app: `/` and `/app/...`, HTML pages on the same core (docs/web.md)


class Topic(StrEnum):
    ALERTS = "alerts"  # listening alerts for the team (spikes in mentions or in the negative share)


class ScheduleGroup(StrEnum):
    DELIVERIES = "deliveries"


class Bucket(StrEnum):
    MEDIA = "media"  # uploaded images, private; lifecycle expires unused and retired ones (docs/media.md)


class Env(StrEnum):
    """Environment variables read once by `parley.shared.config.Settings`."""

    TABLE_WORKSPACES = "PARLEY_TABLE_WORKSPACES"
    TABLE_MEMBERS = "PARLEY_TABLE_MEMBERS"
    TABLE_TOKENS = "PARLEY_TABLE_TOKENS"
    TABLE_CHANNELS = "PARLEY_TABLE_CHANNELS"
    TABLE_POSTS = "PARLEY_TABLE_POSTS"
    TABLE_DELIVERIES = "PARLEY_TABLE_DELIVERIES"
    TABLE_IDEMPOTENCY = "PARLEY_TABLE_IDEMPOTENCY"
    TABLE_WATCHES = "PARLEY_TABLE_WATCHES"
    TABLE_INBOX = "PARLEY_TABLE_INBOX"
    TABLE_ACTIVITY = "PARLEY_TABLE_ACTIVITY"
    TABLE_ANSWERS = "PARLEY_TABLE_ANSWERS"
    TABLE_OAUTH_STATES = "PARLEY_TABLE_OAUTH_STATES"
    TABLE_SNAPSHOTS = "PARLEY_TABLE_SNAPSHOTS"
    TABLE_LINKS = "PARLEY_TABLE_LINKS"
    TABLE_WEBHOOKS = "PARLEY_TABLE_WEBHOOKS"
    TABLE_WEBHOOK_DELIVERIES = "PARLEY_TABLE_WEBHOOK_DELIVERIES"
    TABLE_CAMPAIGNS = "PARLEY_TABLE_CAMPAIGNS"
    TABLE_QUEUE = "PARLEY_TABLE_QUEUE"
    WEBHOOK_QUEUE_URL = "PARLEY_WEBHOOK_QUEUE_URL"
    ALERT_TOPIC_ARN = "PARLEY_ALERT_TOPIC_ARN"
    PUBLISH_QUEUE_URL = "PARLEY_PUBLISH_QUEUE_URL"
    SCHEDULE_GROUP = "PARLEY_SCHEDULE_GROUP"
    SCHEDULER_ROLE_ARN = "PARLEY_SCHEDULER_ROLE_ARN"
    SCHEDULER_DLQ_ARN = "PARLEY_SCHEDULER_DLQ_ARN"
    PUBLISH_FUNCTION_ARN = "PARLEY_PUBLISH_FUNCTION_ARN"
    POLL_FUNCTION_ARN = "PARLEY_POLL_FUNCTION_ARN"
    PARAMETER_PREFIX = "PARLEY_PARAMETER_PREFIX"
    PUBLIC_BASE_URL = "PARLEY_PUBLIC_BASE_URL"
    TOKENS_FUNCTION_ARN = "PARLEY_TOKENS_FUNCTION_ARN"
    TABLE_MEDIA = "PARLEY_TABLE_MEDIA"
    MEDIA_BUCKET = "PARLEY_MEDIA_BUCKET"
    # Host names, addresses and networks (comma-separated) an outbound fetch (parley.shared.outbound) may
    # reach although they are not public: the local runtime's and the tests' peers on 127.0.0.1. Unset on AWS.
    OUTBOUND_ALLOWED_HOSTS = "PARLEY_OUTBOUND_ALLOWED_HOSTS"
    # The SSM parameter (SecureString, names.cursor_key_parameter) whose value signs page cursors; the API
    # function makes it on first use (parley.shared.pagination).
    CURSOR_KEY_PARAMETER = "PARLEY_CURSOR_KEY_PARAMETER"


TABLE_ENV: dict[Table, Env] = {
    Table.WORKSPACES: Env.TABLE_WORKSPACES,
    Table.MEMBERS: Env.TABLE_MEMBERS,
    Table.TOKENS: Env.TABLE_TOKENS,
    Table.CHANNELS: Env.TABLE_CHANNELS,
    Table.POSTS: Env.TABLE_POSTS,
    Table.DELIVERIES: Env.TABLE_DELIVERIES,
    Table.IDEMPOTENCY: Env.TABLE_IDEMPOTENCY,
    Table.WATCHES: Env.TABLE_WATCHES,
    Table.INBOX: Env.TABLE_INBOX,
    Table.ACTIVITY: Env.TABLE_ACTIVITY,
    Table.ANSWERS: Env.TABLE_ANSWERS,
    Table.OAUTH_STATES: Env.TABLE_OAUTH_STATES,
    Table.MEDIA: Env.TABLE_MEDIA,
    Table.SNAPSHOTS: Env.TABLE_SNAPSHOTS,
    Table.LINKS: Env.TABLE_LINKS,
    Table.WEBHOOKS: Env.TABLE_WEBHOOKS,
    Table.WEBHOOK_DELIVERIES: Env.TABLE_WEBHOOK_DELIVERIES,
    Table.CAMPAIGNS: Env.TABLE_CAMPAIGNS,
    Table.QUEUE: Env.TABLE_QUEUE,
}

# What every function needs to queue, arm and publish (all three may arm a delivery).
_CORE_ENV: tuple[Env, ...] = (
    *TABLE_ENV.values(),
    Env.PUBLISH_QUEUE_URL,
    Env.SCHEDULE_GROUP,
    Env.SCHEDULER_ROLE_ARN,
    Env.SCHEDULER_DLQ_ARN,
    Env.PUBLISH_FUNCTION_ARN,
    Env.POLL_FUNCTION_ARN,  # publishing starts watching a delivery, which arms its channel's poll
    Env.PARAMETER_PREFIX,
    Env.ALERT_TOPIC_ARN,  # a poll may raise an alert (and hold the workspace's queued posts)
    Env.TOKENS_FUNCTION_ARN,  # storing or renewing a channel's tokens arms its refresh schedule
    Env.MEDIA_BUCKET,  # images are checked at upload and queue time and sent at publish time
    Env.WEBHOOK_QUEUE_URL,  # publishing, listening and token upkeep tell the team's webhooks
)
# The variables each function is given (the CDK app sets exactly these; a test compares).
FUNCTION_ENV: dict[Function, tuple[Env, ...]] = {function: _CORE_ENV for function in Function}
# The API builds URLs people open in a browser: the X connect callback, and short links (`/l/{code}`;
# empty: links are left as they are), read at queue time. It alone pages (GET /posts, /inbox, a webhook's
# log), so it alone is told where the cursor key is (and may read it).
FUNCTION_ENV[Function.API] = (*_CORE_ENV, Env.PUBLIC_BASE_URL, Env.CURSOR_KEY_PARAMETER)
# The web app does what the API does, through the same core (the calendar pages with the same cursors).
FUNCTION_ENV[Function.WEB] = FUNCTION_ENV[Function.API]

PARAMETER_PREFIX = f"/{APP}"
LOCAL_DEPLOYMENT = "local"  # the local runtime's name where a stack's name goes


def cursor_key_parameter(deployment: str) -> str:
    """The SSM parameter whose value signs one deployment's page cursors (`deployment`: the stack's name on
    AWS, LOCAL_DEPLOYMENT here): `/parley/stacks/<deployment>/cursor-key`."""
    return f"{PARAMETER_PREFIX}/stacks/{deployment}/cursor-key"


# How the publish path keeps time (docs/publishing-on-time.md explains the numbers).
SCHEDULE_LEAD_SECONDS = 90  # a schedule fires this long before publish_at; Scheduler may be 60 s late
# The publish message becomes visible 1 to 2 s before its second (DelaySeconds is whole seconds): the
# function prepares and waits out the rest, so a slow pick-up (a busy poller, a cold start) costs no lag.
QUEUE_EARLY_SECONDS = 1
MAX_SQS_DELAY_SECONDS = 900
PUBLISH_TIMEOUT_SECONDS = 30  # the publish function's timeout
LEASE_SECONDS = 60  # > the publish timeout: an expired lease means its holder is gone
PUBLISH_VISIBILITY_SECONDS = 90  # > the lease: a crashed attempt's message returns after the lease expired
PUBLISH_MAX_RECEIVES = 5  # then the message goes to the failures queue and the reconciler
MAX_ATTEMPTS = 5


def physical_name(kind: Table | Queue | Function | ScheduleGroup | Topic | Bucket) -> str:
    """The fixed name the local runtime uses (AWS names come from CloudFormation)."""
    return f"{APP}-{kind.value}"


def local_bucket_name(bucket: Bucket, account: str) -> str:
    """S3 bucket names are global (in moto's process too): the local ones carry the account."""
    return f"{physical_name(bucket)}-{account}"


def local_names(*, endpoint_url: str, account: str, region: str, public_base_url: str = "") -> dict[str, str]:
    """Environment for the functions when they run on this machine against the embedded AWS (the local
    runtime sets the public base URL to its HTTP front's once that is listening)."""
    queue_base = f"{endpoint_url.rstrip('/')}/{account}"
    env = {TABLE_ENV[t].value: physical_name(t) for t in Table}
    env |= {
        Env.PUBLISH_QUEUE_URL.value: f"{queue_base}/{physical_name(Queue.PUBLISH)}",
        Env.WEBHOOK_QUEUE_URL.value: f"{queue_base}/{physical_name(Queue.WEBHOOKS)}",
        Env.SCHEDULE_GROUP.value: physical_name(ScheduleGroup.DELIVERIES),
        Env.SCHEDULER_ROLE_ARN.value: f"arn:aws:iam::{account}:role/{APP}-scheduler",
        Env.SCHEDULER_DLQ_ARN.value: f"arn:aws:sqs:{region}:{account}:{physical_name(Queue.FAILURES)}",
        Env.PUBLISH_FUNCTION_ARN.value: (
            f"arn:aws:lambda:{region}:{account}:function:{physical_name(Function.PUBLISH)}"
        ),
        Env.POLL_FUNCTION_ARN.value: f"arn:aws:lambda:{region}:{account}:function:{physical_name(Function.POLL)}",
        Env.PARAMETER_PREFIX.value: PARAMETER_PREFIX,
        Env.ALERT_TOPIC_ARN.value: f"arn:aws:sns:{region}:{account}:{physical_name(Topic.ALERTS)}",
        Env.PUBLIC_BASE_URL.value: public_base_url,
        Env.TOKENS_FUNCTION_ARN.value: (f"arn:aws:lambda:{region}:{account}:function:{physical_name(Function.TOKENS)}"),
        Env.MEDIA_BUCKET.value: local_bucket_name(Bucket.MEDIA, account),
        Env.CURSOR_KEY_PARAMETER.value: cursor_key_parameter(LOCAL_DEPLOYMENT),
    }
    return env


# Wiring shared by the CDK app and the local firer.
# Queue -> the function it triggers (SQS event source mapping).
EVENT_SOURCES: dict[Queue, Function] = {
    Queue.PUBLISH: Function.PUBLISH,
    Queue.FAILURES: Function.RECONCILER,
    Queue.MEDIA_UPLOADS: Function.MEDIA_CHECK,
    Queue.WEBHOOKS: Function.WEBHOOKS,
}
# Queue -> (where its messages go after too many receives, how many receives).
REDRIVE: dict[Queue, tuple[Queue, int]] = {
    Queue.PUBLISH: (Queue.FAILURES, PUBLISH_MAX_RECEIVES),
    # More than the publish queue's: a redriven message keeps its receive count (moto does; so may AWS).
    Queue.FAILURES: (Queue.FAILURES_DLQ, PUBLISH_MAX_RECEIVES + 5),
    # An upload the check keeps failing on: a person looks (the media stays pending; queueing checks again).
    Queue.MEDIA_UPLOADS: (Queue.FAILURES_DLQ, 5),
    # The sender gives an event up itself after its backoff (parley.webhooks.sending); this is a backstop.
    Queue.WEBHOOKS: (Queue.FAILURES_DLQ, 20),
}
# Messages per invocation. One for the publish queue: a batch is worked through in order, so a
# message behind another would go out late; separate invocations run side by side.
BATCH_SIZE: dict[Queue, int] = {
    Queue.PUBLISH: 1,
    Queue.FAILURES: 10,
    Queue.MEDIA_UPLOADS: 10,
    Queue.WEBHOOKS: 5,  # each send has WEBHOOK_SEND_SECONDS: a batch ends well within the timeout
}
VISIBILITY_SECONDS: dict[Queue, int] = {
    Queue.PUBLISH: PUBLISH_VISIBILITY_SECONDS,
    Queue.FAILURES: 180,
    Queue.FAILURES_DLQ: 30,
    Queue.MEDIA_UPLOADS: 6 * 30,  # six times the media-check function's timeout (AWS's advice)
    Queue.WEBHOOKS: 6 * 60,  # a failed send sets its own (the backoff)
}
# Functions invoked asynchronously (by Scheduler): Lambda's retries, then this on-failure destination.
ASYNC_INVOKE: dict[Function, tuple[int, Queue]] = {
    Function.PUBLISH: (2, Queue.FAILURES),
    # A poll that failed three times: the reconciler re-arms the channel's poll (parley.listening).
    Function.POLL: (2, Queue.FAILURES),
    # A refresh that failed three times: the reconciler arms another one soon (parley.connect.upkeep).
    Function.TOKENS: (2, Queue.FAILURES),
}
# Scheduler's own retry policy for handing an event to Lambda; its dead letters go to FAILURES.
SCHEDULER_MAX_RETRIES = 10
SCHEDULER_MAX_EVENT_AGE_SECONDS = 3600

# Listening (docs/listening.md): how long a published delivery is watched, and how much one poll does.
WATCH_WINDOW_SECONDS = 7 * 24 * 3600
POLL_MAX_WATCHES_PER_RUN = 50  # more due than this: the run re-arms for right away
POLL_TIMEOUT_SECONDS = 60

# Keeping channels alive (docs/networks-mastodon-x.md, "Connecting X").
OAUTH_STATE_SECONDS = 600  # a pending X connection (GET /channels/x/connect) is good this long
TOKEN_REFRESH_MARGIN_SECONDS = 600  # refresh an X token this long before it expires
TOKEN_REFRESH_RETRY_SECONDS = 120  # after a transient failure, try again this soon
TOKENS_TIMEOUT_SECONDS = 30
# Media (docs/media.md): uploads, checks and retention.
MEDIA_MAX_UPLOAD_BYTES = 16 * 1024 * 1024  # the largest any network takes (Mastodon's default image limit)
MEDIA_UPLOAD_SECONDS = 3600  # how long a presigned upload stays valid
MEDIA_UNUSED_DAYS = 3  # an upload no post uses is deleted after this (S3 lifecycle on its tag)
MEDIA_RETENTION_DAYS = 30  # media is deleted this long after the last delivery using it ended
MEDIA_CHECK_TIMEOUT_SECONDS = 30
# Object keys: a presigned POST writes under the upload prefix only (the media-check queue hears of those);
# the check stores the bytes it accepted under the checked prefix, which no presigned POST can write.
MEDIA_UPLOAD_PREFIX = "uploads/"
MEDIA_CHECKED_PREFIX = "checked/"

# Outbound webhooks (docs/webhooks.md): one send's budget, the function's timeout (a batch of 5 sends).
WEBHOOK_SEND_SECONDS = 10
WEBHOOK_TIMEOUT_SECONDS = 60
MEDIA_TAG = "parley-use"  # the object tag the lifecycle rules read: unused | in-use | retired
# Metrics (docs/metrics.md): short links and the summary's bounds.
SHORT_LINK_PATH = "/l/"
METRICS_MAX_RANGE_DAYS = 92  # GET /metrics/summary: a longer range is refused (422)
METRICS_MAX_POSTS = 500  # posts a summary reads at most (newest first); the answer says when it stopped
