"""Listening alerts: the SNS topic a poll publishes to when mentions or the negative share spike
(parley.listening.alerts). Subscribers (e-mail, chat) are the team's to add."""

from __future__ import annotations

from aws_cdk import aws_iam, aws_sns
from constructs import Construct


class Alerts(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        # Like the alarms topic, not encrypted at rest: an alert carries counts, thresholds and delivery
        # ids, never the text of a reply, and a customer-managed key costs a monthly fee. TLS is required.
        self.topic = aws_sns.Topic(self, "Topic", display_name="parley listening alerts", enforce_ssl=True)

    def grant_publish(self, grantee: aws_iam.IGrantable) -> None:
        self.topic.grant_publish(grantee)
