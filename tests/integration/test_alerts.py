"""Listening alerts against moto (DynamoDB, SNS, Scheduler) and a webhook on loopback: a spike is
alerted once, holds the workspace's queued posts when asked to, and resuming releases them."""

from __future__ import annotations

import json
from typing import Any

from parley.listening import alerts
from parley.scheduling.wiring import arming
from parley.shared import aws as parley_aws
from parley.shared import clock
from parley.shared.config import get_settings
from tests.integration.test_api_posts import Workspace, draft, make_workspace


def _subscribed_queue() -> str:
    sqs, sns = parley_aws.client("sqs"), parley_aws.client("sns")
    url = sqs.create_queue(QueueName="alerts-listener")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=get_settings().alert_topic_arn, Protocol="sqs", Endpoint=arn)
    return str(url)


def test_alert_settings_are_validated_and_only_admins_change_them(aws: str) -> None:
    ws = make_workspace("Alerts")
    assert ws.viewer.call("GET", "/workspace/alerts").body["auto_hold"] is False
    assert ws.editor.call("PUT", "/workspace/alerts", {"k": 2}).status == 403
    assert ws.admin.call("PUT", "/workspace/alerts", {"k": -1}).status == 422
    assert ws.admin.call("PUT", "/workspace/alerts", {"webhook_url": "not a url"}).status == 422
    assert ws.admin.call("PUT", "/workspace/alerts", {"k": 2, "auto_hold": True}).body["k"] == 2


def test_the_alert_webhook_is_a_secret_shown_masked_and_only_a_public_address_is_taken(aws: str) -> None:
    ws = make_workspace("Alerts")
    for url in ("http://127.0.0.1:9001/2018-06-01/runtime", "http://169.254.169.254/latest/meta-data/"):
        refused = ws.admin.call("PUT", "/workspace/alerts", {"webhook_url": url})
        assert refused.status == 422 and refused.body["errors"][0]["field"] == "webhook_url", refused.body
    secret = "https://93.184.215.14/services/T000/B000/EXAMPLEsecretToken"
    saved = ws.admin.call("PUT", "/workspace/alerts", {"webhook_url": secret, "k": 2})
    assert saved.status == 200 and "EXAMPLEsecret" not in saved.body["webhook_url"]
    shown = ws.viewer.call("GET", "/workspace/alerts").body["webhook_url"]
    assert shown.startswith("https://93.184.215.14/") and "EXAMPLEsecret" not in shown
    # sending back what was shown keeps the URL it stands for
    assert ws.admin.call("PUT", "/workspace/alerts", {"webhook_url": shown, "k": 4}).status == 200
    assert alerts.settings_of(ws.id).webhook_url == secret and alerts.settings_of(ws.id).k == 4


def test_a_mention_spike_alerts_once_holds_queued_posts_and_resume_releases_them(
    aws: str, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    ws: Workspace = make_workspace("Spike")
    queue = _subscribed_queue()
    settings = {"k": 3, "min_items": 5, "webhook_url": url, "auto_hold": True}
    assert ws.admin.call("PUT", "/workspace/alerts", settings).status == 200
    post = ws.editor.call("POST", "/posts", draft(ws)).body
    now = clock.now()
    for _ in range(8):
        alerts.count(ws.id, now, mention=True, negative=False)

    raised = alerts.check(ws.id, now, arming())
    assert [a.kind for a in raised] == [alerts.MENTIONS]
    assert alerts.check(ws.id, now, arming()) == []  # once per hour, however many polls follow
    assert len(received) == 1 and "held" in received[0]["text"]
    (message,) = parley_aws.client("sqs").receive_message(QueueUrl=queue, WaitTimeSeconds=1)["Messages"]
    assert json.loads(json.loads(message["Body"])["Message"])["kind"] == alerts.MENTIONS
    assert ws.admin.call("GET", f"/posts/{post['id']}").body["deliveries"][0]["state"] == "held"

    assert ws.editor.call("POST", "/workspace/resume").status == 200
    assert ws.admin.call("GET", f"/posts/{post['id']}").body["deliveries"][0]["state"] == "scheduled"
