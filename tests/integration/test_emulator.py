"""local/emulator.py: moto's transactions back up only the items they name, and a cancelled one
still leaves every table (and its stream) exactly as it was; its DynamoDB answers written directly
are moto's own. The suite runs with both on (tests/conftest.py, emulator_tuning); these tests
look at the tables directly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.conftest import emulated_aws

TABLES = ("Things", "Others")


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with emulated_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for name in TABLES:
            client.create_table(
                TableName=name,
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
                StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            )
        yield client


def key(pk: str, sk: str = "A") -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def everything(client: Any) -> dict[str, list[dict[str, Any]]]:
    return {
        name: sorted(
            client.scan(TableName=name)["Items"], key=lambda item: (item["pk"]["S"], item["sk"]["S"])
        )
        for name in TABLES
    }


def stream_lengths() -> dict[str, int]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables
    return {name: len(tables[name].stream_shard.items) for name in TABLES}


def seed(client: Any) -> None:
    client.put_item(TableName="Things", Item={**key("kept"), "n": {"N": "1"}, "tags": {"SS": ["a"]}})
    client.put_item(TableName="Things", Item={**key("kept", "B"), "n": {"N": "2"}})
    client.put_item(TableName="Others", Item={**key("gone"), "n": {"N": "3"}})


def writes_then_a_failed_check() -> list[dict[str, Any]]:
    """An update in place, a new item, a delete and an overwrite, then a condition that fails."""
    return [
        {
            "Update": {
                "TableName": "Things",
                "Key": key("kept"),
                "UpdateExpression": "SET n = n + :one ADD tags :b",
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":b": {"SS": ["b"]}},
            }
        },
        {"Put": {"TableName": "Things", "Item": {**key("new"), "n": {"N": "9"}}}},
        {"Delete": {"TableName": "Others", "Key": key("gone")}},
        {"Put": {"TableName": "Things", "Item": {**key("kept", "B"), "n": {"N": "20"}}}},
        {
            "ConditionCheck": {
                "TableName": "Others",
                "Key": key("absent"),
                "ConditionExpression": "attribute_exists(pk)",
            }
        },
    ]


def test_a_cancelled_transaction_leaves_every_table_and_stream_as_it_was(dynamodb: Any) -> None:
    seed(dynamodb)
    before, streams = everything(dynamodb), stream_lengths()

    with pytest.raises(dynamodb.exceptions.TransactionCanceledException) as cancelled:
        dynamodb.transact_write_items(TransactItems=writes_then_a_failed_check())

    reasons = [reason["Code"] for reason in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "None", "None", "ConditionalCheckFailed"]
    assert everything(dynamodb) == before
    assert stream_lengths() == streams


def test_a_committed_transaction_applies_every_write(dynamodb: Any) -> None:
    seed(dynamodb)
    items = writes_then_a_failed_check()[:-1]
    streams = stream_lengths()

    dynamodb.transact_write_items(TransactItems=items)

    assert everything(dynamodb) == {
        "Things": [
            {**key("kept"), "n": {"N": "2"}, "tags": {"SS": ["a", "b"]}},
            {**key("kept", "B"), "n": {"N": "20"}},
            {**key("new"), "n": {"N": "9"}},
        ],
        "Others": [],
    }
    assert stream_lengths() == {"Things": streams["Things"] + 3, "Others": streams["Others"] + 1}


def test_a_transaction_moto_refuses_before_writing_changes_nothing(dynamodb: Any) -> None:
    seed(dynamodb)
    before = everything(dynamodb)
    same_item_twice = [
        {"Put": {"TableName": "Things", "Item": {**key("kept"), "n": {"N": "5"}}}},
        {"Delete": {"TableName": "Things", "Key": key("kept")}},
    ]

    with pytest.raises(dynamodb.exceptions.ClientError):
        dynamodb.transact_write_items(TransactItems=same_item_twice)

    assert everything(dynamodb) == before


ODD_ITEM = {
    "S": {"S": 'text ünïcödé " \\ \n'},
    "N": {"N": "-12.5e3"},
    "B": {"B": b"\x00\xffgzip\x1f\x8b"},
    "SS": {"SS": ["a", "b"]},
    "NS": {"NS": ["1", "2.5"]},
    "BS": {"BS": [b"\x01", b"\x02\x03"]},
    "M": {"M": {"inner": {"L": [{"S": "x"}, {"N": "1"}, {"NULL": True}, {"BOOL": False}, {"B": b"\x04"}]}}},
    "L": {"L": []},
    "E": {"M": {}},
    "T": {"BOOL": True},
    "Z": {"NULL": True},
}


def _item_answers(client: Any) -> list[Any]:
    """Every item-carrying answer the product uses, on items of every attribute type."""
    client.put_item(TableName="Things", Item={**key("odd"), **ODD_ITEM})
    client.put_item(TableName="Things", Item={**key("odd", "B"), "N": {"N": "1"}})
    answers: list[Any] = [
        client.get_item(TableName="Things", Key=key("odd"), ConsistentRead=True),
        client.get_item(TableName="Things", Key=key("absent")),
        client.query(
            TableName="Things",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "odd"}},
            ReturnConsumedCapacity="TOTAL",
        ),
        client.query(
            TableName="Things",
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "odd"}},
            Limit=1,
        ),
        client.batch_get_item(RequestItems={"Things": {"Keys": [key("odd"), key("odd", "B"), key("none")]}}),
        client.update_item(
            TableName="Things",
            Key=key("odd", "B"),
            UpdateExpression="SET N = N + :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        ),
        client.delete_item(TableName="Things", Key=key("odd", "B"), ReturnValues="ALL_OLD"),
        client.transact_write_items(
            TransactItems=[{"Put": {"TableName": "Things", "Item": {**key("tx"), "B": {"B": b"\x00"}}}}]
        ),
    ]
    for answer in answers:
        answer.pop("ResponseMetadata", None)
    client.delete_item(TableName="Things", Key=key("odd"))
    client.delete_item(TableName="Things", Key=key("tx"))
    return answers


def test_direct_answers_are_the_answers_of_motos_serializer(dynamodb, monkeypatch):
    from moto.core.responses import BaseResponse
    from moto.dynamodb.responses import DynamoHandler

    from local.emulator import direct_dynamodb_answers

    # moto's own way, whatever the suite runs with (tests/conftest.py turns direct answers on).
    monkeypatch.setattr(DynamoHandler, "serialized", BaseResponse.serialized)
    walked = _item_answers(dynamodb)
    with direct_dynamodb_answers():
        direct = _item_answers(dynamodb)

    assert direct == walked
    assert direct[0]["Item"]["B"] == {"B": b"\x00\xffgzip\x1f\x8b"}


def _stream_answer() -> Any:
    # Account-based endpoints are not emulated (local/gateway.py _streams_client): the classic one.
    streams = boto3.client(
        "dynamodbstreams",
        region_name="us-east-1",
        endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com",
    )
    arn = streams.list_streams(TableName="Things")["Streams"][0]["StreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    answer = streams.get_records(ShardIterator=iterator["ShardIterator"])
    answer.pop("ResponseMetadata", None)
    answer.pop("NextShardIterator", None)  # a fresh iterator name each time
    return answer


def test_direct_stream_records_are_the_records_of_motos_serializer(dynamodb, monkeypatch):
    from moto.core.responses import BaseResponse
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    from local.emulator import direct_dynamodb_answers

    dynamodb.put_item(TableName="Things", Item={**key("odd"), **ODD_ITEM})
    dynamodb.delete_item(TableName="Things", Key=key("odd"))
    monkeypatch.setattr(DynamoDBStreamsHandler, "serialized", BaseResponse.serialized)
    walked = _stream_answer()
    with direct_dynamodb_answers():
        direct = _stream_answer()

    assert direct == walked
    assert [r["eventName"] for r in direct["Records"]] == ["INSERT", "REMOVE"]
    assert direct["Records"][0]["dynamodb"]["NewImage"]["B"] == {"B": b"\x00\xffgzip\x1f\x8b"}
