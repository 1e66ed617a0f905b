"""The baseline every budget is measured against: the least a full-agenda read can do.

A boto3 DynamoDB client made at import (as a hand-written Lambda would), then per invocation one
Query of the agenda's partition (following its pages), boto3's TypeDeserializer, json.dumps, and
an API Gateway proxy response. No validation, no router, no logging: a floor, not a design.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer

# Same endpoint as the functions: AWS_ENDPOINT_URL (the emulator), read explicitly so the
# baseline cannot silently differ from what pynamodb and the Powertools clients use.
_client = boto3.client("dynamodb", endpoint_url=os.environ.get("AWS_ENDPOINT_URL") or None)
_table = os.environ["TABLE_NAME"]
_deserializer = TypeDeserializer()


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, set):
        return sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    agenda_id = event["pathParameters"]["agenda_id"]
    kwargs: dict[str, Any] = {
        "TableName": _table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"AGENDA#{agenda_id}"}},
    }
    items: list[dict[str, Any]] = []
    while True:
        page = _client.query(**kwargs)
        items.extend(
            {name: _deserializer.deserialize(value) for name, value in item.items()} for item in page["Items"]
        )
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"items": items}, default=_default),
        "isBase64Encoded": False,
    }
