"""The metrics constructs: the public short-link route, the redirect function's narrow role, the tables
and the dashboard's engagement and clicks widgets."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Template

from parley.shared import names
from tests.infra.test_stack import as_list, function_ids, resources, role_of_policy, statements, table_ids


def test_get_l_code_is_public_and_goes_to_the_redirect_function(template: Template) -> None:
    fns = function_ids(template)
    (code_id,) = resources(template, "AWS::ApiGateway::Resource", {"PathPart": "{code}"})
    (method,) = [
        m["Properties"]
        for m in resources(template, "AWS::ApiGateway::Method").values()
        if m["Properties"].get("ResourceId") == {"Ref": code_id}
    ]
    assert method["HttpMethod"] == "GET" and method["AuthorizationType"] == "NONE"
    assert fns[names.Function.REDIRECT] in json.dumps(method["Integration"]["Uri"])


def test_the_redirect_role_may_only_read_and_count_links(template: Template) -> None:
    fns = function_ids(template)
    role = resources(template, "AWS::Lambda::Function")[fns[names.Function.REDIRECT]]["Properties"]["Role"]
    role_id = role["Fn::GetAtt"][0]
    tables = table_ids(template)
    actions: set[str] = set()
    for policy_id, statement in statements(template):
        if role_of_policy(template, policy_id) != role_id:
            continue
        actions |= set(as_list(statement["Action"]))
        if any(a.startswith("dynamodb:") for a in as_list(statement["Action"])):
            text = json.dumps(statement["Resource"])
            assert tables[names.Table.LINKS] in text
            assert all(tables[t] not in text for t in names.Table if t is not names.Table.LINKS)
    assert not {a for a in actions if a.startswith(("ssm:", "sqs:", "scheduler:", "iam:", "sns:"))}
    assert "dynamodb:UpdateItem" in actions and "dynamodb:Scan" not in actions


def test_the_metrics_tables_exist_with_their_keys(template: Template) -> None:
    tables = resources(template, "AWS::DynamoDB::Table")
    links = tables[table_ids(template)[names.Table.LINKS]]["Properties"]
    assert links["KeySchema"] == [{"AttributeName": "code", "KeyType": "HASH"}]
    assert [i["IndexName"] for i in links["GlobalSecondaryIndexes"]] == ["by_post"]
    assert links["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}  # visitor markers
    snapshots = tables[table_ids(template)[names.Table.SNAPSHOTS]]["Properties"]
    assert [k["AttributeName"] for k in snapshots["KeySchema"]] == ["post_key", "snapshot_key"]


def test_the_dashboard_shows_engagement_and_clicks_by_network(template_json: dict[str, Any]) -> None:
    (dashboard,) = [r for r in template_json["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for metric in ("Engagement", "LinkClicks", "LinkPreviews"):
        assert metric in body
    assert "network,service" in body
