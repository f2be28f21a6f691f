"""parley's own app on X (OAuth 2.0 client id and secret), kept as one SSM SecureString parameter under the
parameter prefix: set by `parley admin set-app x`, read when an X account is connected and when its tokens
are renewed. The secret is never logged, printed or returned.

`api_base` and `authorize_url` are X's unless an operator (or a test) points parley at a stand-in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from botocore.exceptions import ClientError

from parley.networks.x import API_BASE, XClient
from parley.shared import aws

AUTHORIZE_URL = "https://x.com/i/oauth2/authorize"
SET_APP_COMMAND = "parley admin set-app x --client-id CLIENT_ID (the secret is read from stdin or a prompt)"


@dataclass(frozen=True)
class XApp:
    client_id: str
    client_secret: str | None
    api_base: str = API_BASE
    authorize_url: str = AUTHORIZE_URL

    @property
    def client(self) -> XClient:
        return XClient(self.client_id, self.client_secret, self.api_base)


def app_parameter(prefix: str) -> str:
    return f"{prefix}/apps/x"


def save_app(prefix: str, app: XApp) -> str:
    value = {
        "client_id": app.client_id,
        "client_secret": app.client_secret or "",
        "api_base": app.api_base,
        "authorize_url": app.authorize_url,
    }
    name = app_parameter(prefix)
    aws.client("ssm").put_parameter(Name=name, Value=json.dumps(value), Type="SecureString", Overwrite=True)
    return name


def load_app(prefix: str) -> XApp | None:
    """The configured app, or None when `parley admin set-app x` was never run."""
    try:
        value = aws.client("ssm").get_parameter(Name=app_parameter(prefix), WithDecryption=True)["Parameter"]["Value"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ParameterNotFound":
            return None
        raise
    data = json.loads(value)
    if not isinstance(data, dict) or not data.get("client_id"):
        return None
    return XApp(
        client_id=str(data["client_id"]),
        client_secret=str(data.get("client_secret") or "") or None,
        api_base=str(data.get("api_base") or API_BASE),
        authorize_url=str(data.get("authorize_url") or AUTHORIZE_URL),
    )
