"""The one address people and programs use on AWS: a CloudFront distribution in front of the REST API and
the web app's static files (docs/deploy.md, "The web app").

- `/static/*`: the files of `web/static/` (CSS, the few scripts, icons, vendored libraries), copied at each
  deploy into a private asset bucket under the key prefix `static/` and read by CloudFront alone through
  origin access control; cached at the edge, and invalidated by each deploy.
- `/docs`: the API's interactive documentation (Powertools' Swagger UI page carries its script and styles
  inline), so it gets the security headers without the strict CSP.
- everything else: the REST API's stage (the web function's pages at `/` and `/app/...`, every API path),
  all methods, never cached, every viewer header (Authorization, cookies), query string and cookie
  forwarded except Host (API Gateway answers 403 to a Host that is not its own).

Every other answer gets the security headers of one response headers policy (the web function also sets the CSP
itself, for the local runtime, which has no CloudFront).
"""

from __future__ import annotations

from aws_cdk import (
    DefaultStackSynthesizer,
    Duration,
    RemovalPolicy,
    Stack,
    Validations,
    aws_apigateway,
    aws_cloudfront,
    aws_cloudfront_origins,
    aws_logs,
    aws_s3,
    aws_s3_deployment,
)
from constructs import Construct

from infra.parley_cdk import settings
from infra.parley_cdk.nag import acknowledge

STATIC_DIR = settings.REPO_ROOT / "web" / "static"
STATIC_PATH = "static"  # the URL path and the bucket's key prefix: /static/app.css is the object static/app.css
DOCS_PATH = "/docs"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none';"
    " base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HSTS_MAX_AGE = Duration.days(730)  # two years, as hstspreload.org asks of a site that means it
# Browsers keep a static file this long before asking again (file names carry no content hash; each deploy
# invalidates CloudFront's copies, so a change reaches everyone within this time).
ASSET_MAX_AGE = Duration.minutes(5)
BASIC_EXECUTION_POLICY = "arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def security_headers(*, with_csp: bool) -> aws_cloudfront.ResponseSecurityHeadersBehavior:
    return aws_cloudfront.ResponseSecurityHeadersBehavior(
        content_security_policy=(
            aws_cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=CONTENT_SECURITY_POLICY, override=True
            )
            if with_csp
            else None
        ),
        strict_transport_security=aws_cloudfront.ResponseHeadersStrictTransportSecurity(
            access_control_max_age=HSTS_MAX_AGE, include_subdomains=True, override=True
        ),
        content_type_options=aws_cloudfront.ResponseHeadersContentTypeOptions(override=True),
        frame_options=aws_cloudfront.ResponseHeadersFrameOptions(
            frame_option=aws_cloudfront.HeadersFrameOption.DENY, override=True
        ),
        referrer_policy=aws_cloudfront.ResponseHeadersReferrerPolicy(
            referrer_policy=aws_cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True
        ),
    )


class Web(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, rest_api: aws_apigateway.RestApi) -> None:
        super().__init__(scope, construct_id)
        # Not versioned: every file is in the repository and each deploy copies the whole directory again
        # (removing what is gone), so old versions would only be stale copies kept at a cost. Retained like
        # the media bucket: CloudFormation cannot delete a bucket that still holds files.
        self.bucket = aws_s3.Bucket(
            self,
            "AssetBucket",
            block_public_access=aws_s3.BlockPublicAccess.BLOCK_ALL,
            encryption=aws_s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            object_ownership=aws_s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=False,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            Validations.of(self.bucket),
            {
                "AwsSolutions-S1": "The asset bucket holds only the web app's public static files, copied from the"
                " repository at deploy time and read by CloudFront alone, so its access logs would record nothing"
                " worth their cost.",
            },
        )

        self.headers = aws_cloudfront.ResponseHeadersPolicy(
            self,
            "SecurityHeaders",
            comment="parley: CSP (same origin only, no inline script), HSTS, nosniff, no framing, referrer policy",
            security_headers_behavior=security_headers(with_csp=True),
        )
        self.docs_headers = aws_cloudfront.ResponseHeadersPolicy(
            self,
            "DocsSecurityHeaders",
            comment="parley's API docs page: the security headers but the CSP (Swagger UI's script is inline)",
            security_headers_behavior=security_headers(with_csp=False),
        )
        api_origin = aws_cloudfront_origins.RestApiOrigin(rest_api)
        api_behavior = aws_cloudfront.BehaviorOptions(
            origin=api_origin,
            viewer_protocol_policy=aws_cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            allowed_methods=aws_cloudfront.AllowedMethods.ALLOW_ALL,
            cache_policy=aws_cloudfront.CachePolicy.CACHING_DISABLED,
            origin_request_policy=aws_cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=self.headers,
        )
        self.distribution = aws_cloudfront.Distribution(
            self,
            "Distribution",
            comment="parley: the web app and the API, one origin",
            default_behavior=api_behavior,
            additional_behaviors={
                f"/{STATIC_PATH}/*": aws_cloudfront.BehaviorOptions(
                    origin=aws_cloudfront_origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                    viewer_protocol_policy=aws_cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    allowed_methods=aws_cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                    cache_policy=aws_cloudfront.CachePolicy.CACHING_OPTIMIZED,
                    response_headers_policy=self.headers,
                ),
                DOCS_PATH: aws_cloudfront.BehaviorOptions(
                    origin=api_origin,
                    viewer_protocol_policy=aws_cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                    allowed_methods=aws_cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                    cache_policy=aws_cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=aws_cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=self.docs_headers,
                ),
            },
            http_version=aws_cloudfront.HttpVersion.HTTP2_AND_3,
            # North America and Europe's edge locations only: the cheapest class; people elsewhere are served
            # from the nearest of these.
            price_class=aws_cloudfront.PriceClass.PRICE_CLASS_100,
            enable_ipv6=True,
        )
        acknowledge(
            Validations.of(self.distribution),
            {
                "AwsSolutions-CFR1": "parley's users and the networks' callbacks may come from any country, so no"
                " geographic restriction applies.",
                "AwsSolutions-CFR2": "A WAF web ACL costs a monthly fee at rest; the API's stage throttling and the"
                " functions' own token and session checks guard what is behind the distribution instead.",
                "AwsSolutions-CFR3": "CloudFront's standard logs need a bucket with ACLs enabled, while API Gateway's"
                " access logs already record every request that reaches the API and the web function.",
                "AwsSolutions-CFR4": "The distribution uses CloudFront's default certificate (a custom domain and its"
                " certificate are the operator's choice), whose cloudfront.net domain accepts TLS 1.0 and 1.1"
                " clients, which no browser parley supports still offers.",
            },
        )

        self.deployment = aws_s3_deployment.BucketDeployment(
            self,
            "Assets",
            sources=[aws_s3_deployment.Source.asset(str(STATIC_DIR))],
            destination_bucket=self.bucket,
            destination_key_prefix=f"{STATIC_PATH}/",
            cache_control=[
                aws_s3_deployment.CacheControl.set_public(),
                aws_s3_deployment.CacheControl.max_age(ASSET_MAX_AGE),
            ],
            distribution=self.distribution,
            distribution_paths=[f"/{STATIC_PATH}/*"],
            log_group=aws_logs.LogGroup(
                self, "AssetsDeploymentLogs", retention=settings.LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
            ),
        )
        self._acknowledge_the_copier()

    def _acknowledge_the_copier(self) -> None:
        """The copy runs in CDK's own function (one per stack, beside this construct), made and given its role
        by aws-cdk-lib: it runs while a deploy copies the files, never on a request."""
        copier = self.deployment.handler_role.node.scope
        assert copier is not None
        stack = Stack.of(self)
        bootstrap_bucket = (
            DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME.replace(
                "${Qualifier}", DefaultStackSynthesizer.DEFAULT_QUALIFIER
            )
            .replace("${AWS::AccountId}", stack.account)
            .replace("${AWS::Region}", stack.region)
        )
        bucket_id = stack.resolve(self.bucket.bucket_arn)["Fn::GetAtt"][0]
        wildcards = "the wildcard grants aws-cdk-lib gives its bucket deployment function"
        acknowledge(
            Validations.of(copier),
            {
                f"AwsSolutions-IAM4[Policy::{BASIC_EXECUTION_POLICY}]": "CDK's bucket deployment function logs with"
                " the AWS-managed basic execution policy that aws-cdk-lib gives it, and runs only while a deploy"
                " copies the static files.",
                **{
                    f"AwsSolutions-IAM5[Action::{action}]": f"These are {wildcards} to read the deploy's asset from"
                    " the CDK bootstrap bucket and copy it into the asset bucket, on those two buckets only."
                    for action in ("s3:GetBucket*", "s3:GetObject*", "s3:List*", "s3:Abort*", "s3:DeleteObject*")
                },
                f"AwsSolutions-IAM5[Resource::arn:{stack.partition}:s3:::{bootstrap_bucket}/*]": f"These are"
                f" {wildcards} to read the deploy's asset, whose key in the CDK bootstrap bucket changes with"
                " every change of the files.",
                f"AwsSolutions-IAM5[Resource::<{bucket_id}.Arn>/*]": f"These are {wildcards} to write and prune"
                " every static file of the asset bucket, whose names come from the web/static directory.",
                "AwsSolutions-IAM5[Resource::*]": "CloudFront's invalidation actions, which the bucket deployment"
                " function needs to refresh the distribution's copies after a deploy, accept no narrower resource"
                " in aws-cdk-lib's grant.",
                "AwsSolutions-L1": "CDK's bucket deployment function runs on the runtime aws-cdk-lib pins for it,"
                " which the project cannot choose, and only while a deploy copies the static files.",
            },
        )

    @property
    def url(self) -> str:
        return f"https://{self.distribution.distribution_domain_name}/"
