"""One Lambda function per names.Function (one folder under `functions/`): its own role with only what it
needs, its own log group with retention, the core layer, arm64 and the newest Python runtime, the SQS
event sources of names.EVENT_SOURCES and the async retry settings of names.ASYNC_INVOKE.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from aws_cdk import (
    Aws,
    Duration,
    RemovalPolicy,
    Stack,
    Validations,
    aws_iam,
    aws_lambda,
    aws_lambda_destinations,
    aws_logs,
)
from aws_cdk import aws_lambda_event_sources as event_sources
from constructs import Construct

from infra.parley_cdk import settings
from infra.parley_cdk.alerts import Alerts
from infra.parley_cdk.api import STAGE_NAME
from infra.parley_cdk.cursor_key import CursorKey
from infra.parley_cdk.data import Data
from infra.parley_cdk.media import Media
from infra.parley_cdk.nag import acknowledge, nag_arn
from infra.parley_cdk.scheduling import Scheduling
from parley.shared import names


class Access(Enum):
    READ = "read"
    READ_WRITE = "read_write"


@dataclass(frozen=True)
class Exactly:
    """Exactly these actions on a table: `item` on the table itself, `index` on its indexes (for a function
    whose every call there is known, where READ or READ_WRITE would give it more)."""

    item: tuple[str, ...]
    index: tuple[str, ...] = ()


# Item-level actions only: no Scan (no path may scan: DESIGN.md), no streams, no table management.
# Transactions need no actions of their own: each item in one is checked against these.
READ_ACTIONS = (
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
)
WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")


_PUBLISHING_TABLES: dict[names.Table, Access | Exactly] = {
    names.Table.WORKSPACES: Access.READ,
    names.Table.CHANNELS: Access.READ_WRITE,  # rate-limit state, needs_reauth
    names.Table.POSTS: Access.READ_WRITE,
    names.Table.DELIVERIES: Access.READ_WRITE,
    names.Table.WATCHES: Access.READ_WRITE,  # a published delivery starts being watched
    names.Table.MEDIA: Access.READ_WRITE,  # images to send; retired when the delivery ends
    # Bluesky shows a short link's original as its text; a series' next occurrence (parley.publishing.series),
    # made when the last one ends, gets short links of its own
    names.Table.LINKS: Access.READ_WRITE,
    names.Table.CAMPAIGNS: Access.READ,  # ... tagged with its campaign's preset
    names.Table.QUEUE: Access.READ_WRITE,  # ... and an evergreen post takes the next free slot
}

# The API's calls on the tokens table (parley.team.tokens): the check of every request reads a token by its
# hash and stamps `last_used_at` at most once a minute; issuing puts a new one; listing, finding by id and
# revoking query the two indexes and update `revoked_at`. Tokens are never deleted (a revoked one is kept).
# Members' calendar feed tokens are kept in the same table (parley.store.feed_models): read by key, put, and
# revoked with an update, in transactions of these same actions.
API_TOKEN_ACCESS = Exactly(
    item=("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"), index=("dynamodb:Query",)
)

_API_TABLES: dict[names.Table, Access | Exactly] = {
    **dict.fromkeys(names.Table, Access.READ_WRITE),
    names.Table.TOKENS: API_TOKEN_ACCESS,
    names.Table.SNAPSHOTS: Access.READ,  # engagement curves and summaries; the poll function writes them
    # Campaign presets: set and listed through the API, read when a post is queued or edited (short links).
    # No other function touches them.
    names.Table.CAMPAIGNS: Access.READ_WRITE,
}
del _API_TABLES[names.Table.ACTIVITY]  # the hourly listening counts are the poll function's (parley.listening.alerts)

# Which tables each function may touch, and how (everything else is denied by omission).
TABLE_ACCESS: dict[names.Function, dict[names.Table, Access | Exactly]] = {
    names.Function.API: _API_TABLES,
    names.Function.PUBLISH: _PUBLISHING_TABLES,
    names.Function.RECONCILER: _PUBLISHING_TABLES | {names.Table.WATCHES: Access.READ_WRITE},  # re-arms polls
    names.Function.POLL: {
        names.Table.WORKSPACES: Access.READ,  # alert settings
        names.Table.CHANNELS: Access.READ,
        names.Table.DELIVERIES: Access.READ_WRITE,  # auto-hold
        names.Table.WATCHES: Access.READ_WRITE,
        names.Table.INBOX: Access.READ_WRITE,
        names.Table.ACTIVITY: Access.READ_WRITE,
        names.Table.SNAPSHOTS: Access.READ_WRITE,  # engagement curves
    },
    names.Function.TOKENS: {
        names.Table.CHANNELS: Access.READ_WRITE,  # needs_reauth when X refuses the refresh token
    },
    names.Function.MEDIA_CHECK: {names.Table.MEDIA: Access.READ_WRITE},
    # Public: counts a click and reads its target in one conditional UpdateItem (ReturnValues), then adds it to
    # its delivery's tally and to the link's hour with two more, in the links table only (parley.links.clicks):
    # no reads, no indexes.
    names.Function.REDIRECT: {names.Table.LINKS: Exactly(item=("dynamodb:UpdateItem",))},
    # Sends each event to its endpoint; keeps the log and the endpoint's health (parley.webhooks.sending).
    names.Function.WEBHOOKS: {
        names.Table.WEBHOOKS: Access.READ_WRITE,
        names.Table.WEBHOOK_DELIVERIES: Access.READ_WRITE,
    },
}
# Functions whose work tells webhooks (they read the endpoints, log the event, queue it).
EMITTING = frozenset(
    {names.Function.API, names.Function.PUBLISH, names.Function.RECONCILER, names.Function.POLL, names.Function.TOKENS}
)
for _emitter in EMITTING:
    TABLE_ACCESS[_emitter] = TABLE_ACCESS[_emitter] | {
        names.Table.WEBHOOKS: TABLE_ACCESS[_emitter].get(names.Table.WEBHOOKS, Access.READ),
        names.Table.WEBHOOK_DELIVERIES: Access.READ_WRITE,
    }

# Functions whose role is another's: the web app does everything the API does, through the same core calls
# (its sessions are records in the tokens table, read, put and revoked like the API's tokens and feed tokens),
# so it gets the API's tables, parameters, queues, schedules and media objects: the same entries, not a copy.
SAME_ROLE_AS: dict[names.Function, names.Function] = {names.Function.WEB: names.Function.API}
for _function, _model in SAME_ROLE_AS.items():
    TABLE_ACCESS[_function] = TABLE_ACCESS[_model]
EMITTING |= {fn for fn, model in SAME_ROLE_AS.items() if model in EMITTING}


class Parameters(Enum):
    """The SSM parameters under names.PARAMETER_PREFIX, by what they hold (each value is the path pattern after
    the prefix). The parameters are SecureStrings under the AWS-managed key aws/ssm, whose key policy lets any
    principal of the account use it through SSM: no KMS statement is needed."""

    # parley's own app on each network, client secrets included (parley.connect.apps, x_app): written only
    # by `parley admin set-app`, with the operator's own AWS credentials; the functions only read them.
    APPS = "apps/*"
    # Each channel's credential and login session (parley.connect.credentials: workspaces/<ws>/channels/...).
    CHANNELS = "workspaces/*/channels/*"
    # Each webhook endpoint's signing secret (parley.webhooks.endpoints: workspaces/<ws>/webhooks/<id>).
    WEBHOOK_SECRETS = "workspaces/*/webhooks/*"


GET = "ssm:GetParameter"
PUT = "ssm:PutParameter"
DELETE = "ssm:DeleteParameter"

_CHANNEL_USERS: dict[Parameters, tuple[str, ...]] = {
    Parameters.APPS: (GET,),  # renewing a token takes parley's app on the network
    Parameters.CHANNELS: (GET, PUT),  # the credential, its session and renewed tokens
}
# SSM actions on each kind of parameter (none elsewhere, and none at all on what is not listed).
PARAMETER_ACTIONS: dict[names.Function, dict[Parameters, tuple[str, ...]]] = {
    names.Function.API: {
        Parameters.APPS: (GET,),  # connecting an account takes parley's app; never written here
        Parameters.CHANNELS: (GET, PUT, DELETE),  # connect, change, disconnect a channel
        Parameters.WEBHOOK_SECRETS: (PUT, DELETE),  # made when an endpoint is registered, gone with it
    },
    names.Function.PUBLISH: _CHANNEL_USERS,
    names.Function.RECONCILER: _CHANNEL_USERS,
    names.Function.POLL: _CHANNEL_USERS,
    names.Function.TOKENS: _CHANNEL_USERS,  # parley's apps; the rotated tokens
    names.Function.MEDIA_CHECK: {},  # no credentials
    names.Function.REDIRECT: {},  # no credentials, no queues, no schedules: it only follows links
    names.Function.WEBHOOKS: {Parameters.WEBHOOK_SECRETS: (GET,)},  # the endpoints' signing secrets
}
for _function, _model in SAME_ROLE_AS.items():
    PARAMETER_ACTIONS[_function] = PARAMETER_ACTIONS[_model]

# Why a pattern names each kind of parameter (cdk-nag's AwsSolutions-IAM5, one sentence each).
_PARAMETER_REASONS: dict[Parameters, str] = {
    Parameters.APPS: "parley's apps on the networks are SSM parameters set by the operator's `parley admin set-app`"
    " under {prefix}/apps/ (one per network), which the functions only read.",
    Parameters.CHANNELS: "Channel credentials and sessions are SSM parameters created at run time under"
    " {prefix}/workspaces/<workspace id>/channels/, so only that pattern can name them.",
    Parameters.WEBHOOK_SECRETS: "Webhook signing secrets are SSM parameters created at run time, one per endpoint"
    " under {prefix}/workspaces/<workspace id>/webhooks/, so only that pattern can name them.",
}


def parameter_arn(parameters: Parameters) -> str:
    return f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter{names.PARAMETER_PREFIX}/{parameters.value}"


# Functions that queue, arm or publish (not the public redirect, nor the media check).
PUBLISHING = frozenset(names.Function) - {names.Function.REDIRECT, names.Function.MEDIA_CHECK, names.Function.WEBHOOKS}

# Functions that may raise a listening alert.
ALERTING = frozenset({names.Function.POLL})

# Lambda's async invocations (from Scheduler) older than this go to the on-failure destination.
ASYNC_MAX_EVENT_AGE = Duration.seconds(names.SCHEDULER_MAX_EVENT_AGE_SECONDS)


def _table_statements(data: Data, table: names.Table, access: Access | Exactly) -> list[aws_iam.PolicyStatement]:
    if isinstance(access, Exactly):
        arns = data.arns(table)
        statements = [aws_iam.PolicyStatement(actions=list(access.item), resources=arns[:1])]
        if access.index and arns[1:]:
            statements.append(aws_iam.PolicyStatement(actions=list(access.index), resources=arns[1:]))
        return statements
    actions = [*READ_ACTIONS, *(WRITE_ACTIONS if access is Access.READ_WRITE else ())]
    return [aws_iam.PolicyStatement(actions=actions, resources=data.arns(table))]


def function_name(stack: Stack, function: names.Function) -> str:
    """A fixed physical name, so the publish function's ARN is known before it exists (it is in its own
    environment and in the scheduler role's policy)."""
    return f"{stack.stack_name}-{function.value}"


def function_arn(stack: Stack, function: names.Function) -> str:
    return f"arn:{Aws.PARTITION}:lambda:{Aws.REGION}:{Aws.ACCOUNT_ID}:function:{function_name(stack, function)}"


def environment(
    data: Data,
    scheduling: Scheduling,
    stack: Stack,
    alerts: Alerts,
    media: Media | None = None,
    cursor_key: CursorKey | None = None,
) -> dict[names.Env, str]:
    """The value of every names.Env variable on AWS."""
    values: dict[names.Env, str] = {
        names.TABLE_ENV[table]: resource.table_name for table, resource in data.tables.items()
    }
    values |= {
        names.Env.PUBLISH_QUEUE_URL: scheduling.queues[names.Queue.PUBLISH].queue_url,
        names.Env.WEBHOOK_QUEUE_URL: scheduling.queues[names.Queue.WEBHOOKS].queue_url,
        names.Env.SCHEDULE_GROUP: scheduling.group.schedule_group_name,
        names.Env.SCHEDULER_ROLE_ARN: scheduling.role.role_arn,
        names.Env.SCHEDULER_DLQ_ARN: scheduling.dead_letter_queue.queue_arn,
        names.Env.PUBLISH_FUNCTION_ARN: function_arn(stack, names.Function.PUBLISH),
        names.Env.POLL_FUNCTION_ARN: function_arn(stack, names.Function.POLL),
        names.Env.PARAMETER_PREFIX: names.PARAMETER_PREFIX,
        names.Env.ALERT_TOPIC_ARN: alerts.topic.topic_arn,
        names.Env.TOKENS_FUNCTION_ARN: function_arn(stack, names.Function.TOKENS),
    }
    if media is not None:
        values[names.Env.MEDIA_BUCKET] = media.bucket.bucket_name
    if cursor_key is not None:
        values[names.Env.CURSOR_KEY_PARAMETER] = cursor_key.parameter_name
    return values


def public_base_url(rest_api_id: str) -> str:
    """The API's own URL, built from its id (the stage's URL would make the API function depend on the
    stage, which depends on the function): where the X connect callback is."""
    return f"https://{rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{STAGE_NAME}"


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        scheduling: Scheduling,
        alerts: Alerts,
        layer: aws_lambda.ILayerVersion,
        media: Media | None = None,
        cursor_key: CursorKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        values = environment(data, scheduling, stack, alerts, media, cursor_key)

        self.functions: dict[names.Function, aws_lambda.Function] = {}
        self.log_groups: dict[names.Function, aws_logs.LogGroup] = {}
        for function in names.Function:
            config = settings.FUNCTIONS[function]
            construct_name = function.value.capitalize()
            log_group = aws_logs.LogGroup(
                self,
                f"{construct_name}Logs",
                retention=settings.LOG_RETENTION,
                removal_policy=RemovalPolicy.DESTROY,
            )
            role = aws_iam.Role(
                self,
                f"{construct_name}Role",
                assumed_by=aws_iam.ServicePrincipal("lambda.amazonaws.com"),
                description=f"parley's {function.value} function",
            )
            log_group.grant_write(role)

            async_invoke = names.ASYNC_INVOKE.get(function)
            fn = aws_lambda.Function(
                self,
                construct_name,
                function_name=function_name(stack, function),
                description=config.description,
                code=aws_lambda.Code.from_asset(
                    str(settings.FUNCTIONS_DIR / function.value), exclude=["__pycache__", "*.pyc"]
                ),
                handler=settings.HANDLER,
                runtime=settings.RUNTIME,
                architecture=settings.ARCHITECTURE,
                memory_size=config.memory_mb,
                timeout=config.timeout,
                layers=[layer],
                role=role,
                log_group=log_group,
                logging_format=settings.LOGGING_FORMAT,
                tracing=settings.TRACING,
                environment={
                    # names.Env.PUBLIC_BASE_URL comes later, from the API (set_public_base_url).
                    **{env.value: values[env] for env in names.FUNCTION_ENV[function] if env in values},
                    **settings.powertools_env(),
                },
                retry_attempts=async_invoke[0] if async_invoke else None,
                on_failure=(
                    aws_lambda_destinations.SqsDestination(scheduling.queues[async_invoke[1]]) if async_invoke else None
                ),
                max_event_age=ASYNC_MAX_EVENT_AGE if async_invoke else None,
            )

            for table, access in TABLE_ACCESS[function].items():
                for statement in _table_statements(data, table, access):
                    role.add_to_policy(statement)
            for parameters, actions in PARAMETER_ACTIONS[function].items():
                role.add_to_policy(
                    aws_iam.PolicyStatement(actions=list(actions), resources=[parameter_arn(parameters)])
                )
            if function in PUBLISHING:
                scheduling.queues[names.Queue.PUBLISH].grant_send_messages(role)
                scheduling.grant_manage_schedules(role)
            if function in EMITTING:
                scheduling.queues[names.Queue.WEBHOOKS].grant_send_messages(role)
            if function == names.Function.WEBHOOKS:  # a failed send waits as its message's visibility timeout
                scheduling.queues[names.Queue.WEBHOOKS].grant(role, "sqs:ChangeMessageVisibility")
            if function in ALERTING:
                alerts.grant_publish(role)
            if media is not None:
                media.grant(SAME_ROLE_AS.get(function, function), role)
            if cursor_key is not None:
                cursor_key.grant(function, role)
            acknowledge(
                Validations.of(role),
                {
                    f"AwsSolutions-IAM5[Resource::{nag_arn(parameter_arn(parameters))}]": _PARAMETER_REASONS[
                        parameters
                    ].format(prefix=names.PARAMETER_PREFIX)
                    for parameters in PARAMETER_ACTIONS[function]
                },
            )

            self.functions[function] = fn
            self.log_groups[function] = log_group

        self._add_event_sources(scheduling)

    def set_public_base_url(self, url: str) -> None:
        for function, fn in self.functions.items():
            if names.Env.PUBLIC_BASE_URL in names.FUNCTION_ENV[function]:
                fn.add_environment(names.Env.PUBLIC_BASE_URL.value, url)

    def _add_event_sources(self, scheduling: Scheduling) -> None:
        for queue, function in names.EVENT_SOURCES.items():
            self.functions[function].add_event_source(
                event_sources.SqsEventSource(
                    scheduling.queues[queue],
                    batch_size=names.BATCH_SIZE[queue],
                    max_batching_window=Duration.seconds(0),
                    report_batch_item_failures=True,
                )
            )
