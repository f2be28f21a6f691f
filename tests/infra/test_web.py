"""Issue 18 on AWS: the web function (the API's role, settings and routes of its own), the private asset
bucket the static files are copied into, and the one CloudFront distribution people and programs reach
parley through (infra/parley_cdk/web.py, docs/deploy.md "The web app")."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_cloudfront
from aws_cdk.assertions import Template

from infra.parley_cdk import settings
from infra.parley_cdk.functions import PARAMETER_ACTIONS, TABLE_ACCESS
from parley.shared import names
from tests.infra.conftest import REPO_ROOT, STACK_NAME
from tests.infra.test_narrow_roles import actions_by_resource, render, role_statements
from tests.infra.test_stack import (
    COPIER_PATH,
    as_list,
    copier_role_id,
    function_ids,
    logical_id,
    resources,
    role_of_policy,
    statements,
)

# The policy issue 18 asks for, written out here rather than imported: a change to it must change this test.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]


def function_props(template: Template, function: names.Function) -> dict[str, Any]:
    return dict(resources(template, "AWS::Lambda::Function")[function_ids(template)[function]]["Properties"])


def asset_bucket(template: Template) -> tuple[str, dict[str, Any]]:
    bucket_id = logical_id(template, "AWS::S3::Bucket", "/Web/AssetBucket/Resource$")
    return bucket_id, resources(template, "AWS::S3::Bucket")[bucket_id]


def distribution(template: Template) -> tuple[str, dict[str, Any]]:
    (dist_id, dist), *others = resources(template, "AWS::CloudFront::Distribution").items()
    assert others == []
    return dist_id, dist["Properties"]["DistributionConfig"]


def origins(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {origin["Id"]: origin for origin in config["Origins"]}


def behaviours(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each cache behaviour by its path pattern, the default one as `*`."""
    return {"*": config["DefaultCacheBehavior"]} | {b["PathPattern"]: b for b in config["CacheBehaviors"]}


# The web function


def test_the_web_function_runs_the_web_handler_with_the_apis_memory_and_timeout(template: Template) -> None:
    web, api = function_props(template, names.Function.WEB), function_props(template, names.Function.API)

    assert (REPO_ROOT / "functions" / "web" / "handler.py").is_file()
    assert web["Handler"] == "handler.lambda_handler"
    assert web["FunctionName"] == f"{STACK_NAME}-web"
    assert (web["MemorySize"], web["Timeout"]) == (api["MemorySize"], api["Timeout"])
    assert web["Environment"]["Variables"] == api["Environment"]["Variables"]  # the same core, the same settings


def test_the_web_functions_role_is_the_api_functions_role_by_reference() -> None:
    assert TABLE_ACCESS[names.Function.WEB] is TABLE_ACCESS[names.Function.API]
    assert PARAMETER_ACTIONS[names.Function.WEB] is PARAMETER_ACTIONS[names.Function.API]


def test_the_web_role_may_do_exactly_what_the_api_role_may_on_tables_parameters_queues_schedules_and_media(
    template: Template,
) -> None:
    web, api = role_statements(template, names.Function.WEB), role_statements(template, names.Function.API)
    services = {action.split(":")[0] for statement in api for action in as_list(statement["Action"])} - {"logs"}

    assert {"dynamodb", "ssm", "s3", "sqs", "scheduler", "iam"} <= services
    for service in services:
        assert actions_by_resource(web, service) == actions_by_resource(api, service), service


def test_the_web_role_writes_only_its_own_log_group(template: Template) -> None:
    web, api = role_statements(template, names.Function.WEB), role_statements(template, names.Function.API)

    web_logs, api_logs = actions_by_resource(web, "logs"), actions_by_resource(api, "logs")
    assert len(web_logs) == len(api_logs) == 1 and web_logs.keys() != api_logs.keys()


def test_api_gateway_may_invoke_the_web_function_on_its_routes_only(template: Template) -> None:
    fn_id = function_ids(template)[names.Function.WEB]
    stage = logical_id(template, "AWS::ApiGateway::Stage", "/Api/RestApi/DeploymentStage.v1/Resource$")

    sources = [
        render(p["Properties"]["SourceArn"])
        for p in resources(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == {"Fn::GetAtt": [fn_id, "Arn"]}
    ]
    invoked_on = {source.split(f"<{stage}>", 1)[1] for source in sources if f"<{stage}>" in source}
    assert invoked_on == {"/*/", "/*/app", "/*/app/*"}  # any method on /, /app and /app/{proxy+}


# The asset bucket


def test_the_asset_bucket_is_private_encrypted_unversioned_and_tls_only(template: Template) -> None:
    bucket_id, bucket = asset_bucket(template)
    props = bucket["Properties"]

    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}  # no ACLs
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert "VersioningConfiguration" not in props  # every deploy copies the files again from the repository
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]
    (deny,) = [s for s in policy if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and deny["Action"] == "s3:*"


def test_only_the_distribution_reads_the_asset_bucket_through_origin_access_control(template: Template) -> None:
    bucket_id, _ = asset_bucket(template)
    dist_id, config = distribution(template)
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket_id}
    ]

    (allow,) = [s for s in policy if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert render(allow["Resource"]) == f"<{bucket_id}.Arn>/*"
    source = render(allow["Condition"]["StringEquals"]["AWS:SourceArn"])
    assert source.endswith(f":distribution/<{dist_id}>")
    (s3_origin,) = [o for o in config["Origins"] if "S3OriginConfig" in o]
    assert s3_origin["DomainName"] == {"Fn::GetAtt": [bucket_id, "RegionalDomainName"]}
    assert s3_origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # OAC, not the legacy identity
    (oac_id,) = resources(template, "AWS::CloudFront::OriginAccessControl")
    assert s3_origin["OriginAccessControlId"] == {"Fn::GetAtt": [oac_id, "Id"]}
    oac = resources(template, "AWS::CloudFront::OriginAccessControl")[oac_id]["Properties"]
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert oac["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"


def test_no_function_of_parleys_reaches_the_asset_bucket(template: Template) -> None:
    bucket_id, _ = asset_bucket(template)
    copier = copier_role_id(template)

    reaching = {
        role_of_policy(template, policy_id)
        for policy_id, statement in statements(template)
        if bucket_id in str(statement["Resource"])
    }
    assert reaching == {copier}


def test_web_static_is_copied_under_static_and_the_distributions_copies_invalidated(template: Template) -> None:
    bucket_id, _ = asset_bucket(template)
    dist_id, _ = distribution(template)
    (deployment,) = resources(template, "Custom::CDKBucketDeployment").values()
    props = deployment["Properties"]

    assert (REPO_ROOT / "web" / "static").is_dir() and any((REPO_ROOT / "web" / "static").iterdir())
    assert props["DestinationBucketName"] == {"Ref": bucket_id}
    assert props["DestinationBucketKeyPrefix"] == "static/"
    assert props["Prune"] is True  # a file removed from web/static/ is removed from the bucket
    assert props["DistributionId"] == {"Ref": dist_id}
    assert props["DistributionPaths"] == ["/static/*"]


def test_the_copiers_wildcard_grants_stay_on_its_buckets_and_the_invalidation(template: Template) -> None:
    bucket_id, _ = asset_bucket(template)
    copier = copier_role_id(template)
    granted = [s for policy_id, s in statements(template) if role_of_policy(template, policy_id) == copier]

    assert granted
    for statement in granted:
        actions = set(as_list(statement["Action"]))
        for resource in map(render, as_list(statement["Resource"])):
            if resource == "*":
                assert actions <= {"cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"}, statement
            else:
                assert resource.startswith((f"<{bucket_id}.Arn>", "arn:aws:s3:::cdk-")), statement
    copier_fn = logical_id(template, "AWS::Lambda::Function", f"{COPIER_PATH}Resource$")
    logs = resources(template, "AWS::Lambda::Function")[copier_fn]["Properties"]["LoggingConfig"]["LogGroup"]
    assert resources(template, "AWS::Logs::LogGroup")[logs["Ref"]]["Properties"]["RetentionInDays"] > 0


# The distribution


def test_the_api_and_the_pages_are_the_default_behaviour_uncached_with_every_method(template: Template) -> None:
    (api_id,) = resources(template, "AWS::ApiGateway::RestApi")
    _, config = distribution(template)
    default = behaviours(config)["*"]

    origin = origins(config)[default["TargetOriginId"]]
    assert f"<{api_id}>.execute-api." in render(origin["DomainName"]["Fn::Select"][1]["Fn::Split"][1])
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert "OriginPath" in origin  # the stage, /v1: https://<distribution>/app/calendar is <stage>/app/calendar
    assert sorted(default["AllowedMethods"]) == sorted(ALL_METHODS)
    assert default["CachePolicyId"] == aws_cloudfront.CachePolicy.CACHING_DISABLED.cache_policy_id
    # Every viewer header (Authorization, Cookie, Idempotency-Key...), cookie and query string but Host.
    assert (
        default["OriginRequestPolicyId"]
        == aws_cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.origin_request_policy_id
    )
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"


def test_static_files_come_from_the_asset_bucket_cached(template: Template) -> None:
    _, config = distribution(template)
    static = behaviours(config)["/static/*"]

    assert "S3OriginConfig" in origins(config)[static["TargetOriginId"]]
    assert static["AllowedMethods"] == ["GET", "HEAD"]
    assert static["CachePolicyId"] == aws_cloudfront.CachePolicy.CACHING_OPTIMIZED.cache_policy_id
    assert static["ViewerProtocolPolicy"] == "redirect-to-https"


def test_there_are_no_other_behaviours_than_static_files_the_api_docs_and_the_default(template: Template) -> None:
    _, config = distribution(template)
    found = behaviours(config)

    assert set(found) == {"*", "/static/*", "/docs"}
    assert found["/docs"]["TargetOriginId"] == found["*"]["TargetOriginId"]
    assert found["/docs"]["CachePolicyId"] == found["*"]["CachePolicyId"]
    assert config["PriceClass"] == "PriceClass_100"


def security_headers(template: Template, policy_ref: dict[str, str]) -> dict[str, Any]:
    policy = resources(template, "AWS::CloudFront::ResponseHeadersPolicy")[policy_ref["Ref"]]
    return dict(policy["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"])


def test_every_page_api_answer_and_static_file_carries_the_security_headers(template: Template) -> None:
    _, config = distribution(template)
    found = behaviours(config)
    default, static = found["*"], found["/static/*"]

    assert default["ResponseHeadersPolicyId"] == static["ResponseHeadersPolicyId"]
    headers = security_headers(template, default["ResponseHeadersPolicyId"])
    assert headers == {
        "ContentSecurityPolicy": {"ContentSecurityPolicy": CSP, "Override": True},
        "StrictTransportSecurity": {"AccessControlMaxAgeSec": 63072000, "IncludeSubdomains": True, "Override": True},
        "ContentTypeOptions": {"Override": True},
        "FrameOptions": {"FrameOption": "DENY", "Override": True},
        "ReferrerPolicy": {"ReferrerPolicy": "strict-origin-when-cross-origin", "Override": True},
    }


def test_the_api_docs_page_gets_the_same_headers_but_the_csp_its_inline_script_would_break(
    template: Template,
) -> None:
    _, config = distribution(template)
    found = behaviours(config)

    docs = security_headers(template, found["/docs"]["ResponseHeadersPolicyId"])
    default = security_headers(template, found["*"]["ResponseHeadersPolicyId"])
    assert "ContentSecurityPolicy" not in docs
    assert docs == {key: value for key, value in default.items() if key != "ContentSecurityPolicy"}


def test_the_stack_outputs_the_distributions_url_for_people_and_programs(template_json: dict[str, Any]) -> None:
    dist_id = next(k for k, v in template_json["Resources"].items() if v["Type"] == "AWS::CloudFront::Distribution")
    output = template_json["Outputs"]["WebUrl"]

    assert output["Value"] == {"Fn::Join": ["", ["https://", {"Fn::GetAtt": [dist_id, "DomainName"]}, "/"]]}
    assert "API" in output["Description"]


def test_the_function_settings_name_every_function() -> None:
    assert set(settings.FUNCTIONS) == set(names.Function)
