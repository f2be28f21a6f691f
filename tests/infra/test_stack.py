"""What matters in the synthesized template, checked with aws_cdk.assertions against the names module
(the contract shared with the local runtime)."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_lambda
from aws_cdk.assertions import Match, Template

from infra.parley_cdk import settings
from infra.parley_cdk.data import TABLE_KEYS
from infra.parley_cdk.functions import TABLE_ACCESS
from parley.shared import names
from tests.infra.conftest import REPO_ROOT

POWERTOOLS_ENV = {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"}


def resources(template: Template, kind: str, props: Any = None) -> dict[str, Any]:
    return dict(template.find_resources(kind, {"Properties": props} if props else None))


def logical_id(template: Template, kind: str, path: str) -> str:
    """The logical id of the resource whose construct path ends with `path`."""
    found = template.find_resources(kind, {"Metadata": {"aws:cdk:path": Match.string_like_regexp(path)}})
    (only,) = found
    return only


def function_ids(template: Template) -> dict[names.Function, str]:
    return {
        fn: logical_id(template, "AWS::Lambda::Function", f"/Functions/{fn.value.capitalize()}/Resource$")
        for fn in names.Function
    }


def queue_ids(template: Template) -> dict[names.Queue, str]:
    ids = {}
    for queue in names.Queue:
        construct = "".join(part.capitalize() for part in queue.value.split("-")) + "Queue"
        ids[queue] = logical_id(template, "AWS::SQS::Queue", f"/Scheduling/{construct}/Resource$")
    return ids


def table_ids(template: Template) -> dict[names.Table, str]:
    return {
        table: logical_id(template, "AWS::DynamoDB::Table", f"/Data/{table.value.capitalize()}/Resource$")
        for table in names.Table
    }


def statements(template: Template) -> list[tuple[str, dict[str, Any]]]:
    """(policy logical id, statement) for every identity policy in the template."""
    found = []
    for policy_id, policy in resources(template, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            found.append((policy_id, statement))
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_of_policy(template: Template, policy_id: str) -> str:
    policy = resources(template, "AWS::IAM::Policy")[policy_id]
    (role,) = policy["Properties"]["Roles"]
    return role["Ref"]


# CDK's own function that copies web/static/ into the asset bucket at deploy time (aws_s3_deployment,
# infra/parley_cdk/web.py): one per stack, outside the Functions construct; tests/infra/test_web.py checks it.
COPIER_PATH = "/Custom::CDKBucketDeployment[0-9A-Fa-f]+/"


def copier_role_id(template: Template) -> str:
    return logical_id(template, "AWS::IAM::Role", f"{COPIER_PATH}ServiceRole/Resource$")


# Functions


def test_there_is_one_function_per_functions_folder(template: Template) -> None:
    folders = {path.name for path in (REPO_ROOT / "functions").iterdir() if (path / "handler.py").exists()}

    assert folders == {fn.value for fn in names.Function}
    others = set(resources(template, "AWS::Lambda::Function")) - set(function_ids(template).values())
    assert others == {logical_id(template, "AWS::Lambda::Function", f"{COPIER_PATH}Resource$")}


def test_the_runtime_constant_is_the_newest_python_that_aws_cdk_lib_offers() -> None:
    offered = [
        tuple(int(part) for part in name.removeprefix("PYTHON_").split("_"))
        for name in dir(aws_lambda.Runtime)
        if name.startswith("PYTHON_")
    ]
    newest = "python" + ".".join(str(part) for part in max(offered))

    assert settings.RUNTIME.name == newest


def test_every_function_runs_arm64_on_the_runtime_constant_with_the_core_layer(template: Template) -> None:
    layer_id = logical_id(template, "AWS::Lambda::LayerVersion", "/CoreLayer/")  # not the copier's AWS CLI layer

    for fn_id in function_ids(template).values():
        props = resources(template, "AWS::Lambda::Function")[fn_id]["Properties"]
        assert props["Architectures"] == ["arm64"]
        assert props["Runtime"] == settings.RUNTIME.name
        assert props["Layers"] == [{"Ref": layer_id}]
        assert props["Handler"] == "handler.lambda_handler"
        assert props["Timeout"] > 0 and props["MemorySize"] >= 128


def test_the_publish_function_times_out_as_the_names_module_says(template: Template) -> None:
    fn_id = function_ids(template)[names.Function.PUBLISH]

    props = resources(template, "AWS::Lambda::Function")[fn_id]["Properties"]
    assert props["Timeout"] == names.PUBLISH_TIMEOUT_SECONDS


def test_each_function_gets_exactly_the_variables_of_the_names_module(template: Template) -> None:
    for fn, fn_id in function_ids(template).items():
        variables = resources(template, "AWS::Lambda::Function")[fn_id]["Properties"]["Environment"]["Variables"]
        assert set(variables) - POWERTOOLS_ENV == {env.value for env in names.FUNCTION_ENV[fn]}, fn
        assert variables["POWERTOOLS_SERVICE_NAME"] == names.APP
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == names.METRICS_NAMESPACE


def test_the_local_runtime_sets_the_same_variables_as_aws() -> None:
    local = names.local_names(endpoint_url="http://127.0.0.1:5000", account="123456789012", region="us-east-1")

    on_aws = {env.value for variables in names.FUNCTION_ENV.values() for env in variables}
    assert set(local) == on_aws


def test_variables_point_at_the_resources_they_name(template: Template) -> None:
    fns, queues, tables = function_ids(template), queue_ids(template), table_ids(template)
    (role_id,) = resources(template, "AWS::IAM::Role", {"Description": Match.string_like_regexp("Scheduler")})
    (group,) = resources(template, "AWS::Scheduler::ScheduleGroup").values()
    publish_name = resources(template, "AWS::Lambda::Function")[fns[names.Function.PUBLISH]]["Properties"][
        "FunctionName"
    ]

    for fn_id in fns.values():
        variables = resources(template, "AWS::Lambda::Function")[fn_id]["Properties"]["Environment"]["Variables"]
        for table, env in names.TABLE_ENV.items():
            assert variables[env.value] == {"Ref": tables[table]}
        assert variables[names.Env.PUBLISH_QUEUE_URL.value] == {"Ref": queues[names.Queue.PUBLISH]}
        assert variables[names.Env.SCHEDULER_DLQ_ARN.value] == {"Fn::GetAtt": [queues[names.Queue.FAILURES], "Arn"]}
        assert variables[names.Env.SCHEDULER_ROLE_ARN.value] == {"Fn::GetAtt": [role_id, "Arn"]}
        assert variables[names.Env.SCHEDULE_GROUP.value] == group["Properties"]["Name"]
        assert variables[names.Env.PARAMETER_PREFIX.value] == names.PARAMETER_PREFIX
        arn = variables[names.Env.PUBLISH_FUNCTION_ARN.value]["Fn::Join"][1]
        assert arn[-1] == f":function:{publish_name}"


def test_every_function_logs_to_its_own_group_with_retention(template: Template) -> None:
    log_groups = resources(template, "AWS::Logs::LogGroup")
    used = set()
    for fn_id in function_ids(template).values():
        props = resources(template, "AWS::Lambda::Function")[fn_id]["Properties"]
        group_id = props["LoggingConfig"]["LogGroup"]["Ref"]
        used.add(group_id)
        assert props["LoggingConfig"]["LogFormat"] == "JSON"

    assert len(used) == len(names.Function)
    for group in log_groups.values():
        assert group["Properties"]["RetentionInDays"] > 0


def test_async_invocations_retry_then_go_to_their_on_failure_queue(template: Template) -> None:
    fns, queues = function_ids(template), queue_ids(template)
    configs = resources(template, "AWS::Lambda::EventInvokeConfig")

    assert len(configs) == len(names.ASYNC_INVOKE)
    for fn, (retries, queue) in names.ASYNC_INVOKE.items():
        template.has_resource_properties(
            "AWS::Lambda::EventInvokeConfig",
            {
                "FunctionName": {"Ref": fns[fn]},
                "MaximumRetryAttempts": retries,
                "DestinationConfig": {"OnFailure": {"Destination": {"Fn::GetAtt": [queues[queue], "Arn"]}}},
            },
        )


def test_queues_trigger_the_functions_of_the_names_module(template: Template) -> None:
    fns, queues = function_ids(template), queue_ids(template)

    template.resource_count_is("AWS::Lambda::EventSourceMapping", len(names.EVENT_SOURCES))
    for queue, fn in names.EVENT_SOURCES.items():
        template.has_resource_properties(
            "AWS::Lambda::EventSourceMapping",
            {
                "EventSourceArn": {"Fn::GetAtt": [queues[queue], "Arn"]},
                "FunctionName": {"Ref": fns[fn]},
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                "BatchSize": names.BATCH_SIZE[queue],
                "MaximumBatchingWindowInSeconds": 0,
            },
        )


# Queues and scheduling


def test_queues_are_encrypted_ssl_only_with_visibility_and_redrive_of_the_names_module(
    template: Template,
) -> None:
    queues = queue_ids(template)
    all_queues = resources(template, "AWS::SQS::Queue")

    for queue, queue_id in queues.items():
        props = all_queues[queue_id]["Properties"]
        assert props["SqsManagedSseEnabled"] is True
        assert props["VisibilityTimeout"] == names.VISIBILITY_SECONDS[queue]
        if queue in names.REDRIVE:
            target, receives = names.REDRIVE[queue]
            assert props["RedrivePolicy"] == {
                "deadLetterTargetArn": {"Fn::GetAtt": [queues[target], "Arn"]},
                "maxReceiveCount": receives,
            }
        else:
            assert "RedrivePolicy" not in props
        template.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [{"Ref": queue_id}],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                },
            },
        )


def test_the_scheduler_role_may_invoke_only_the_publish_poll_and_tokens_functions_and_dead_letter_to_failures(
    template: Template,
) -> None:
    fns, queues = function_ids(template), queue_ids(template)
    (role_id,) = resources(template, "AWS::IAM::Role", {"Description": Match.string_like_regexp("Scheduler")})
    role = resources(template, "AWS::IAM::Role")[role_id]["Properties"]
    targets = [
        resources(template, "AWS::Lambda::Function")[fns[f]]["Properties"]["FunctionName"]
        for f in (names.Function.PUBLISH, names.Function.POLL, names.Function.TOKENS)
    ]

    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert set(trust["Condition"]["StringEquals"]) == {"aws:SourceAccount", "aws:SourceArn"}
    assert "ManagedPolicyArns" not in role
    granted = [s for policy_id, s in statements(template) if role_of_policy(template, policy_id) == role_id]
    invoke = [s for s in granted if "lambda:InvokeFunction" in as_list(s["Action"])]
    (only_invoke,) = invoke
    invocable = [resource["Fn::Join"][1][-1] for resource in as_list(only_invoke["Resource"])]
    assert sorted(invocable) == sorted(f":function:{name}" for name in targets)
    sends = [s for s in granted if "sqs:SendMessage" in as_list(s["Action"])]
    assert [as_list(s["Resource"]) for s in sends] == [[{"Fn::GetAtt": [queues[names.Queue.FAILURES], "Arn"]}]]
    assert {a for s in granted for a in as_list(s["Action"])} <= {
        "lambda:InvokeFunction",
        "sqs:SendMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
    }


def test_no_other_role_may_invoke_functions_and_functions_may_pass_only_the_scheduler_role(
    template: Template,
) -> None:
    (role_id,) = resources(template, "AWS::IAM::Role", {"Description": Match.string_like_regexp("Scheduler")})

    passes = []
    for policy_id, statement in statements(template):
        actions = as_list(statement["Action"])
        if "lambda:InvokeFunction" in actions:
            assert role_of_policy(template, policy_id) == role_id
        if "iam:PassRole" in actions:
            passes.append(statement)
            assert as_list(statement["Resource"]) == [{"Fn::GetAtt": [role_id, "Arn"]}]
            assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
    from infra.parley_cdk.functions import PUBLISHING

    assert len(passes) == len(PUBLISHING)  # the public redirect function arms nothing


def test_schedules_retry_and_dead_letter_to_the_failures_queue(template: Template) -> None:
    # Delivery schedules are created at run time (parley.scheduling) with the names module's retry policy
    # and the queue in SCHEDULER_DLQ_ARN; the template must give them a dead-letter queue the scheduler
    # role can write to, and any schedule defined in the template must carry both settings itself.
    queues = queue_ids(template)
    assert 0 <= names.SCHEDULER_MAX_RETRIES <= 185
    assert 60 <= names.SCHEDULER_MAX_EVENT_AGE_SECONDS <= 86400
    dlq = {"Fn::GetAtt": [queues[names.Queue.FAILURES], "Arn"]}
    for fn_id in function_ids(template).values():
        variables = resources(template, "AWS::Lambda::Function")[fn_id]["Properties"]["Environment"]["Variables"]
        assert variables[names.Env.SCHEDULER_DLQ_ARN.value] == dlq

    for schedule in resources(template, "AWS::Scheduler::Schedule").values():
        target = schedule["Properties"]["Target"]
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 0
        assert "Arn" in target["DeadLetterConfig"]


# Data


def test_tables_are_on_demand_recoverable_protected_encrypted_and_retained(template: Template) -> None:
    tables = resources(template, "AWS::DynamoDB::Table")

    assert len(tables) == len(names.Table)
    for table in tables.values():
        assert table["DeletionPolicy"] == "Retain" and table["UpdateReplacePolicy"] == "Retain"
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["DeletionProtectionEnabled"] is True
        assert props["SSESpecification"]["SSEEnabled"] is True


def test_tables_are_keyed_as_the_data_construct_says(template: Template) -> None:
    for table, table_id in table_ids(template).items():
        keys = TABLE_KEYS[table]
        props = resources(template, "AWS::DynamoDB::Table")[table_id]["Properties"]
        expected = [{"AttributeName": keys.partition_key, "KeyType": "HASH"}]
        if keys.sort_key:
            expected.append({"AttributeName": keys.sort_key, "KeyType": "RANGE"})
        assert props["KeySchema"] == expected
        indexes = {index["IndexName"]: index["KeySchema"] for index in props.get("GlobalSecondaryIndexes", [])}
        assert set(indexes) == {index.name for index in keys.indexes}
        if keys.ttl_attribute:
            assert props["TimeToLiveSpecification"] == {"AttributeName": keys.ttl_attribute, "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in props


def test_no_policy_grants_wildcard_actions_or_scans(template: Template) -> None:
    # But CDK's deploy-time copier of the static files, whose grants aws-cdk-lib writes (test_web.py).
    copier = copier_role_id(template)
    found = [(policy_id, s) for policy_id, s in statements(template) if role_of_policy(template, policy_id) != copier]

    assert found
    for _, statement in found:
        for action in as_list(statement["Action"]):
            assert "*" not in action, statement
            assert action != "dynamodb:Scan", statement


def test_data_permissions_name_tables_and_indexes_without_wildcards(template: Template) -> None:
    dynamodb = [s for _, s in statements(template) if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))]

    assert dynamodb
    for statement in dynamodb:
        for resource in as_list(statement["Resource"]):
            assert "*" not in str(resource), statement


def test_each_function_role_reaches_only_its_tables(template: Template) -> None:
    tables = table_ids(template)
    fns = function_ids(template)
    for fn, fn_id in fns.items():
        role_id = resources(template, "AWS::Lambda::Function")[fn_id]["Properties"]["Role"]["Fn::GetAtt"][0]
        reached = set()
        for policy_id, statement in statements(template):
            if role_of_policy(template, policy_id) != role_id:
                continue
            for resource in as_list(statement["Resource"]):
                for table, table_id in tables.items():
                    if table_id in str(resource) and any(
                        a.startswith("dynamodb:") for a in as_list(statement["Action"])
                    ):
                        reached.add(table)
        assert reached == set(TABLE_ACCESS[fn]), fn


# API


def routes(template: Template) -> dict[tuple[str, str], str]:
    """(path, HTTP method) -> the logical id of the function its Lambda proxy integration calls."""
    (api_id,) = resources(template, "AWS::ApiGateway::RestApi")
    by_id = resources(template, "AWS::ApiGateway::Resource")

    def path(ref: Any) -> str:
        if ref == {"Fn::GetAtt": [api_id, "RootResourceId"]}:
            return ""
        props = by_id[ref["Ref"]]["Properties"]
        return f"{path(props['ParentId'])}/{props['PathPart']}"

    found = {}
    for method in resources(template, "AWS::ApiGateway::Method").values():
        props = method["Properties"]
        integration = props["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        (function,) = [part["Fn::GetAtt"][0] for part in integration["Uri"]["Fn::Join"][1] if "Fn::GetAtt" in part]
        found[(path(props["ResourceId"]) or "/", props["HttpMethod"])] = function
    return found


def test_the_web_apps_paths_go_to_the_web_function_and_every_other_path_to_the_api_function(
    template: Template,
) -> None:
    fns = function_ids(template)

    assert routes(template) == {
        ("/", "ANY"): fns[names.Function.WEB],  # the web app's front door: the API has no route at /
        ("/app", "ANY"): fns[names.Function.WEB],
        ("/app/{proxy+}", "ANY"): fns[names.Function.WEB],
        ("/{proxy+}", "ANY"): fns[names.Function.API],
        ("/l/{code}", "GET"): fns[names.Function.REDIRECT],
    }


def test_the_api_stage_logs_access_and_throttles(template: Template) -> None:
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "AccessLogSetting": {"DestinationArn": Match.any_value(), "Format": Match.string_like_regexp("status")},
            "MethodSettings": Match.array_with(
                [
                    Match.object_like(
                        {
                            "HttpMethod": "*",
                            "ResourcePath": "/*",
                            "ThrottlingRateLimit": Match.any_value(),
                            "ThrottlingBurstLimit": Match.any_value(),
                        }
                    )
                ]
            ),
        },
    )


# Monitoring


def test_every_alarm_notifies_the_topic(template: Template) -> None:
    topic_id = logical_id(template, "AWS::SNS::Topic", "Monitoring/Alarms")
    alarms = resources(template, "AWS::CloudWatch::Alarm")

    assert alarms
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic_id}]


def test_alarms_watch_failed_and_late_publishing_and_the_failure_queues(template: Template) -> None:
    queues = queue_ids(template)

    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": names.METRICS_NAMESPACE,
            "MetricName": "PublishFailed",
            "Dimensions": [{"Name": "service", "Value": names.APP}],
            "Threshold": 1,
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"Namespace": names.METRICS_NAMESPACE, "MetricName": "ChannelNeedsReauth", "Threshold": 1},
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": names.METRICS_NAMESPACE,
            "MetricName": "PublishLag",
            "ExtendedStatistic": "p99",
            "Threshold": 5000,
            "ComparisonOperator": "GreaterThanThreshold",
        },
    )
    for queue in (names.Queue.FAILURES, names.Queue.FAILURES_DLQ):
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queues[queue], "QueueName"]}}],
                "Threshold": 1,
            },
        )


def test_the_alarm_email_subscription_is_optional(template: Template) -> None:
    template.has_parameter("AlarmEmail", {"Type": "String", "Default": ""})

    (subscription,) = resources(template, "AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Protocol"] == "email"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}
    assert "Condition" in subscription


def test_the_dashboard_shows_publishing_queues_api_and_functions(template_json: dict[str, Any]) -> None:
    (dashboard,) = [r for r in template_json["Resources"].values() if r["Type"] == "AWS::CloudWatch::Dashboard"]
    body = str(dashboard["Properties"]["DashboardBody"])

    for needle in ("PublishLag", "Published", "SEARCH(", "reason", "ApproximateNumberOfMessagesVisible",
                   "4XXError", "5XXError", "Latency", "Errors", "Throttles", "Duration"):  # fmt: skip
        assert needle in body, needle


# Outputs


def test_outputs_give_the_api_url_and_every_variable_the_cli_reads(template_json: dict[str, Any]) -> None:
    from parley.cli import output_key

    outputs = template_json["Outputs"]

    from infra.stack import CLI_ENV

    assert "ApiUrl" in outputs
    for env in CLI_ENV:  # all of the API function's but the short links' base URL and the cursor key's ARN
        assert outputs[output_key(env)]["Description"] == env.value


def test_only_the_poll_function_may_publish_listening_alerts(template: Template) -> None:
    topic_id = logical_id(template, "AWS::SNS::Topic", "Alerts/Topic")
    fns = function_ids(template)
    poll_role = resources(template, "AWS::Lambda::Function")[fns[names.Function.POLL]]["Properties"]["Role"]
    publishers = [
        role_of_policy(template, policy_id)
        for policy_id, s in statements(template)
        if "sns:Publish" in as_list(s["Action"]) and as_list(s["Resource"]) == [{"Ref": topic_id}]
    ]
    assert publishers == [poll_role["Fn::GetAtt"][0]]
