"""Odd bodies and odd ids to every operation of the API, through the handler (moto behind it): whatever a
client sends, the answer is never a 5xx, and every refusal is a problem (application/problem+json).

schemathesis (tests/contract) tries what the schema describes and its near misses; this tries what it does
not: bytes that are not UTF-8, JSON of any shape, control characters and empty strings in path ids.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.team import tokens
from tests.support.api import ApiClient

OPERATIONS: list[tuple[str, str]] = []


def _operations() -> list[tuple[str, str]]:
    """Every (method, path template) of the API's own document."""
    if not OPERATIONS:
        answer = ApiClient().call("GET", "/openapi.json")
        for path, item in answer.body["paths"].items():
            OPERATIONS.extend(
                (method.upper(), path) for method in item if method in {"get", "post", "put", "patch", "delete"}
            )
    return OPERATIONS


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
bodies = st.one_of(
    json_values.map(json.dumps),
    st.binary(max_size=64),  # not necessarily UTF-8, not necessarily JSON
    st.text(max_size=64),
)
path_ids = st.one_of(st.just(""), st.text(max_size=12), st.sampled_from(["\x00", "%00", "..", "a" * 300, "p_01"]))


@pytest.fixture(scope="module")
def client(aws: str) -> ApiClient:
    return ApiClient(tokens.create_workspace("Odd", "Ada").token)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_input_gets_a_server_error(client: ApiClient, data: st.DataObject) -> None:
    method, template = data.draw(st.sampled_from(_operations()), label="operation")
    path = re.sub(
        r"\{[^}]+\}", lambda _: data.draw(path_ids, label="id").translate(str.maketrans("/?#", "___")) or "_", template
    )
    body: Any = data.draw(bodies, label="body") if method in {"POST", "PUT", "PATCH"} else None
    answer = client.call(method, path, body)
    assert answer.status < 500, (method, path, body, answer.body)
    if answer.status >= 400:
        assert answer.headers.get("Content-Type") == "application/problem+json", answer.headers
