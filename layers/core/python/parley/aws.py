"""boto3 clients, created once per process (a Lambda container reuses them across invocations).
Endpoints come from the environment (`AWS_ENDPOINT_URL` in the local runtime)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3  # in the Lambda runtime already; imported on first use to keep cold imports lean

    return boto3.client(service)


def reset() -> None:
    """Forget cached clients (tests and the local runtime, after changing the endpoint)."""
    client.cache_clear()
