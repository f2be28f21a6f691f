"""Monitoring: the alarms that need a person, sent to one SNS topic, and one dashboard (unless the
`dashboard` context value says false: settings.wants_dashboard).

The functions emit their metrics as EMF through Powertools Metrics, which adds the dimension
`service=parley` (POWERTOOLS_SERVICE_NAME) to every metric:
- `PublishLag` (milliseconds from publish_at to the network's answer), `Published`, `PublishRetried`
  and `PublishFailed` (counts) with `service` only; the alarms use these.
- `PublishFailed` also with `service` and `reason` (a short category, not free text: every distinct
  value is a custom metric billed monthly); the dashboard finds those with a SEARCH expression.
"""

from __future__ import annotations

from aws_cdk import (
    CfnCondition,
    CfnParameter,
    Duration,
    Fn,
    aws_apigateway,
    aws_cloudwatch,
    aws_cloudwatch_actions,
    aws_lambda,
    aws_sns,
    aws_sqs,
)
from constructs import Construct

from parley.shared import names
from parley.shared.emf import CLICKS, ENGAGEMENT, PREVIEWS

PERIOD = Duration.minutes(5)
SERVICE_DIMENSIONS = {"service": names.APP}
PUBLISH_LAG = "PublishLag"
PUBLISHED = "Published"
PUBLISH_FAILED = "PublishFailed"
PUBLISH_RETRIED = "PublishRetried"
CHANNEL_NEEDS_REAUTH = "ChannelNeedsReauth"
FAILURE_REASON_DIMENSION = "reason"
LATE_PUBLISH_P99_MS = 5000
# The reconciler drains the failures queue within seconds; messages left this long need a person.
FAILURES_STUCK_PERIODS = 3


def parley_metric(name: str, statistic: str, label: str | None = None) -> aws_cloudwatch.Metric:
    return aws_cloudwatch.Metric(
        namespace=names.METRICS_NAMESPACE,
        metric_name=name,
        dimensions_map=SERVICE_DIMENSIONS,
        statistic=statistic,
        period=PERIOD,
        label=label,
    )


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        alarm_email: CfnParameter,
        functions: dict[names.Function, aws_lambda.Function],
        queues: dict[names.Queue, aws_sqs.Queue],
        rest_api: aws_apigateway.RestApi,
        dashboard: bool = True,
    ) -> None:
        super().__init__(scope, construct_id)

        # Not encrypted at rest: CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed
        # aws/sns key, a customer-managed key costs a monthly fee, and notifications carry only alarm
        # names and states. Publishing requires TLS.
        self.topic = aws_sns.Topic(self, "Alarms", display_name="parley alarms", enforce_ssl=True)
        has_email = CfnCondition(
            self, "HasAlarmEmail", expression=Fn.condition_not(Fn.condition_equals(alarm_email.value_as_string, ""))
        )
        subscription = aws_sns.CfnSubscription(
            self,
            "AlarmEmailSubscription",
            topic_arn=self.topic.topic_arn,
            protocol="email",
            endpoint=alarm_email.value_as_string,
        )
        subscription.cfn_options.condition = has_email

        publish_queue = queues[names.Queue.PUBLISH]
        failures = queues[names.Queue.FAILURES]
        failures_dlq = queues[names.Queue.FAILURES_DLQ]

        # Alarms take metrics without labels, so the template names the metric itself.
        self.alarms = [
            parley_metric(PUBLISH_FAILED, "Sum").create_alarm(
                self,
                "PublishFailedAlarm",
                alarm_description="A delivery failed permanently: its reason is on the dashboard and in the"
                " publish function's logs.",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            parley_metric(CHANNEL_NEEDS_REAUTH, "Sum").create_alarm(
                self,
                "ChannelNeedsReauthAlarm",
                alarm_description="A network refused a channel's credentials: reconnect it (POST /channels with"
                " a new credential); its due deliveries fail until then.",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            parley_metric(PUBLISH_LAG, "p99").create_alarm(
                self,
                "LatePublishingAlarm",
                alarm_description=f"Posts went out more than {LATE_PUBLISH_P99_MS} ms after their time (p99).",
                threshold=LATE_PUBLISH_P99_MS,
                evaluation_periods=1,
                comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            failures.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Minimum").create_alarm(
                self,
                "FailuresQueueStuckAlarm",
                alarm_description="The failures queue has not been empty for 15 minutes: the reconciler is"
                " not settling deliveries.",
                threshold=1,
                evaluation_periods=FAILURES_STUCK_PERIODS,
                comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            failures_dlq.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum").create_alarm(
                self,
                "FailuresDeadLetterAlarm",
                alarm_description="The reconciler could not settle a delivery: read the message in the"
                " failures dead-letter queue.",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            rest_api.metric_server_error(period=PERIOD, statistic="Sum").create_alarm(
                self,
                "ApiServerErrorAlarm",
                alarm_description="The API answered 5xx, which is always a bug.",
                threshold=1,
                evaluation_periods=1,
                comparison_operator=aws_cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=aws_cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
        ]
        action = aws_cloudwatch_actions.SnsAction(self.topic)
        for alarm in self.alarms:
            alarm.add_alarm_action(action)

        # The dashboard only shows (everything on it stays in CloudWatch's metrics either way); an account's
        # first 3 are free, so it is made unless `-c dashboard=false` says otherwise (settings.wants_dashboard).
        self.dashboard: aws_cloudwatch.Dashboard | None = None
        if dashboard:
            self._add_dashboard(functions, queues, rest_api, publish_queue, failures)

    def _add_dashboard(
        self,
        functions: dict[names.Function, aws_lambda.Function],
        queues: dict[names.Queue, aws_sqs.Queue],
        rest_api: aws_apigateway.RestApi,
        publish_queue: aws_sqs.Queue,
        failures: aws_sqs.Queue,
    ) -> None:
        self.dashboard = aws_cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.days(1))
        fns = list(functions.items())
        self.dashboard.add_widgets(
            aws_cloudwatch.GraphWidget(
                title="Publish lag (ms)",
                left=[
                    parley_metric(PUBLISH_LAG, "p50", "p50"),
                    parley_metric(PUBLISH_LAG, "p99", "p99"),
                    parley_metric(PUBLISH_LAG, "Maximum", "max"),
                ],
                left_annotations=[
                    aws_cloudwatch.HorizontalAnnotation(value=LATE_PUBLISH_P99_MS, label="late (p99 alarm)")
                ],
                width=8,
            ),
            aws_cloudwatch.GraphWidget(
                title="Published, retried and failed",
                left=[
                    parley_metric(PUBLISHED, "Sum", "published"),
                    parley_metric(PUBLISH_RETRIED, "Sum", "retried"),
                    parley_metric(PUBLISH_FAILED, "Sum", "failed"),
                ],
                width=8,
            ),
            aws_cloudwatch.GraphWidget(
                title="Failed by reason",
                left=[
                    aws_cloudwatch.MathExpression(
                        expression=(
                            f"SEARCH('{{{names.METRICS_NAMESPACE},{FAILURE_REASON_DIMENSION},service}}"
                            f" MetricName=\"{PUBLISH_FAILED}\"', 'Sum', {int(PERIOD.to_seconds())})"
                        ),
                        label="",
                        period=PERIOD,
                    )
                ],
                width=8,
            ),
        )
        self.dashboard.add_widgets(
            aws_cloudwatch.GraphWidget(
                title="Queue depth (visible messages)",
                left=[
                    queue.metric_approximate_number_of_messages_visible(
                        period=PERIOD, statistic="Maximum", label=name.value
                    )
                    for name, queue in queues.items()
                ],
                width=12,
            ),
            aws_cloudwatch.GraphWidget(
                title="Oldest message age (s)",
                left=[
                    queue.metric_approximate_age_of_oldest_message(period=PERIOD, statistic="Maximum", label=name.value)
                    for name, queue in ((names.Queue.PUBLISH, publish_queue), (names.Queue.FAILURES, failures))
                ],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            aws_cloudwatch.GraphWidget(
                title="API requests and errors",
                left=[
                    rest_api.metric_count(period=PERIOD, statistic="Sum", label="requests"),
                    rest_api.metric_client_error(period=PERIOD, statistic="Sum", label="4xx"),
                    rest_api.metric_server_error(period=PERIOD, statistic="Sum", label="5xx"),
                ],
                width=12,
            ),
            aws_cloudwatch.GraphWidget(
                title="API latency (ms)",
                left=[
                    rest_api.metric_latency(period=PERIOD, statistic="p50", label="p50"),
                    rest_api.metric_latency(period=PERIOD, statistic="p99", label="p99"),
                ],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            aws_cloudwatch.GraphWidget(
                title="Function errors",
                left=[fn.metric_errors(period=PERIOD, statistic="Sum", label=name.value) for name, fn in fns],
                width=8,
            ),
            aws_cloudwatch.GraphWidget(
                title="Function throttles",
                left=[fn.metric_throttles(period=PERIOD, statistic="Sum", label=name.value) for name, fn in fns],
                width=8,
            ),
            aws_cloudwatch.GraphWidget(
                title="Function duration p99 (ms)",
                left=[fn.metric_duration(period=PERIOD, statistic="p99", label=name.value) for name, fn in fns],
                width=8,
            ),
        )
        self.dashboard.add_widgets(aws_cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24))
        self._add_engagement_widgets()

    def _add_engagement_widgets(self) -> None:
        """What the posts earn (parley.shared.emf): engagement seen by polls, clicks through short links
        and link previews, each by network (a bounded dimension, found with SEARCH)."""
        assert self.dashboard is not None

        def by_network(metric: str) -> aws_cloudwatch.MathExpression:
            return aws_cloudwatch.MathExpression(
                expression=(
                    f"SEARCH('{{{names.METRICS_NAMESPACE},network,service}} MetricName=\"{metric}\"',"
                    f" 'Sum', {int(PERIOD.to_seconds())})"
                ),
                label="",
                period=PERIOD,
            )

        self.dashboard.add_widgets(
            aws_cloudwatch.GraphWidget(
                title="Engagement by network (new likes, reposts, replies, quotes)",
                left=[by_network(ENGAGEMENT)],
                width=8,
            ),
            aws_cloudwatch.GraphWidget(
                title="Short-link clicks by network (people)", left=[by_network(CLICKS)], width=8
            ),
            aws_cloudwatch.GraphWidget(
                title="Link previews by network (crawlers)", left=[by_network(PREVIEWS)], width=8
            ),
        )
