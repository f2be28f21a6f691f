"""The REST API in front of the API function: Lambda proxy on `/` and `/{proxy+}`, access logs, stage
throttling.

There is no API Gateway authorizer: the API function authenticates every request itself (it hashes the
bearer token and reads the tokens table once), so a revoked token stops working at once and every read
and write is scoped by the token's workspace and role; `/openapi.json`, `/docs`, `/l/{code}`,
`/channels/{network}/consent` and `/channels/{network}/callback` (X, LinkedIn, Facebook, Instagram, Threads)
are public, and so is `/calendar.ics`, which a calendar app reads with the member's feed token in its URL
(calendar apps send no headers; the function looks the token up itself: parley.team.feeds).
"""

from __future__ import annotations

from aws_cdk import RemovalPolicy, Stack, Validations, aws_apigateway, aws_lambda, aws_logs
from constructs import Construct

from infra.parley_cdk import settings
from infra.parley_cdk.nag import acknowledge

STAGE_NAME = "v1"
# Steady-state requests per second and burst for the whole stage (API Gateway's account default is
# 10,000/5,000: this keeps a runaway client from running up the bill).
THROTTLING_RATE_LIMIT = 50
THROTTLING_BURST_LIMIT = 100


class Api(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, handler: aws_lambda.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = aws_logs.LogGroup(
            self, "AccessLogs", retention=settings.LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        self.rest_api = aws_apigateway.LambdaRestApi(
            self,
            "RestApi",
            handler=handler,
            proxy=True,
            rest_api_name=f"{Stack.of(self).stack_name}-api",
            description="parley's HTTP API",
            endpoint_types=[aws_apigateway.EndpointType.REGIONAL],
            cloud_watch_role=False,
            deploy_options=aws_apigateway.StageOptions(
                stage_name=STAGE_NAME,
                access_log_destination=aws_apigateway.LogGroupLogDestination(self.access_logs),
                access_log_format=aws_apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=False,
                ),
                throttling_rate_limit=THROTTLING_RATE_LIMIT,
                throttling_burst_limit=THROTTLING_BURST_LIMIT,
            ),
        )
        # The stack outputs the URL once, as ApiUrl.
        self.rest_api.node.try_remove_child("Endpoint")
        acknowledge(
            Validations.of(self.rest_api),
            {
                "AwsSolutions-APIG2": "The API function validates every request against its own models and"
                " answers RFC 9457 problem details, which an API Gateway request validator cannot.",
                "AwsSolutions-APIG3": "A WAF web ACL costs a monthly fee at rest; stage throttling and the"
                " API function's token check guard the API instead.",
                "AwsSolutions-APIG4": "The API function authenticates every request itself (hashed bearer"
                " token looked up in the tokens table, scoped by workspace and role, revocation immediate),"
                " and /openapi.json, /docs and the connect consent links and callbacks (their one-time OAuth"
                " state and the starting browser's cookie are the proof) and the calendar feed (a member's"
                " read-only feed token in its URL, looked up by its hash) are public.",
                "AwsSolutions-APIG6": "Access logs record every request; execution logging would need an"
                " account-wide API Gateway CloudWatch role that one app should not impose on the account.",
                "AwsSolutions-COG4": "The API function authenticates every request itself (hashed bearer"
                " token looked up in the tokens table, scoped by workspace and role, revocation immediate),"
                " and /openapi.json, /docs and the connect consent links and callbacks (their one-time OAuth"
                " state and the starting browser's cookie are the proof) and the calendar feed (a member's"
                " read-only feed token in its URL, looked up by its hash) are public.",
            },
        )

    def add_short_links(self, handler: aws_lambda.IFunction) -> None:
        """Public `GET /l/{code}`: the redirect function (parley.links.clicks), no token."""
        code = self.rest_api.root.add_resource("l").add_resource("{code}")
        code.add_method(
            "GET",
            aws_apigateway.LambdaIntegration(handler),
            authorization_type=aws_apigateway.AuthorizationType.NONE,
            request_parameters={"method.request.path.code": True},
        )

    @property
    def url(self) -> str:
        return self.rest_api.url
