"""The local runtime's item-level transactions (infra.local.moto_speedups.install_item_level_transactions): what moto's
own rollback gave, without copying the tables: a transaction applies whole, or leaves every item as it was
(an item it created is gone, one it changed or deleted is back)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local.moto_speedups import DYNAMODB_LOCK, install_item_level_transactions, install_one_request_at_a_time


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "t",
        "AWS_SECRET_ACCESS_KEY": "t",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    install_item_level_transactions()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "1"}})
        client.put_item(TableName="t", Item={"pk": {"S": "b"}, "sk": {"S": "1"}, "l": {"L": [{"S": "x"}]}})
        yield client


def items(client: Any) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName="t")["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def key(pk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": "1"}}


CHANGES = [
    {"Put": {"TableName": "t", "Item": {**key("new"), "v": {"S": "made"}}}},
    {
        "Update": {
            "TableName": "t",
            "Key": key("a"),
            "UpdateExpression": "SET n = :two",
            "ExpressionAttributeValues": {":two": {"N": "2"}},
        }
    },
    {"Delete": {"TableName": "t", "Key": key("b")}},
]


@pytest.mark.parametrize(
    ("last", "code"),
    [
        (
            {"ConditionCheck": {"TableName": "t", "Key": key("c"), "ConditionExpression": "attribute_exists(pk)"}},
            "TransactionCanceledException",
        ),
        (
            {"ConditionCheck": {"TableName": "t", "Key": key("a"), "ConditionExpression": "attribute_exists(pk)"}},
            "ValidationException",
        ),  # two operations on one item: refused after the first ones ran
    ],
    ids=["a failed condition", "an item named twice"],
)
def test_a_refused_transaction_leaves_every_item_as_it_was(dynamodb: Any, last: dict[str, Any], code: str) -> None:
    before = items(dynamodb)
    with pytest.raises(ClientError) as refused:
        dynamodb.transact_write_items(TransactItems=[*CHANGES, last])
    assert refused.value.response["Error"]["Code"] == code
    assert items(dynamodb) == before


def test_a_transaction_that_holds_applies_whole(dynamodb: Any) -> None:
    dynamodb.transact_write_items(
        TransactItems=[
            {
                "Put": {
                    "TableName": "t",
                    "Item": {**key("new"), "v": {"S": "made"}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Update": {
                    "TableName": "t",
                    "Key": key("a"),
                    "UpdateExpression": "SET n = :two",
                    "ExpressionAttributeValues": {":two": {"N": "2"}},
                }
            },
            {"Delete": {"TableName": "t", "Key": key("b")}},
        ]
    )
    assert items(dynamodb) == [
        {**key("a"), "n": {"N": "2"}},
        {**key("new"), "v": {"S": "made"}},
    ]


def test_a_transaction_runs_alone_so_no_other_request_lands_between_its_check_and_its_rollback(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import moto.dynamodb.models as dynamodb_models

    install_one_request_at_a_time()
    held: list[bool] = []
    transact = dynamodb_models.DynamoDBBackend.transact_write_items

    def watched(self: Any, transact_items: list[dict[str, Any]]) -> None:
        held.append(DYNAMODB_LOCK._is_owned())  # type: ignore[attr-defined]  # RLock's own check
        transact(self, transact_items)

    monkeypatch.setattr(dynamodb_models.DynamoDBBackend, "transact_write_items", watched)
    dynamodb.transact_write_items(TransactItems=CHANGES)
    assert held == [True]  # any other DynamoDB request waits for the lock: it cannot land in between
    assert not DYNAMODB_LOCK._is_owned()  # type: ignore[attr-defined]
