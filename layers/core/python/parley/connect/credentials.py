"""Channel credentials and login sessions, kept as SSM SecureString parameters: never in DynamoDB,
never returned by the API, never logged."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from parley.networks.base import Credential
from parley.shared import aws


def credential_parameter(prefix: str, workspace_id: str, channel_id: str) -> str:
    return f"{prefix}/workspaces/{workspace_id}/channels/{channel_id}/credential"


def session_parameter(credential_parameter: str) -> str:
    return credential_parameter.rsplit("/", 1)[0] + "/session"


def save_credential(name: str, credential: Credential) -> None:
    value = {
        "identifier": credential.identifier,
        "secret": credential.secret,
        "service_url": credential.service_url,
    }
    aws.client("ssm").put_parameter(Name=name, Value=json.dumps(value), Type="SecureString", Overwrite=True)


def load_credential(name: str) -> Credential:
    value = aws.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    data = json.loads(value)
    return Credential(identifier=data["identifier"], secret=data["secret"], service_url=data["service_url"])


def delete_credential(name: str) -> None:
    for parameter in (name, session_parameter(name)):
        _delete(parameter)


def delete_session(credential_parameter: str) -> None:
    """Forget a channel's login session (its credential changed)."""
    _delete(session_parameter(credential_parameter))


def _delete(parameter: str) -> None:
    try:
        aws.client("ssm").delete_parameter(Name=parameter)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ParameterNotFound":
            raise


class SsmSessionStore:
    """Where an adapter keeps its login session between invocations (createSession is rate-limited)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def load(self) -> dict[str, str] | None:
        try:
            value = aws.client("ssm").get_parameter(Name=self._name, WithDecryption=True)["Parameter"]["Value"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ParameterNotFound":
                return None
            raise
        data = json.loads(value)
        return data if isinstance(data, dict) else None

    def save(self, session: dict[str, str]) -> None:
        aws.client("ssm").put_parameter(Name=self._name, Value=json.dumps(session), Type="SecureString", Overwrite=True)


def load_session_version(name: str) -> tuple[dict[str, str] | None, int | None]:
    """A session and its SSM version (None, None when there is none): a token refresh compares the
    version again just before saving, so it never overwrites tokens someone else renewed meanwhile."""
    try:
        parameter = aws.client("ssm").get_parameter(Name=name, WithDecryption=True)["Parameter"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ParameterNotFound":
            return None, None
        raise
    data = json.loads(parameter["Value"])
    return (data if isinstance(data, dict) else None), int(parameter["Version"])
