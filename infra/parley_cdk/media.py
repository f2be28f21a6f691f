"""The media bucket (docs/media.md): private, S3-managed encryption, TLS only, and lifecycle rules that
delete what nobody needs any more, read from the object's `parley-use` tag (names.MEDIA_TAG):

- `unused`: uploaded (the presigned POST sets the tag) or checked (the check's copy) but no post uses
  it: deleted after names.MEDIA_UNUSED_DAYS;
- `retired`: the last delivery that used it ended: deleted after names.MEDIA_RETENTION_DAYS;
- `in-use`: kept;
- multipart uploads left incomplete are aborted after a day.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration, RemovalPolicy, Stack, Validations, aws_iam, aws_s3, aws_sqs
from constructs import Construct

from infra.parley_cdk.nag import acknowledge
from parley.shared import names

# What each function may do with the objects, by the keys they are under. Presigned POSTs are signed with
# the API's role, so it must itself be allowed to put and tag. Whoever runs the check (the API for
# `complete` and at queue time, media_check on S3's event) stores a copy of the bytes it accepted and
# deletes the upload; nobody may delete a checked copy (the lifecycle does).
ALL_OBJECTS, UPLOADS = "*", f"{names.MEDIA_UPLOAD_PREFIX}*"
OBJECT_ACTIONS: dict[names.Function, dict[str, tuple[str, ...]]] = {
    names.Function.API: {
        ALL_OBJECTS: ("s3:PutObject", "s3:PutObjectTagging", "s3:GetObject"),
        UPLOADS: ("s3:DeleteObject",),
    },
    names.Function.PUBLISH: {ALL_OBJECTS: ("s3:GetObject", "s3:PutObjectTagging")},  # send, then retire
    names.Function.RECONCILER: {ALL_OBJECTS: ("s3:GetObject", "s3:PutObjectTagging")},
    names.Function.MEDIA_CHECK: {
        UPLOADS: ("s3:GetObject", "s3:DeleteObject"),
        f"{names.MEDIA_CHECKED_PREFIX}*": ("s3:PutObject", "s3:PutObjectTagging"),  # tagged as it is written
    },
}


class Media(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        self.bucket = aws_s3.Bucket(
            self,
            "Bucket",
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            encryption=aws_s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=aws_s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[
                aws_s3.LifecycleRule(
                    id="AbortIncompleteUploads", abort_incomplete_multipart_upload_after=Duration.days(1)
                ),
                aws_s3.LifecycleRule(
                    id="ExpireUnusedUploads",
                    tag_filters={names.MEDIA_TAG: "unused"},
                    expiration=Duration.days(names.MEDIA_UNUSED_DAYS),
                ),
                aws_s3.LifecycleRule(
                    id="ExpireRetiredMedia",
                    tag_filters={names.MEDIA_TAG: "retired"},
                    expiration=Duration.days(names.MEDIA_RETENTION_DAYS),
                ),
            ],
        )
        acknowledge(
            Validations.of(self.bucket),
            {
                "AwsSolutions-S1": "Images are reached only through presigned uploads and the functions' roles;"
                " CloudTrail data events can be enabled where server access logs are wanted, at their cost.",
            },
        )

    def notify(self, queue: aws_sqs.Queue) -> None:
        """S3 sends each new object's ObjectCreated event to `queue` (the media-check function reads it).

        Written on the bucket itself (no custom resource): CloudFormation checks that S3 may send to the
        queue when it creates the bucket, so the queue's policy comes first. The policy names the account,
        not the bucket's ARN, which would make the bucket and the policy wait on each other."""
        statement = aws_iam.PolicyStatement(
            principals=[aws_iam.ServicePrincipal("s3.amazonaws.com")],
            actions=["sqs:SendMessage"],
            resources=[queue.queue_arn],
            conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
        )
        added = queue.add_to_resource_policy(statement)
        cfn = self.bucket.node.default_child
        assert isinstance(cfn, aws_s3.CfnBucket)
        only_uploads = aws_s3.CfnBucket.NotificationFilterProperty(  # not the check's own copies
            s3_key=aws_s3.CfnBucket.S3KeyFilterProperty(
                rules=[aws_s3.CfnBucket.FilterRuleProperty(name="prefix", value=names.MEDIA_UPLOAD_PREFIX)]
            )
        )
        cfn.notification_configuration = aws_s3.CfnBucket.NotificationConfigurationProperty(
            queue_configurations=[
                aws_s3.CfnBucket.QueueConfigurationProperty(
                    event="s3:ObjectCreated:*", queue=queue.queue_arn, filter=only_uploads
                )
            ]
        )
        if added.policy_dependable is not None:
            self.bucket.node.add_dependency(added.policy_dependable)

    def grant(self, function: names.Function, role: aws_iam.IRole) -> None:
        bucket_id = Stack.of(self).resolve(self.bucket.bucket_arn)["Fn::GetAtt"][0]
        for keys, actions in OBJECT_ACTIONS.get(function, {}).items():
            role.add_to_principal_policy(
                aws_iam.PolicyStatement(actions=list(actions), resources=[self.bucket.arn_for_objects(keys)])
            )
            acknowledge(
                Validations.of(role),
                {
                    f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/{keys}]": "Media objects are created at"
                    " run time under keys (workspace/media id) no policy can list in advance.",
                },
            )
