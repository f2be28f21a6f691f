"""boto3 clients, created once per process (a Lambda container reuses them across invocations).
Endpoints come from the environment (`AWS_ENDPOINT_URL` in the local runtime)."""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

_creating = threading.Lock()


@cache
def client(service: str) -> Any:
    import boto3  # in the Lambda runtime already; imported on first use to keep cold imports lean

    with _creating:  # boto3's default session is not safe to create clients from concurrently
        return boto3.client(service)


def reset() -> None:
    """Forget cached clients (tests and the local runtime, after changing the endpoint)."""
    client.cache_clear()
