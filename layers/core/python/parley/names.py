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
    SNAPSHOTS = "snapshots"  # engagement counters of each watched delivery at each poll (docs/metrics.md)
    LINKS = "links"  # parley's short links: code -> target, click counters (docs/metrics.md)


class Queue(StrEnum):
    # Second-precise hand-over: a schedule fires early, the message waits here with DelaySeconds.
    PUBLISH = "publish"
    # Everything that went wrong outside our own code: Scheduler's dead letters, Lambda's on-failure
    # records and the publish queue's redrive. The reconciler reads it.
    FAILURES = "failures"
    # What the reconciler itself could not settle: a person looks (alarmed).
    FAILURES_DLQ = "failures-dlq"


class Function(StrEnum):
    API = "api"
    PUBLISH = "publish"
    RECONCILER = "reconciler"
    POLL = "poll"  # one channel's due watches: replies, mentions, counters (docs/listening.md)
    REDIRECT = "redirect"  # public GET /l/{code}: counts the click, answers 302 (docs/metrics.md)


class Topic(StrEnum):
    ALERTS = "alerts"  # listening alerts for the team (spikes in mentions or in the negative share)


class ScheduleGroup(StrEnum):
    DELIVERIES = "deliveries"


class Env(StrEnum):
    """Environment variables read once by `parley.config.Settings`."""

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
    TABLE_SNAPSHOTS = "PARLEY_TABLE_SNAPSHOTS"
    TABLE_LINKS = "PARLEY_TABLE_LINKS"
    ALERT_TOPIC_ARN = "PARLEY_ALERT_TOPIC_ARN"
    PUBLISH_QUEUE_URL = "PARLEY_PUBLISH_QUEUE_URL"
    SCHEDULE_GROUP = "PARLEY_SCHEDULE_GROUP"
    SCHEDULER_ROLE_ARN = "PARLEY_SCHEDULER_ROLE_ARN"
    SCHEDULER_DLQ_ARN = "PARLEY_SCHEDULER_DLQ_ARN"
    PUBLISH_FUNCTION_ARN = "PARLEY_PUBLISH_FUNCTION_ARN"
    POLL_FUNCTION_ARN = "PARLEY_POLL_FUNCTION_ARN"
    PARAMETER_PREFIX = "PARLEY_PARAMETER_PREFIX"
    PUBLIC_BASE_URL = "PARLEY_PUBLIC_BASE_URL"


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
    Table.SNAPSHOTS: Env.TABLE_SNAPSHOTS,
    Table.LINKS: Env.TABLE_LINKS,
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
)
# The variables each function is given (the CDK app sets exactly these; a test compares).
FUNCTION_ENV: dict[Function, tuple[Env, ...]] = {function: _CORE_ENV for function in Function}
# Short links: where `/l/{code}` is served (empty: links are left as they are), read at queue time.
FUNCTION_ENV[Function.API] = (*_CORE_ENV, Env.PUBLIC_BASE_URL)

PARAMETER_PREFIX = f"/{APP}"

# How the publish path keeps time (docs/publishing-on-time.md explains the numbers).
SCHEDULE_LEAD_SECONDS = 90  # a schedule fires this long before publish_at; Scheduler may be 60 s late
MAX_SQS_DELAY_SECONDS = 900
PUBLISH_TIMEOUT_SECONDS = 30  # the publish function's timeout
LEASE_SECONDS = 60  # > the publish timeout: an expired lease means its holder is gone
PUBLISH_VISIBILITY_SECONDS = 90  # > the lease: a crashed attempt's message returns after the lease expired
PUBLISH_MAX_RECEIVES = 5  # then the message goes to the failures queue and the reconciler
MAX_ATTEMPTS = 5


def physical_name(kind: Table | Queue | Function | ScheduleGroup | Topic) -> str:
    """The fixed name the local runtime uses (AWS names come from CloudFormation)."""
    return f"{APP}-{kind.value}"


def local_names(*, endpoint_url: str, account: str, region: str) -> dict[str, str]:
    """Environment for the functions when they run on this machine against the embedded AWS."""
    queue_base = f"{endpoint_url.rstrip('/')}/{account}"
    env = {TABLE_ENV[t].value: physical_name(t) for t in Table}
    env |= {
        Env.PUBLISH_QUEUE_URL.value: f"{queue_base}/{physical_name(Queue.PUBLISH)}",
        Env.SCHEDULE_GROUP.value: physical_name(ScheduleGroup.DELIVERIES),
        Env.SCHEDULER_ROLE_ARN.value: f"arn:aws:iam::{account}:role/{APP}-scheduler",
        Env.SCHEDULER_DLQ_ARN.value: f"arn:aws:sqs:{region}:{account}:{physical_name(Queue.FAILURES)}",
        Env.PUBLISH_FUNCTION_ARN.value: (
            f"arn:aws:lambda:{region}:{account}:function:{physical_name(Function.PUBLISH)}"
        ),
        Env.POLL_FUNCTION_ARN.value: f"arn:aws:lambda:{region}:{account}:function:{physical_name(Function.POLL)}",
        Env.PARAMETER_PREFIX.value: PARAMETER_PREFIX,
        Env.ALERT_TOPIC_ARN.value: f"arn:aws:sns:{region}:{account}:{physical_name(Topic.ALERTS)}",
        Env.PUBLIC_BASE_URL.value: "",  # the local runtime sets its HTTP front's URL once it listens
    }
    return env


# Wiring shared by the CDK app and the local firer.
# Queue -> the function it triggers (SQS event source mapping).
EVENT_SOURCES: dict[Queue, Function] = {
    Queue.PUBLISH: Function.PUBLISH,
    Queue.FAILURES: Function.RECONCILER,
}
# Queue -> (where its messages go after too many receives, how many receives).
REDRIVE: dict[Queue, tuple[Queue, int]] = {
    Queue.PUBLISH: (Queue.FAILURES, PUBLISH_MAX_RECEIVES),
    # More than the publish queue's: a redriven message keeps its receive count (moto does; so may AWS).
    Queue.FAILURES: (Queue.FAILURES_DLQ, PUBLISH_MAX_RECEIVES + 5),
}
# Messages per invocation. One for the publish queue: a batch is worked through in order, so a
# message behind another would go out late; separate invocations run side by side.
BATCH_SIZE: dict[Queue, int] = {
    Queue.PUBLISH: 1,
    Queue.FAILURES: 10,
}
VISIBILITY_SECONDS: dict[Queue, int] = {
    Queue.PUBLISH: PUBLISH_VISIBILITY_SECONDS,
    Queue.FAILURES: 180,
    Queue.FAILURES_DLQ: 30,
}
# Functions invoked asynchronously (by Scheduler): Lambda's retries, then this on-failure destination.
ASYNC_INVOKE: dict[Function, tuple[int, Queue]] = {
    Function.PUBLISH: (2, Queue.FAILURES),
    # A poll that failed three times: the reconciler re-arms the channel's poll (parley.listening).
    Function.POLL: (2, Queue.FAILURES),
}
# Scheduler's own retry policy for handing an event to Lambda; its dead letters go to FAILURES.
SCHEDULER_MAX_RETRIES = 10
SCHEDULER_MAX_EVENT_AGE_SECONDS = 3600

# Listening (docs/listening.md): how long a published delivery is watched, and how much one poll does.
WATCH_WINDOW_SECONDS = 7 * 24 * 3600
POLL_MAX_WATCHES_PER_RUN = 50  # more due than this: the run re-arms for right away
POLL_TIMEOUT_SECONDS = 60

# Metrics (docs/metrics.md): short links and the summary's bounds.
SHORT_LINK_PATH = "/l/"
METRICS_MAX_RANGE_DAYS = 92  # GET /metrics/summary: a longer range is refused (422)
METRICS_MAX_POSTS = 500  # posts a summary reads at most (newest first); the answer says when it stopped
