"""The REST API in front of the functions: the web app's pages (`/`, `/app` and `/app/{proxy+}`, all methods)
go to the web function, every other path (`/{proxy+}`) to the API function (Lambda proxy both); access logs,
stage throttling. The API has no route at `/`: the web app's front door is there (it redirects to the
calendar, or to sign-in).

There is no API Gateway authorizer: the API function authenticates every request itself (it hashes the
bearer token and reads the tokens table once), so a revoked token stops working at once and every read
and write is scoped by the token's workspace and role; `/openapi.json`, `/docs`, `/l/{code}`,
`/channels/{network}/consent` and `/channels/{network}/callback` (X, LinkedIn, Facebook, Instagram, Threads)
are public, and so is `/calendar.ics`, which a calendar app reads with the member's feed token in its URL
(calendar apps send no headers; the function looks the token up itself: parley.team.feeds). The web
function checks its own session cookie the same way (a record of the tokens table, looked up by its hash).
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


# The first path segment of the web app's pages (names agreed with parley.web: `/app/sign-in`, `/app/calendar`...).
WEB_PATH_PART = "app"


class Api(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, handler: aws_lambda.IFunction, web_handler: aws_lambda.IFunction
    ) -> None:
        super().__init__(scope, construct_id)
        self.access_logs = aws_logs.LogGroup(
            self, "AccessLogs", retention=settings.LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
        )
        self.rest_api = aws_apigateway.RestApi(
            self,
            "RestApi",
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
        api, web = aws_apigateway.LambdaIntegration(handler), aws_apigateway.LambdaIntegration(web_handler)
        root = self.rest_api.root
        # First: a proxy under the root would also claim the root's ANY for the API if it were still free.
        root.add_method("ANY", web)
        root.add_proxy(default_integration=api, any_method=True)
        # `/app` itself too: an explicit resource without a method would answer API Gateway's own 403.
        app = root.add_resource(WEB_PATH_PART, default_integration=web)
        app.add_method("ANY")
        app.add_proxy(any_method=True)
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
                " read-only feed token in its URL, looked up by its hash) are public, and the web function"
                " checks its session cookie (an opaque value looked up by its hash in the same table) on every"
                " page but sign-in.",
                "AwsSolutions-APIG6": "Access logs record every request; execution logging would need an"
                " account-wide API Gateway CloudWatch role that one app should not impose on the account.",
                "AwsSolutions-COG4": "The API function authenticates every request itself (hashed bearer"
                " token looked up in the tokens table, scoped by workspace and role, revocation immediate),"
                " and /openapi.json, /docs and the connect consent links and callbacks (their one-time OAuth"
                " state and the starting browser's cookie are the proof) and the calendar feed (a member's"
                " read-only feed token in its URL, looked up by its hash) are public, and the web function"
                " checks its session cookie (an opaque value looked up by its hash in the same table) on every"
                " page but sign-in.",
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
