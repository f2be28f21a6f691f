"""Scheduling: the deliveries schedule group, the role Scheduler assumes, and the queues of the
second-precise publish path (names.Queue, wired by names.REDRIVE and names.VISIBILITY_SECONDS).

Schedules themselves are created at run time by `parley.scheduling`, one per delivery, with
names.SCHEDULER_MAX_RETRIES / SCHEDULER_MAX_EVENT_AGE_SECONDS and the failures queue as dead-letter
queue; this construct gives them a group, a role and that queue.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack, Validations, aws_iam, aws_scheduler, aws_sqs
from constructs import Construct

from infra.parley_cdk.nag import acknowledge, nag_arn
from parley.shared import names

SCHEDULER_PRINCIPAL = "scheduler.amazonaws.com"


def _creation_order() -> list[names.Queue]:
    """Dead-letter queues before the queues that redrive into them."""
    ordered: list[names.Queue] = []

    def visit(queue: names.Queue) -> None:
        if queue in ordered:
            return
        if queue in names.REDRIVE:
            visit(names.REDRIVE[queue][0])
        ordered.append(queue)

    for queue in names.Queue:
        visit(queue)
    return ordered


class Scheduling(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        publish_function_arn: str,
        poll_function_arn: str,
        tokens_function_arn: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)

        self.queues: dict[names.Queue, aws_sqs.Queue] = {}
        for queue in _creation_order():
            redrive = names.REDRIVE.get(queue)
            self.queues[queue] = aws_sqs.Queue(
                self,
                "".join(part.capitalize() for part in queue.value.split("-")) + "Queue",
                encryption=aws_sqs.QueueEncryption.SQS_MANAGED,
                enforce_ssl=True,
                visibility_timeout=Duration.seconds(names.VISIBILITY_SECONDS[queue]),
                retention_period=Duration.days(14),
                dead_letter_queue=(
                    aws_sqs.DeadLetterQueue(queue=self.queues[redrive[0]], max_receive_count=redrive[1])
                    if redrive
                    else None
                ),
            )
        self.dead_letter_queue = self.queues[names.Queue.FAILURES]

        # Deleting the group (with the stack) deletes the schedules in it.
        self.group_name = f"{stack.stack_name}-{names.ScheduleGroup.DELIVERIES.value}"
        self.group = aws_scheduler.ScheduleGroup(
            self, "Deliveries", schedule_group_name=self.group_name, removal_policy=RemovalPolicy.DESTROY
        )

        self.role = aws_iam.Role(
            self,
            "SchedulerRole",
            description="Assumed by EventBridge Scheduler for parley's delivery schedules",
            assumed_by=aws_iam.ServicePrincipal(
                SCHEDULER_PRINCIPAL,
                conditions={
                    "StringEquals": {
                        "aws:SourceAccount": Aws.ACCOUNT_ID,
                        "aws:SourceArn": self.group.schedule_group_arn,
                    }
                },
            ),
        )
        # Only parley's publish, poll and tokens functions, unqualified, as the schedules name them.
        targets = [publish_function_arn, poll_function_arn, *([tokens_function_arn] if tokens_function_arn else [])]
        self.role.add_to_policy(aws_iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=targets))
        self.dead_letter_queue.grant_send_messages(self.role)

    @property
    def schedules_arn(self) -> str:
        """Every schedule in the deliveries group (created at run time, so only a pattern can name them)."""
        return f"arn:{Aws.PARTITION}:scheduler:{Aws.REGION}:{Aws.ACCOUNT_ID}:schedule/{self.group_name}/*"

    def grant_manage_schedules(self, grantee: aws_iam.Role) -> None:
        """Create, update, read and delete schedules in the group, handing them the scheduler role."""
        grantee.add_to_principal_policy(
            aws_iam.PolicyStatement(
                actions=[
                    "scheduler:CreateSchedule",
                    "scheduler:UpdateSchedule",
                    "scheduler:GetSchedule",
                    "scheduler:DeleteSchedule",
                ],
                resources=[self.schedules_arn],
            )
        )
        acknowledge(
            Validations.of(grantee),
            {
                f"AwsSolutions-IAM5[Resource::{nag_arn(self.schedules_arn)}]": "Delivery, poll and"
                " token refresh schedules are created at run time (one per delivery, one per watched or"
                " expiring channel), so only a"
                " pattern inside parley's own schedule group can name them."
            },
        )
        grantee.add_to_principal_policy(
            aws_iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SCHEDULER_PRINCIPAL}},
            )
        )
