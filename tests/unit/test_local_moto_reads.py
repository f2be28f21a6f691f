"""The local runtime's reads (infra.local.moto_speedups: results written as JSON directly, not deep-copied
before they are projected, partitions sorted by plain values) answer exactly what moto's own do: every
attribute type (binary as base64), a projection, a filter, an index in number order, backwards, a page's
LastEvaluatedKey, a missing item, BatchGetItem, Scan, consumed capacity; errors stay moto's; the stored
items are never changed by a read."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.responses import BaseResponse
from moto.dynamodb.models import table
from moto.dynamodb.responses import DynamoHandler

from infra.local.moto_speedups import install_direct_json_reads, install_plain_value_sort, install_uncopied_read_results

MOTOS_SORT = table.Table.sorted_items  # moto's own, before ours is installed

ITEM: dict[str, Any] = {
    "pk": {"S": "a"},
    "sk": {"S": "1"},
    "n": {"N": "12.5"},
    "blob": {"B": b"\x00\xffparley"},
    "blobs": {"BS": [b"\x01", b"\x02"]},
    "names": {"SS": ["x", "y"]},
    "numbers": {"NS": ["1", "2"]},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
    "history": {"L": [{"M": {"to": {"S": "scheduled"}, "at": {"N": "3"}}}, {"S": "é ✓ 👍"}]},
    "card": {"M": {"title": {"S": "Sale"}, "image": {"B": b"\x89PNG"}}},
}

READS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "get": lambda c: c.get_item(TableName="t", Key={"pk": {"S": "a"}, "sk": {"S": "1"}}),
    "get-missing": lambda c: c.get_item(TableName="t", Key={"pk": {"S": "zz"}, "sk": {"S": "1"}}),
    "get-projected": lambda c: c.get_item(
        TableName="t",
        Key={"pk": {"S": "a"}, "sk": {"S": "1"}},
        ProjectionExpression="card.title, #b, n",
        ExpressionAttributeNames={"#b": "blob"},
    ),
    "query-page": lambda c: c.query(
        TableName="t",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "a"}},
        Limit=2,
        ReturnConsumedCapacity="TOTAL",
    ),
    "query-count": lambda c: c.query(
        TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}}, Select="COUNT"
    ),
    "query-index-filtered-projected": lambda c: c.query(
        TableName="t",
        IndexName="by_n",
        KeyConditionExpression="n = :n",
        FilterExpression="sk <> :s",
        ProjectionExpression="history[0].#to, card, sk",
        ExpressionAttributeNames={"#to": "to"},
        ExpressionAttributeValues={":n": {"N": "10"}, ":s": {"S": "2"}},
    ),
    "query-index-in-number-order": lambda c: c.query(
        TableName="t",
        IndexName="by_pk_n",
        KeyConditionExpression="pk = :p AND n BETWEEN :low AND :high",
        ExpressionAttributeValues={":p": {"S": "a"}, ":low": {"N": "5"}, ":high": {"N": "1000"}},
    ),
    "query-index-backwards-paged": lambda c: c.query(
        TableName="t",
        IndexName="by_pk_n",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "a"}},
        ScanIndexForward=False,
        Limit=2,
    ),
    "scan": lambda c: c.scan(TableName="t", ReturnConsumedCapacity="INDEXES"),
    "scan-index-projected": lambda c: c.scan(
        TableName="t",
        IndexName="by_n",
        ProjectionExpression="#b, #s",
        ExpressionAttributeNames={"#b": "blob", "#s": "names"},
    ),
    "batch-get": lambda c: c.batch_get_item(
        RequestItems={"t": {"Keys": [{"pk": {"S": "a"}, "sk": {"S": s}} for s in ("1", "2", "9")]}}
    ),
}


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
    install_direct_json_reads()
    install_uncopied_read_results()
    install_plain_value_sort()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "n", "AttributeType": "N"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by_pk_n",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "n", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
                {
                    "IndexName": "by_n",
                    "KeySchema": [
                        {"AttributeName": "n", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                },
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for sk, n in (("1", "100"), ("2", "9"), ("3", "10")):  # numbers: 9 < 10 < 100, not as strings
            client.put_item(TableName="t", Item={**ITEM, "sk": {"S": sk}, "n": {"N": n}})
        yield client


def answer(client: Any, read: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    result = read(client)
    result.pop("ResponseMetadata")
    return result


@pytest.mark.parametrize("name", READS)
def test_the_same_answer_as_motos_serializer(dynamodb: Any, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    assert DynamoHandler.serialized is not BaseResponse.serialized and table.copy is not copy  # ours are installed
    assert MOTOS_SORT.__module__ == "moto.dynamodb.models.table" and table.Table.sorted_items is not MOTOS_SORT
    stored = answer(dynamodb, READS["scan"])
    ours = answer(dynamodb, READS[name])
    with monkeypatch.context() as moto_own:
        moto_own.setattr(DynamoHandler, "serialized", BaseResponse.serialized)
        moto_own.setattr(table, "copy", copy)
        moto_own.setattr(table.Table, "sorted_items", MOTOS_SORT)
        theirs = answer(dynamodb, READS[name])
    assert ours == theirs
    assert answer(dynamodb, READS["scan"]) == stored  # a read changed nothing
    if name == "query-index-in-number-order":
        assert [i["sk"]["S"] for i in ours["Items"]] == ["2", "3", "1"]
    if name == "get":
        assert ours["Item"]["blob"] == {"B": b"\x00\xffparley"}  # binary survives the base64 round trip


def test_errors_are_motos_own(dynamodb: Any) -> None:
    with pytest.raises(ClientError) as refused:
        dynamodb.get_item(TableName="missing", Key={"pk": {"S": "a"}, "sk": {"S": "1"}})
    assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"
