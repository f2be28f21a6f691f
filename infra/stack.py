"""parley's one stack: it only composes the capability constructs in infra/parley_cdk/."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, CfnParameter, Stack
from constructs import Construct

from infra.parley_cdk import settings
from infra.parley_cdk.alerts import Alerts
from infra.parley_cdk.api import Api
from infra.parley_cdk.cursor_key import CursorKey
from infra.parley_cdk.data import Data
from infra.parley_cdk.functions import Functions, environment, function_arn, public_base_url
from infra.parley_cdk.layer import CoreLayer
from infra.parley_cdk.media import Media
from infra.parley_cdk.monitoring import Monitoring
from infra.parley_cdk.scheduling import Scheduling
from infra.parley_cdk.web import Web
from parley.cli import output_key
from parley.shared import names

# Where parley's own command line (`parley admin --stack <name> ...`) reads its settings from, on a
# laptop with AWS credentials: one output per variable of the API function, keyed as parley.cli expects,
# its description the variable's name (not the short links' base URL, a deploy-time choice, nor where the
# cursor key is: the command line pages nothing).
CLI_ENV = tuple(
    env
    for env in names.FUNCTION_ENV[names.Function.API]
    if env not in (names.Env.PUBLIC_BASE_URL, names.Env.CURSOR_KEY_PARAMETER)
)


class ParleyStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        alarm_email = CfnParameter(
            self,
            "AlarmEmail",
            type="String",
            default="",
            allowed_pattern=r"^$|^[^\s@]+@[^\s@]+\.[^\s@]+$",
            description="E-mail address subscribed to parley's alarms (empty: no subscription).",
        )

        data = Data(self, "Data")
        scheduling = Scheduling(
            self,
            "Scheduling",
            publish_function_arn=function_arn(self, names.Function.PUBLISH),
            poll_function_arn=function_arn(self, names.Function.POLL),
            tokens_function_arn=function_arn(self, names.Function.TOKENS),
        )
        layer = CoreLayer(self, "CoreLayer")
        alerts = Alerts(self, "Alerts")
        media = Media(self, "Media")
        media.notify(scheduling.queues[names.Queue.MEDIA_UPLOADS])
        cursor_key = CursorKey(self, "CursorKey")
        functions = Functions(
            self,
            "Functions",
            data=data,
            scheduling=scheduling,
            alerts=alerts,
            layer=layer.layer,
            media=media,
            cursor_key=cursor_key,
        )
        api = Api(
            self,
            "Api",
            handler=functions.functions[names.Function.API],
            web_handler=functions.functions[names.Function.WEB],
        )
        base_url = str(self.node.try_get_context(settings.PUBLIC_BASE_URL_CONTEXT) or "") or public_base_url(
            api.rest_api.rest_api_id
        )
        functions.set_public_base_url(base_url)
        api.add_short_links(functions.functions[names.Function.REDIRECT])
        web = Web(self, "Web", rest_api=api.rest_api)
        monitoring = Monitoring(
            self,
            "Monitoring",
            alarm_email=alarm_email,
            functions=functions.functions,
            queues=scheduling.queues,
            rest_api=api.rest_api,
            dashboard=settings.wants_dashboard(self.node.try_get_context(settings.DASHBOARD_CONTEXT)),
        )

        CfnOutput(
            self,
            "WebUrl",
            value=web.url,
            description="parley's address for people (the web app) and programs (the API) alike",
        )
        CfnOutput(self, "ApiUrl", value=api.url, description="parley's API base URL")
        if monitoring.dashboard is not None:
            CfnOutput(self, "DashboardName", value=monitoring.dashboard.dashboard_name)
        CfnOutput(self, "AlarmTopicArn", value=monitoring.topic.topic_arn)
        CfnOutput(self, "AlertTopicArn", value=alerts.topic.topic_arn, description="Listening alerts")
        values = environment(data, scheduling, self, alerts, media, cursor_key) | {names.Env.PUBLIC_BASE_URL: base_url}
        for env in CLI_ENV:
            CfnOutput(self, output_key(env), value=values[env], description=env.value)

        self.data = data
        self.scheduling = scheduling
        self.functions = functions
        self.api = api
        self.web = web
        self.monitoring = monitoring
