"""The local runtime's one-copy projection (infra.local.moto_speedups.install_single_pass_projection) projects exactly
what moto's own does: flat attributes (taken as they are, uncopied), nested paths, list items, missing attributes."""

from __future__ import annotations

from typing import Any

import pytest
from moto.dynamodb.models import dynamo_type
from moto.dynamodb.models.dynamo_type import DynamoType, Item

from infra.local.moto_speedups import install_single_pass_projection

ATTRS: dict[str, Any] = {
    "pk": {"S": "p_1"},
    "state": {"S": "published"},
    "attempt": {"N": "2"},
    "history": {"L": [{"M": {"to": {"S": "scheduled"}}}, {"M": {"to": {"S": "published"}, "by": {"S": "m"}}}]},
    "card": {"M": {"title": {"S": "Sale"}, "image": {"M": {"url": {"S": "https://x.example/a.png"}}}}},
    "tags": {"SS": ["a", "b"]},
}
EXPRESSIONS = [
    [["state"], ["attempt"]],
    [["card", "title"], ["card", "image", "url"]],
    [["history[1]", "to"], ["state"]],
    [["missing"], ["pk"], ["tags"]],
    [["card"], ["card", "title"]],
    [["history"], ["card"], ["tags"]],
]


def item() -> Item:
    return Item(hash_key=DynamoType({"S": "p_1"}), range_key=None, attrs=ATTRS)


@pytest.mark.parametrize("expressions", EXPRESSIONS, ids=str)
def test_the_same_projection_as_motos_own(expressions: list[list[str]]) -> None:
    install_single_pass_projection()
    patched = dynamo_type.Item.project
    stored = item()
    before = stored.to_json()
    ours = patched(stored, expressions).to_json()
    assert stored.to_json() == before  # the stored item is untouched
    theirs = _motos_project(stored, expressions)
    assert _sets_sorted(ours) == _sets_sorted(theirs)


def _sets_sorted(value: Any) -> Any:
    """A set's members have no order (moto's round trip through a Python set shuffles them)."""
    if isinstance(value, dict):
        return {k: sorted(v) if k in ("SS", "NS", "BS") else _sets_sorted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sets_sorted(v) for v in value]
    return value


def _motos_project(self: Item, expressions: list[list[str]]) -> dict[str, Any]:
    """moto's own, as it is written (one plain copy per expression)."""
    from moto.dynamodb.models.utilities import find_nested_key

    result: dict[str, Any] = {}
    for expression in expressions:
        dynamo_type.merge_dicts(result, find_nested_key(expression, self.to_regular_json()))
    return Item(  # type: ignore[no-any-return]
        hash_key=self.hash_key, range_key=self.range_key, attrs=dynamo_type.serializer.serialize(result)["M"]
    ).to_json()
