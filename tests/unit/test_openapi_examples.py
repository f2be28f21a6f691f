"""Every request and every answer in the OpenAPI document has an example, and every example is valid: the
interactive docs (/docs) can be tried as they stand, and schemathesis' examples phase sends them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from pydantic import BaseModel

from infra.local import openapi
from parley.http import answers, examples, inbox, listeners, metrics, queue_schemas, schemas, team, webhooks
from parley.http import media as media_routes
from parley.listening import alerts

METHODS = {"get", "post", "put", "patch", "delete"}


@cache
def _document() -> dict[str, Any]:
    return openapi.current()


def _operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in _document()["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    # the document as the root, so that #/components/schemas/... resolves
    root = {"components": _document()["components"]} | schema
    return Draft202012Validator(root, format_checker=FormatChecker())


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref", "")
    if not ref:
        return schema
    resolved: dict[str, Any] = _document()
    for part in ref.removeprefix("#/").split("/"):
        resolved = resolved[part]
    return resolved


def _models() -> dict[str, type[BaseModel]]:
    modules = (schemas, team, webhooks, listeners, media_routes, inbox, answers, metrics, alerts, queue_schemas)
    return {
        name: value
        for module in modules
        for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, BaseModel) and value is not BaseModel
    }


BODIES = [
    (method, path, media_type, body["schema"])
    for method, path, operation in _operations()
    if (body_of := operation.get("requestBody"))
    for media_type, body in body_of["content"].items()
]
ANSWERS = [
    (method, path, status, media_type, media)
    for method, path, operation in _operations()
    for status, answer in operation["responses"].items()
    for media_type, media in (answer.get("content") or {}).items()
]


def test_there_are_bodies_and_answers_to_check() -> None:
    assert len(BODIES) >= 15
    assert len(ANSWERS) >= 350


@pytest.mark.parametrize(("method", "path", "media_type", "schema"), BODIES, ids=lambda v: str(v)[:40])
def test_every_request_body_has_valid_examples(method: str, path: str, media_type: str, schema: dict[str, Any]) -> None:
    body = _resolve(schema)
    found = list(body.get("examples") or [])
    for media in (
        _document()["paths"][path][method]["requestBody"]["content"][media_type].get("examples") or {}
    ).values():
        found.append(media["value"])
    assert found, f"{method.upper()} {path}: its body ({body.get('title')}) has no example"
    if media_type != "application/json":  # a file (text/csv): a text, read by its own parser's tests
        assert body.get("type") == "string" and all(isinstance(e, str) and e for e in found)
        return
    model = _models().get(str(body.get("title")))
    assert model is not None, f"no pydantic model named {body.get('title')}"
    for example in found:
        errors = [e.message for e in _validator(schema).iter_errors(example)]
        assert not errors, (method, path, example, errors)
        model.model_validate_json(json.dumps(example))  # the model's own rules, beyond its schema


def test_every_answer_has_an_example() -> None:
    missing = [
        f"{method.upper()} {path} {status} {media_type}"
        for method, path, status, media_type, media in ANSWERS
        if not media.get("examples") and "example" not in media
    ]
    assert not missing, "answers without an example (http/examples.py, http/problem_examples.py):\n" + "\n".join(
        missing
    )


def test_every_answer_with_content_but_204_and_redirects() -> None:
    for method, path, operation in _operations():
        for status, answer in operation["responses"].items():
            assert (status in ("204", "302")) != bool(answer.get("content")), (method, path, status)


@pytest.mark.parametrize(
    ("method", "path", "status", "media_type", "media"),
    ANSWERS,
    ids=lambda v: str(v)[:40] if not isinstance(v, dict) else "",
)
def test_every_answers_example_matches_its_schema(
    method: str, path: str, status: str, media_type: str, media: dict[str, Any]
) -> None:
    for example in (media.get("examples") or {}).values():
        value = example["value"]
        errors = [e.message for e in _validator(media.get("schema") or {}).iter_errors(value)]
        assert not errors, (method, path, status, value, errors)
        if media_type.endswith("json") and int(status) >= 400:
            assert value["status"] == int(status)
        assert "EXAMPLE" in json.dumps(value) or not any(
            secret in json.dumps(value) for secret in ('"secret"', '"token":', "whsec_")
        ), f"{method} {path} {status}: a secret that does not say EXAMPLE"


def test_no_example_is_for_an_answer_that_does_not_exist() -> None:
    answers = {(method, path, int(status)) for method, path, status, _, _ in ANSWERS}
    stale = [str(key) for key in examples.SUCCESS if key not in answers]
    stale += [str(key) for key in examples.TEXT if (*key, 200) not in answers]
    assert not stale, f"examples for answers the document does not have: {stale}"
