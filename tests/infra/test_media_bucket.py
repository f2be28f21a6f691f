"""The media bucket in the synthesized template: private, encrypted, TLS only, lifecycle rules that
delete unused and retired media, and object access for exactly the functions that need it."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Match, Template

from parley.shared import names
from tests.infra.test_stack import as_list, function_ids, logical_id, resources, role_of_policy, statements


def bucket(template: Template) -> tuple[str, dict[str, Any]]:
    bucket_id = logical_id(template, "AWS::S3::Bucket", "/Media/Bucket/Resource$")
    return bucket_id, resources(template, "AWS::S3::Bucket")[bucket_id]


def test_the_media_bucket_is_private_encrypted_and_retained(template: Template) -> None:
    _, resource = bucket(template)
    props = resource["Properties"]

    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (encryption,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert resource["DeletionPolicy"] == "Retain"


def test_the_media_bucket_refuses_requests_without_tls(template: Template) -> None:
    bucket_id, _ = bucket(template)
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                )
            },
        },
    )


def test_lifecycle_rules_abort_uploads_and_expire_unused_and_retired_media(template: Template) -> None:
    _, resource = bucket(template)
    rules = {rule["Id"]: rule for rule in resource["Properties"]["LifecycleConfiguration"]["Rules"]}

    assert rules["AbortIncompleteUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    unused, retired = rules["ExpireUnusedUploads"], rules["ExpireRetiredMedia"]
    assert unused["TagFilters"] == [{"Key": names.MEDIA_TAG, "Value": "unused"}]
    assert unused["ExpirationInDays"] == names.MEDIA_UNUSED_DAYS
    assert retired["TagFilters"] == [{"Key": names.MEDIA_TAG, "Value": "retired"}]
    assert retired["ExpirationInDays"] == names.MEDIA_RETENTION_DAYS


def object_grants(template: Template) -> dict[names.Function, dict[str, set[str]]]:
    """Each function's S3 actions on the media bucket's objects, by the keys granted ("*", "uploads/*")."""
    bucket_id, _ = bucket(template)
    role_of = {
        resources(template, "AWS::Lambda::Function")[fn_id]["Properties"]["Role"]["Fn::GetAtt"][0]: fn
        for fn, fn_id in function_ids(template).items()
    }
    grants: dict[names.Function, dict[str, set[str]]] = {}
    for policy_id, s in statements(template):
        for resource in as_list(s["Resource"]):
            joined = resource.get("Fn::Join", ["", []])[1] if isinstance(resource, dict) else []
            if s["Effect"] == "Allow" and joined[:1] == [{"Fn::GetAtt": [bucket_id, "Arn"]}]:
                keys = "".join(joined[1:]).removeprefix("/")
                function = role_of[role_of_policy(template, policy_id)]
                grants.setdefault(function, {}).setdefault(keys, set()).update(as_list(s["Action"]))
    return grants


def test_only_the_api_web_publish_reconciler_and_media_check_roles_reach_media_objects(template: Template) -> None:
    assert set(object_grants(template)) == {
        names.Function.API,
        names.Function.WEB,  # the composer uploads images as the API does
        names.Function.PUBLISH,
        names.Function.RECONCILER,
        names.Function.MEDIA_CHECK,
    }


def test_uploads_alone_may_be_deleted_and_media_check_writes_only_checked_copies(template: Template) -> None:
    grants = object_grants(template)
    uploads, checked = f"{names.MEDIA_UPLOAD_PREFIX}*", f"{names.MEDIA_CHECKED_PREFIX}*"

    deleting = {
        (function, keys)
        for function, by_keys in grants.items()
        for keys, acts in by_keys.items()
        if "s3:DeleteObject" in acts
    }
    assert deleting == {
        (names.Function.API, uploads),
        (names.Function.WEB, uploads),
        (names.Function.MEDIA_CHECK, uploads),
    }
    assert grants[names.Function.WEB] == grants[names.Function.API]
    assert grants[names.Function.MEDIA_CHECK] == {
        uploads: {"s3:GetObject", "s3:DeleteObject"},
        checked: {"s3:PutObject", "s3:PutObjectTagging"},
    }


def test_every_function_is_told_the_media_bucket(template: Template) -> None:
    bucket_id, _ = bucket(template)
    for fn_id in function_ids(template).values():
        variables = resources(template, "AWS::Lambda::Function")[fn_id]["Properties"]["Environment"]["Variables"]
        assert variables[names.Env.MEDIA_BUCKET.value] == {"Ref": bucket_id}


def test_each_upload_is_sent_to_the_media_uploads_queue_which_s3_may_write_to(template: Template) -> None:
    _, resource = bucket(template)
    queue_id = logical_id(template, "AWS::SQS::Queue", "/Scheduling/MediaUploadsQueue/Resource$")

    (config,) = resource["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert config == {
        "Event": "s3:ObjectCreated:*",
        "Queue": {"Fn::GetAtt": [queue_id, "Arn"]},
        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": names.MEDIA_UPLOAD_PREFIX}]}},  # not the copies
    }
    (policy_id,) = resource["DependsOn"]  # S3 checks it may send when the bucket is created
    policy = resources(template, "AWS::SQS::QueuePolicy")[policy_id]["Properties"]["PolicyDocument"]["Statement"]
    allow = [s for s in policy if s["Effect"] == "Allow"]
    assert allow == [
        {
            "Action": "sqs:SendMessage",
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
        }
    ]
