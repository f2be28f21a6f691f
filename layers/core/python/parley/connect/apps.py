"""parley's own app on each OAuth network (client id and secret), one SSM SecureString parameter per network
under the parameter prefix (`{prefix}/apps/{network}`, as X's): set by `parley admin set-app NETWORK`, read
when an account is connected and when its tokens are renewed. The secret is never logged, printed or returned.

`urls` overrides a provider's endpoints (authorize, token, api, ...) for a stand-in; empty means the network's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from parley.shared import aws


def set_app_command(network: str) -> str:
    return f"parley admin set-app {network} --client-id CLIENT_ID (the secret is read from stdin or a prompt)"


@dataclass(frozen=True)
class OAuthApp:
    network: str
    client_id: str
    client_secret: str
    urls: dict[str, str] = field(default_factory=dict)

    def url(self, name: str, default: str) -> str:
        return self.urls.get(name) or default


def app_parameter(prefix: str, network: str) -> str:
    return f"{prefix}/apps/{network}"


def save_app(prefix: str, app: OAuthApp) -> str:
    value = {"client_id": app.client_id, "client_secret": app.client_secret, "urls": app.urls}
    name = app_parameter(prefix, app.network)
    aws.client("ssm").put_parameter(Name=name, Value=json.dumps(value), Type="SecureString", Overwrite=True)
    return name


def load_app(prefix: str, network: str) -> OAuthApp | None:
    """The configured app, or None when `parley admin set-app NETWORK` was never run."""
    try:
        parameter = aws.client("ssm").get_parameter(Name=app_parameter(prefix, network), WithDecryption=True)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ParameterNotFound":
            return None
        raise
    data = json.loads(parameter["Parameter"]["Value"])
    if not isinstance(data, dict) or not data.get("client_id"):
        return None
    urls = data.get("urls")
    urls = urls if isinstance(urls, dict) else {}
    return OAuthApp(
        network, str(data["client_id"]), str(data.get("client_secret") or ""), {str(k): str(v) for k, v in urls.items()}
    )
