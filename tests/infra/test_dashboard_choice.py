"""The dashboard is a deploy-time choice (`-c dashboard=false`, docs/deploy.md "What it costs at rest"): left
out, it takes nothing else with it. Built in a stack of its own (no layer, no synth of the whole app)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App, CfnParameter, Stack, aws_apigateway, aws_lambda, aws_sqs
from aws_cdk.assertions import Template

from infra.parley_cdk import settings
from infra.parley_cdk.monitoring import Monitoring
from parley.shared import names


def monitoring_template(*, dashboard: bool) -> dict[str, Any]:
    stack = Stack(App(), "Monitored")
    email = CfnParameter(stack, "AlarmEmail", type="String", default="")
    functions = {
        fn: aws_lambda.Function(
            stack,
            f"{fn.value}-function",
            code=aws_lambda.Code.from_inline("def handler(event, context):\n    return None\n"),
            handler="index.handler",
            runtime=settings.RUNTIME,
        )
        for fn in names.Function
    }
    queues = {queue: aws_sqs.Queue(stack, f"{queue.value}-queue") for queue in names.Queue}
    api = aws_apigateway.RestApi(stack, "Api")
    api.root.add_method("GET", aws_apigateway.MockIntegration())
    Monitoring(
        stack, "Monitoring", alarm_email=email, functions=functions, queues=queues, rest_api=api, dashboard=dashboard
    )
    return dict(Template.from_stack(stack).to_json())


def of_type(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def test_without_the_dashboard_every_alarm_still_notifies_the_topic() -> None:
    with_it, without = monitoring_template(dashboard=True), monitoring_template(dashboard=False)
    assert len(of_type(with_it, "AWS::CloudWatch::Dashboard")) == 1
    assert of_type(without, "AWS::CloudWatch::Dashboard") == {}
    alarms = of_type(without, "AWS::CloudWatch::Alarm")
    assert alarms.keys() == of_type(with_it, "AWS::CloudWatch::Alarm").keys() and len(alarms) == 6
    (topic,) = of_type(without, "AWS::SNS::Topic")
    assert all(alarm["Properties"]["AlarmActions"] == [{"Ref": topic}] for alarm in alarms.values())


@pytest.mark.parametrize(
    ("value", "wanted"),
    [(None, True), (True, True), ("true", True), ("yes", True), (False, False), ("false", False), ("off", False)],
)
def test_the_dashboard_context_value(value: object, wanted: bool) -> None:
    assert settings.wants_dashboard(value) is wanted


def test_a_dashboard_context_value_that_is_neither_true_nor_false_is_refused() -> None:
    with pytest.raises(ValueError, match="dashboard"):
        settings.wants_dashboard("sometimes")
